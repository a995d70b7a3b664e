import { Events, Publisher, type EventData } from '@lumina/common';
import { eventually } from '@lumina/common/testing';
import request from 'supertest';
import { createListeners } from '../src/events';
import { Profiles } from '../src/profiles';
import { FollowsStore } from '../src/store/follows-store';
import { ReadyMediaStore } from '../src/store/ready-media-store';
import { UsersStore } from '../src/store/users-store';
import { bearer, count, eventsIn, setUpAuth, signUp, unique, type Harness, type SignedUp } from './helpers';

let h: Harness;
let listener: ReturnType<typeof createListeners>[0];
let deletions: ReturnType<typeof createListeners>[1];
let media: Publisher<typeof Events.mediaReady>;
let mediaDeleted: Publisher<typeof Events.mediaDeleted>;
beforeAll(async () => {
  h = await setUpAuth();
  const readyMedia = new ReadyMediaStore(h.pool);
  const profiles = new Profiles({
    pool: h.pool,
    users: new UsersStore(h.pool),
    follows: new FollowsStore(h.pool),
    readyMedia,
    afterCommit: () => h.relay?.notify(),
  });
  [listener, deletions] = createListeners(h.bus, { readyMedia, profiles }, { backoffMs: [100] });
  await listener.start();
  await deletions.start();
  media = new Publisher(h.bus, Events.mediaReady);
  mediaDeleted = new Publisher(h.bus, Events.mediaDeleted);
});
afterAll(async () => {
  await listener.stop();
  await deletions.stop();
  await h.close();
});

const api = () => request(h.app);
const patchMe = (user: SignedUp, body: unknown) =>
  api()
    .patch('/api/v1/users/me')
    .set('Authorization', bearer(user))
    .send(body as object);
const updatedEventsOf = async (id: string) => (await eventsIn(h.bus, Events.userUpdated)).filter((e) => e.data.id === id);

function mediaReady(ownerId: string, over: Partial<EventData<typeof Events.mediaReady>> = {}): EventData<typeof Events.mediaReady> {
  const id = over.id ?? `m${unique()}`;
  return {
    id,
    ownerId,
    width: 1200,
    height: 900,
    blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
    variants: {
      thumb: { url: `/api/v1/media/${id}/thumb`, width: 320, height: 320 },
      feed: { url: `/api/v1/media/${id}/feed`, width: 1080, height: 810 },
    },
    version: 1,
    ...over,
  };
}
async function readyMediaOf(owner: SignedUp, over: Partial<EventData<typeof Events.mediaReady>> = {}) {
  const data = mediaReady(owner.id, over);
  await media.publish(data);
  await eventually(async () =>
    expect(await count(h.pool, 'SELECT COUNT(*) FROM ready_media WHERE media_id = ? AND version = ?', [data.id, data.version])).toBe(1),
  );
  return data;
}

describe('GET /api/v1/users/:username', () => {
  test('anonymous: public fields and counts, no email, no isFollowing', async () => {
    const user = await signUp(h.app);
    const res = await api().get(`/api/v1/users/${user.username}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({
      id: user.id,
      username: user.username,
      displayName: user.username,
      bio: '',
      avatar: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      followerCount: 0,
      followingCount: 0,
    });
  });

  test('a signed-in viewer sees isFollowing; the user themself also sees their email', async () => {
    const [owner, viewer] = [await signUp(h.app), await signUp(h.app)];
    const before = await api().get(`/api/v1/users/${owner.username}`).set('Authorization', bearer(viewer));
    expect(before.body.user.isFollowing).toBe(false);
    expect(before.body.user.email).toBeUndefined();
    await api().put(`/api/v1/users/${owner.id}/follow`).set('Authorization', bearer(viewer)).expect(204);
    const after = await api().get(`/api/v1/users/${owner.username}`).set('Authorization', bearer(viewer));
    expect(after.body.user).toMatchObject({ isFollowing: true, followerCount: 1, followingCount: 0 });
    const self = await api().get(`/api/v1/users/${owner.username}`).set('Authorization', bearer(owner));
    expect(self.body.user).toMatchObject({ email: owner.email, isFollowing: false, followerCount: 1 });
  });

  test('the name is looked up case-insensitively', async () => {
    const user = await signUp(h.app);
    expect((await api().get(`/api/v1/users/${user.username.toUpperCase()}`)).body.user.id).toBe(user.id);
  });

  test('unknown: 404; not a possible username (SQL, spaces, Unicode): 400', async () => {
    expect((await api().get('/api/v1/users/nobody_here_at_all')).status).toBe(404);
    for (const bad of ["x' OR '1'='1", 'has space', 'аlice', 'a'.repeat(31)]) {
      const res = await api().get(`/api/v1/users/${encodeURIComponent(bad)}`);
      expect([bad, res.status]).toEqual([bad, 400]);
      expect(res.body.errors[0].field).toBe('username');
    }
  });
});

describe('PATCH /api/v1/users/me', () => {
  test('changes displayName and bio, bumps the version and records exactly one user.updated', async () => {
    const user = await signUp(h.app);
    const res = await patchMe(user, { displayName: '  Grace Hopper ', bio: 'Line one\r\nline two' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email, displayName: 'Grace Hopper', bio: 'Line one\nline two' });
    const events = await eventually(async () => {
      const found = await updatedEventsOf(user.id);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(events[0]!.data).toEqual({
      id: user.id,
      username: user.username,
      displayName: 'Grace Hopper',
      bio: 'Line one\nline two',
      avatar: null,
      version: 2,
    });
  });

  test('writing the values the profile already has changes nothing and records nothing', async () => {
    const user = await signUp(h.app);
    await patchMe(user, { bio: 'same' }).expect(200);
    const before = await h.snapshot();
    const res = await patchMe(user, { bio: 'same', displayName: user.username });
    expect(res.status).toBe(200);
    expect(await patchMe(user, {}).then((r) => r.status)).toBe(200);
    expect(await h.snapshot()).toEqual(before);
    expect(await updatedEventsOf(user.id)).toHaveLength(1);
  });

  test('limits: bio 160 passes, 161 fails; displayName 51 fails; control characters fail', async () => {
    const user = await signUp(h.app);
    expect((await patchMe(user, { bio: 'b'.repeat(160) })).status).toBe(200);
    const before = await h.snapshot();
    for (const [body, field] of [
      [{ bio: 'b'.repeat(161) }, 'bio'],
      [{ bio: 'null\u0000byte' }, 'bio'],
      [{ displayName: 'd'.repeat(51) }, 'displayName'],
      [{ displayName: 'tab\tinside' }, 'displayName'],
    ] as const) {
      const res = await patchMe(user, body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    }
    expect(await h.snapshot()).toEqual(before);
  });

  test('operator injection and fields that cannot change are refused with 400, nothing written', async () => {
    const user = await signUp(h.app);
    const before = await h.snapshot();
    for (const body of [
      { displayName: { $set: { username: 'admin' } } },
      { bio: { $gt: '' } },
      { bio: ['a', 'b'] },
      { avatarMediaId: { $ne: null } },
      { avatarMediaId: 42 },
      { avatarMediaId: "x' OR '1'='1" },
      { username: 'renamed' },
      { email: 'new@example.com' },
      { id: 'someone-else' },
      { version: 99 },
      { followerCount: 1e6 },
      JSON.parse('{"__proto__": {"isAdmin": true}}'),
      { constructor: { prototype: { isAdmin: true } } },
    ]) {
      const res = await patchMe(user, body);
      expect([body, res.status]).toEqual([body, 400]);
      expect(res.body.errors.length).toBeGreaterThan(0);
    }
    expect(await h.snapshot()).toEqual(before);
    expect((await api().get(`/api/v1/users/${user.username}`)).body.user.bio).toBe('');
  });

  test('SQL in a bio is stored as text', async () => {
    const user = await signUp(h.app);
    const bio = "'; UPDATE users SET username='pwned' WHERE '1'='1";
    expect((await patchMe(user, { bio })).body.user.bio).toBe(bio);
    expect(await count(h.pool, "SELECT COUNT(*) FROM users WHERE username = 'pwned'")).toBe(0);
  });

  test('not signed in: 401', async () => {
    expect((await api().patch('/api/v1/users/me').send({ bio: 'x' })).status).toBe(401);
  });

  test('answers are never cached, and a profile with isFollowing varies on the session', async () => {
    const user = await signUp(h.app);
    const viewer = await signUp(h.app);
    expect((await patchMe(user, { bio: 'cache me not' })).headers['cache-control']).toBe('private, no-store');
    const profile = await api().get(`/api/v1/users/${user.username}`).set('Cookie', viewer.cookies).expect(200);
    expect(profile.body.user.isFollowing).toBe(false);
    expect(profile.headers['cache-control']).toBe('private, no-store');
    expect(profile.headers.vary).toMatch(/Cookie.*Authorization|Authorization.*Cookie/);
  });
});

describe('avatars', () => {
  test('a ready image of the user becomes the avatar, in the answer, the profile and the event', async () => {
    const user = await signUp(h.app);
    const image = await readyMediaOf(user);
    const res = await patchMe(user, { avatarMediaId: image.id });
    expect(res.status).toBe(200);
    const avatar = { mediaId: image.id, url: `/api/v1/media/${image.id}/thumb`, blurhash: image.blurhash };
    expect(res.body.user.avatar).toEqual(avatar);
    expect((await api().get(`/api/v1/users/${user.username}`)).body.user.avatar).toEqual(avatar);
    await eventually(async () => expect((await updatedEventsOf(user.id)).map((e) => e.data.avatar)).toEqual([avatar]));
  });

  test('avatarMediaId null removes it', async () => {
    const user = await signUp(h.app);
    const image = await readyMediaOf(user);
    await patchMe(user, { avatarMediaId: image.id }).expect(200);
    const res = await patchMe(user, { avatarMediaId: null });
    expect(res.body.user.avatar).toBeNull();
    await eventually(async () => expect((await updatedEventsOf(user.id)).map((e) => e.data.version)).toEqual([2, 3]));
  });

  test("someone else's image, an unknown image, or one not ready yet: 400 on avatarMediaId", async () => {
    const [user, other] = [await signUp(h.app), await signUp(h.app)];
    const theirs = await readyMediaOf(other);
    const before = await h.snapshot();
    for (const avatarMediaId of [theirs.id, 'never-heard-of-it', `m${unique()}`]) {
      const res = await patchMe(user, { avatarMediaId });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ message: 'avatarMediaId must name a ready image you uploaded', field: 'avatarMediaId' }]);
    }
    expect(await h.snapshot()).toEqual(before);
  });
});

describe('media.deleted', () => {
  const tombstoned = (id: string) => count(h.pool, 'SELECT COUNT(*) FROM deleted_media WHERE media_id = ?', [id]);

  test('a deleted avatar leaves every profile showing it, with one user.updated each', async () => {
    const user = await signUp(h.app);
    const image = await readyMediaOf(user);
    await patchMe(user, { avatarMediaId: image.id }).expect(200);
    await mediaDeleted.publish({ id: image.id, ownerId: user.id, version: 2 });
    await eventually(async () => expect((await api().get(`/api/v1/users/${user.username}`)).body.user.avatar).toBeNull());
    await eventually(async () =>
      expect((await updatedEventsOf(user.id)).map((e) => [e.data.version, e.data.avatar])).toEqual([
        [2, expect.anything()],
        [3, null],
      ]),
    );
  });

  test('a deleted image cannot become an avatar, not even after a late media.ready', async () => {
    const user = await signUp(h.app);
    const image = mediaReady(user.id, { version: 1 });
    await mediaDeleted.publish({ id: image.id, ownerId: user.id, version: 2 }); // overtakes the ready event
    await eventually(async () => expect(await tombstoned(image.id)).toBe(1));
    await media.publish(image);
    await eventually(async () => expect(await count(h.pool, 'SELECT COUNT(*) FROM ready_media WHERE media_id = ?', [image.id])).toBe(1));
    const res = await patchMe(user, { avatarMediaId: image.id });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('avatarMediaId');
  });

  test('a repeated deletion changes nothing more', async () => {
    const user = await signUp(h.app);
    const image = await readyMediaOf(user);
    await patchMe(user, { avatarMediaId: image.id }).expect(200);
    await mediaDeleted.publish({ id: image.id, ownerId: user.id, version: 2 });
    await eventually(async () => expect(await updatedEventsOf(user.id)).toHaveLength(2));
    await mediaDeleted.publish({ id: image.id, ownerId: user.id, version: 2 }, { id: `again-${image.id}` });
    await eventually(async () => {
      const info = await h.bus.jsm.consumers.info(deletions.streamName, deletions.durableName);
      expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    });
    await h.snapshot();
    expect(await updatedEventsOf(user.id)).toHaveLength(2);
  });
});

describe('the media.ready listener', () => {
  test('applies by version: duplicates and an older event arriving late leave the newest copy', async () => {
    const user = await signUp(h.app);
    const v2 = await readyMediaOf(user, { version: 2, blurhash: 'newer' });
    await media.publish({ ...v2, version: 1, blurhash: 'older' });
    await media.publish({ ...v2 }); // the same state again
    await eventually(async () => {
      // both handled and acknowledged by the listener
      const info = await h.bus.jsm.consumers.info(listener.streamName, listener.durableName);
      expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
    });
    await eventually(async () => {
      const [[row]] = (await h.pool.query('SELECT blurhash, version FROM ready_media WHERE media_id = ?', [v2.id])) as unknown as [
        [{ blurhash: string; version: number }],
      ];
      expect(row).toEqual({ blurhash: 'newer', version: 2 });
    });
  });

  test('consumes through the durable consumer auth--media-ready', async () => {
    expect(listener.durableName).toBe('auth--media-ready');
    const info = await h.bus.jsm.consumers.info(listener.streamName, listener.durableName);
    expect(info.config.durable_name).toBe('auth--media-ready');
  });
});
