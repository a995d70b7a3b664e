/**
 * The copies of users and media, fed by real events through the service's durable consumers:
 * applied by version, so events arriving twice or out of order leave them right.
 */
import { Events } from '@lumina/common';
import { collectEvents, eventually } from '@lumina/common/testing';
import { Harness, auth, mediaReadyData } from './harness';

const h = new Harness();

beforeAll(() => h.start());
afterAll(() => h.stop());

const userState = (id: string, version: number, username: string) => ({
  id,
  username,
  displayName: `${username} (v${version})`,
  bio: '',
  avatar: null,
  version,
});

test('user events out of order and repeated leave the newest state', async () => {
  const id = 'usr-ooo';
  await h.publishUserUpdated(userState(id, 3, 'third'));
  await h.publishUserUpdated(userState(id, 2, 'second'));
  await h.publishUserCreated(userState(id, 1, 'first'));
  await h.publishUserUpdated(userState(id, 3, 'third'));
  await h.publishUserUpdated(userState(id, 2, 'second'));
  await eventually(async () =>
    expect(await h.svc.models.UserCopy.findById(id).lean()).toMatchObject({ username: 'third', displayName: 'third (v3)', version: 3 }),
  );
  await h.drained(); // every older event has been handled
  expect(await h.svc.models.UserCopy.findById(id).lean()).toMatchObject({ username: 'third', version: 3 });
});

test('a deleted user stays deleted when an older update arrives late, and is no longer mentionable', async () => {
  const author = await h.user('mentioner');
  const id = 'usr-gone';
  await h.publishUserCreated(userState(id, 1, 'soon_gone'));
  await eventually(async () => expect(await h.svc.models.UserCopy.exists({ _id: id })).not.toBeNull());
  await h.publishUserDeleted({ id, version: 3 });
  await h.publishUserUpdated(userState(id, 2, 'soon_gone'));
  await eventually(async () => expect(await h.svc.models.UserCopy.findById(id).lean()).toMatchObject({ deleted: true, version: 3 }));
  await h.drained();
  expect(await h.svc.models.UserCopy.findById(id).lean()).toMatchObject({ deleted: true, version: 3 });
  const post = await h.post(author, 'hello @soon_gone');
  expect(post.mentions).toEqual([]);
});

test("a deleted user's posts are deleted with post.deleted events", async () => {
  const leaver = await h.user('leaver');
  const first = await h.post(leaver, 'one');
  const second = await h.post(leaver, 'two');
  const deleted = await collectEvents(h.bus, Events.postDeleted);
  await h.publishUserDeleted({ id: leaver.id, version: 2 });
  await deleted.waitFor((d) => d.id === first.id);
  await deleted.waitFor((d) => d.id === second.id);
  expect((await h.http.get(`/api/v1/posts/${first.id}`)).status).toBe(404);
  expect((await h.http.get(`/api/v1/posts?authorId=${leaver.id}`)).body.items).toEqual([]);
  // The deletion arriving again deletes nothing more.
  await h.publishUserDeleted({ id: leaver.id, version: 2 });
  await h.drained({ collectors: [deleted] });
  expect(deleted.received.filter((e) => e.data.id === first.id || e.data.id === second.id)).toHaveLength(2);
  // A token still valid after the deletion cannot post.
  const media = await h.readyMedia(leaver.id);
  expect(
    (
      await h.http
        .post('/api/v1/posts')
        .set(auth(leaver))
        .send({ caption: 'ghost', media: [{ id: media }] })
    ).status,
  ).toBe(403);
  await deleted.stop();
});

test('media events out of order and repeated: a deletion wins over an older media.ready', async () => {
  const owner = await h.user();
  const id = 'med-ooo';
  await h.publishMediaDeleted({ id, ownerId: owner.id, version: 3 });
  await h.publishMediaReady(mediaReadyData(id, owner.id, 2));
  await h.publishMediaReady(mediaReadyData(id, owner.id, 1));
  await h.publishMediaDeleted({ id, ownerId: owner.id, version: 3 });
  await eventually(async () => expect(await h.svc.models.MediaCopy.findById(id).lean()).toMatchObject({ status: 'deleted', version: 3 }));
  await h.drained();
  expect(await h.svc.models.MediaCopy.findById(id).lean()).toMatchObject({ status: 'deleted', version: 3 });
  const res = await h.http
    .post('/api/v1/posts')
    .set(auth(owner))
    .send({ caption: 'x', media: [{ id }] });
  expect(res.status).toBe(400);
});

test('media ready after a failure (re-processed, newer version) can be posted; the old failure arriving late changes nothing', async () => {
  const owner = await h.user();
  const id = 'med-retry';
  await h.publishMediaReady(mediaReadyData(id, owner.id, 2));
  await h.publishMediaFailed({ id, ownerId: owner.id, reason: 'first try failed', version: 1 });
  await h.publishMediaReady(mediaReadyData(id, owner.id, 2));
  await eventually(async () => expect(await h.svc.models.MediaCopy.findById(id).lean()).toMatchObject({ status: 'ready', version: 2 }));
  await h.drained();
  const res = await h.http
    .post('/api/v1/posts')
    .set(auth(owner))
    .send({ caption: 'x', media: [{ id }] });
  expect(res.status).toBe(201);
});

test('many versions of one user at once settle on the newest', async () => {
  const id = 'usr-burst';
  const versions = Array.from({ length: 30 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  await Promise.all(
    versions.map((v) =>
      v === 1 ? h.publishUserCreated(userState(id, v, 'burst_v1')) : h.publishUserUpdated(userState(id, v, `burst_v${v}`)),
    ),
  );
  await eventually(async () =>
    expect(await h.svc.models.UserCopy.findById(id).lean()).toMatchObject({ username: 'burst_v30', version: 30 }),
  );
  await h.drained();
  expect(await h.svc.models.UserCopy.findById(id).lean()).toMatchObject({ username: 'burst_v30', version: 30 });
});
