/**
 * Which posts and avatars use a media (from post.* and user.* events), and deletion: owner only,
 * refused while in use, media.deleted through the outbox, blobs removed, events applied
 * idempotently whatever their order.
 */
import { Events, MongoOutboxRelay, Publisher, type EventBus } from '@lumina/common';
import { collectEvents, eventually, TestContext, testLogger, type EventCollector } from '@lumina/common/testing';
import { alice, bearer, bob, filesUnder, postShowing, startTestMedia, type TestMedia } from './helpers';
import * as images from './images';
import { randomBytes } from 'node:crypto';
import { MediaUsage } from '../src/usage';
import type { MediaStore } from '../src/store/media-store';

const ctx = new TestContext();
let bus: EventBus;
let svc: TestMedia;
let deleted: EventCollector<typeof Events.mediaDeleted>;
let postCreated: Publisher<typeof Events.postCreated>;
let postDeleted: Publisher<typeof Events.postDeleted>;
let userUpdated: Publisher<typeof Events.userUpdated>;

beforeAll(async () => {
  bus = await ctx.eventBus();
  svc = await startTestMedia(ctx, ctx.mongoDatabase('media'), { MEDIA_ROLE: 'all' });
  deleted = await collectEvents(bus, Events.mediaDeleted);
  postCreated = new Publisher(bus, Events.postCreated);
  postDeleted = new Publisher(bus, Events.postDeleted);
  userUpdated = new Publisher(bus, Events.userUpdated);
});
afterAll(async () => {
  await deleted.stop();
  await ctx.cleanup();
});

let size = 100;

/** Uploads a distinct image and waits until it is ready. */
async function readyMedia(user = alice): Promise<string> {
  size += 1;
  const res = await svc.http
    .post('/api/v1/media')
    .set('Authorization', bearer(user))
    .attach('file', await images.png(size, 90), 'a.png');
  expect(res.status).toBe(202);
  const id: string = res.body.media.id;
  await eventually(async () => expect((await svc.store.findById(id))?.status).toBe('ready'), { timeoutMs: 10_000 });
  return id;
}

const post = (id: string, mediaIds: string[], version = 1) => postShowing(id, alice.id, mediaIds, version);

const usedBy = async (id: string) => (await svc.store.findById(id))?.usedByPosts ?? [];
const del = (id: string, user = alice) => svc.http.delete(`/api/v1/media/${id}`).set('Authorization', bearer(user));

test('a media a post shows cannot be deleted; once the post is gone it can, and media.deleted follows', async () => {
  const id = await readyMedia();
  await postCreated.publish(post('post-1', [id]));
  await eventually(async () => expect(await usedBy(id)).toEqual(['post-1']));

  const refused = await del(id);
  expect(refused.status).toBe(409);
  expect(refused.body.errors[0].message).toMatch(/post uses this media/);

  await postDeleted.publish({ id: 'post-1', authorId: alice.id, version: 2 });
  await eventually(async () => expect(await usedBy(id)).toEqual([]));

  expect((await del(id)).status).toBe(204);
  const event = await deleted.waitFor((d) => d.id === id);
  expect(event.data).toEqual({ id, ownerId: alice.id, version: 3 });
  expect((await svc.http.get(`/api/v1/media/${id}`).set('Authorization', bearer(alice))).status).toBe(404);
  expect((await svc.http.get(`/api/v1/media/${id}/feed`)).status).toBe(404);
  expect(filesUnder(svc.storageDir).filter((f) => f.includes(id))).toEqual([]);
  expect(await svc.store.findById(id)).toMatchObject({ status: 'deleted', blobsPending: false });
  expect((await del(id)).status).toBe(404);
});

test('only the owner deletes; a stranger is refused and nothing changes', async () => {
  const id = await readyMedia();
  expect((await del(id, bob)).status).toBe(403);
  expect((await svc.http.delete(`/api/v1/media/${id}`)).status).toBe(401);
  expect(await svc.store.findById(id)).toMatchObject({ status: 'ready', version: 2 });
});

test('after deletion the same bytes may be uploaded again as a new media', async () => {
  const file = await images.png(333, 90);
  const first = await svc.http.post('/api/v1/media').set('Authorization', bearer(alice)).attach('file', file, 'a.png');
  expect((await del(first.body.media.id)).status).toBe(204);
  const again = await svc.http.post('/api/v1/media').set('Authorization', bearer(alice)).attach('file', file, 'a.png');
  expect(again.status).toBe(202);
  expect(again.body.media.id).not.toBe(first.body.media.id);
});

test('post events are applied as sets: duplicates count once, a second post keeps the media in use', async () => {
  const id = await readyMedia();
  const envelope = await postCreated.publish(post('post-2', [id, id]));
  await postCreated.publish(post('post-2', [id]), { id: envelope.id }); // the same event again (dropped by JetStream)
  await postCreated.publish(post('post-2', [id])); // redelivered under another id (applied, stale)
  await postCreated.publish(post('post-3', [id]));
  await eventually(async () => expect((await usedBy(id)).sort()).toEqual(['post-2', 'post-3']));
  await ctx.drained();

  await postDeleted.publish({ id: 'post-2', authorId: alice.id, version: 2 });
  await eventually(async () => expect(await usedBy(id)).toEqual(['post-3']));
  expect((await del(id)).status).toBe(409);
  await postDeleted.publish({ id: 'post-3', authorId: alice.id, version: 2 });
  await eventually(async () => expect(await usedBy(id)).toEqual([]));
  expect((await del(id)).status).toBe(204);
});

test('a post.deleted that arrives before its post.created leaves the media free', async () => {
  const id = await readyMedia();
  await postDeleted.publish({ id: 'post-4', authorId: alice.id, version: 2 });
  await ctx.drained();
  await postCreated.publish(post('post-4', [id], 1));
  await ctx.drained();
  expect(await usedBy(id)).toEqual([]);
  expect((await del(id)).status).toBe(204);
});

test('a post.deleted handled between marking the media and recording the post leaves the media free', async () => {
  const id = await readyMedia();
  const plain = new MediaUsage(svc.store, svc.usage);
  // The whole deletion runs while post.created's handler is between its two writes.
  const store = Object.create(svc.store) as MediaStore;
  store.addPostUse = async (mediaIds, postId) => {
    await svc.store.addPostUse(mediaIds, postId);
    await plain.postDeleted(postId, 2);
  };
  await new MediaUsage(store, svc.usage).postCreated('post-race', [id], 1);
  expect(await usedBy(id)).toEqual([]);
  expect((await svc.usage.findPost('post-race'))?.deleted).toBe(true);
  expect((await del(id)).status).toBe(204);
});

test('a media shown by 150 posts still takes every use, and is released by all of them', async () => {
  // On FerretDB over PostgreSQL an index on usedByPosts was one B-tree entry for the whole list:
  // past about 74 post ids it outgrew PostgreSQL's limit and every update of the media failed.
  const id = await readyMedia();
  const posts = Array.from({ length: 150 }, (_, i) => `${i}`.padStart(4, '0') + randomBytes(10).toString('hex'));
  for (const postId of posts) await postCreated.publish(post(postId, [id], 1));
  await ctx.drained();
  expect((await usedBy(id)).sort()).toEqual([...posts].sort());
  for (const postId of posts) await postDeleted.publish({ id: postId, authorId: alice.id, version: 2 });
  await ctx.drained();
  expect(await usedBy(id)).toEqual([]);
  expect((await del(id)).status).toBe(204);
}, 120_000);

test('an avatar cannot be deleted while it is one (user.updated), and can once it is replaced', async () => {
  const id = await readyMedia(bob);
  const avatar = { mediaId: id, url: `/api/v1/media/${id}/thumb`, blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' };
  await userUpdated.publish({ id: bob.id, username: 'bob', displayName: 'Bob', bio: '', avatar, version: 2 });
  await ctx.drained();
  const refused = await del(id, bob);
  expect(refused.status).toBe(409);
  expect(refused.body.errors[0].message).toMatch(/avatar/);
  // An older event arriving late changes nothing.
  await userUpdated.publish({ id: bob.id, username: 'bob', displayName: 'Bob', bio: '', avatar: null, version: 1 });
  await ctx.drained();
  expect((await del(id, bob)).status).toBe(409);
  await userUpdated.publish({ id: bob.id, username: 'bob', displayName: 'Bob', bio: '', avatar: null, version: 3 });
  await ctx.drained();
  expect((await del(id, bob)).status).toBe(204);
});

describe('media.deleted goes through the outbox', () => {
  afterAll(() => svc.relay.start());

  test('written while the relay is down, published once by a fresh relay, even if one died after publishing', async () => {
    await svc.relay.stop();
    // With the relay stopped media.ready stays in the outbox too: readyMedia waits for the state.
    const id = await readyMedia();
    expect((await del(id)).status).toBe(204);
    await ctx.drained({ collectors: [deleted] });
    expect(deleted.received.filter((e) => e.data.id === id)).toHaveLength(0);
    expect(await svc.relay.pendingEvents()).toBeGreaterThan(0);

    // A relay that publishes and dies before clearing…
    const dying = new MongoOutboxRelay([svc.store.collection], bus, {
      log: testLogger,
      afterPublish: () => {
        throw new Error('relay died after publishing');
      },
    });
    await expect(dying.drain()).rejects.toThrow('relay died');
    // …and the next one publishes the same envelopes again: JetStream drops them as duplicates.
    await new MongoOutboxRelay([svc.store.collection], bus, { log: testLogger }).drain();
    await deleted.waitFor((d) => d.id === id);
    await ctx.drained({ outboxes: [svc.relay], collectors: [deleted] });
    expect(deleted.received.filter((e) => e.data.id === id)).toHaveLength(1);
    const raw = await svc.store.collection.findOne({ _id: id as never });
    expect(raw?._outbox ?? []).toEqual([]);
  });
});
