/**
 * Events leave through the post's outbox: every change records its event in the same
 * single-document write, and the relay publishes it. "Killed" processes are simulated the way
 * common's outbox tests do: a relay that is stopped, or whose afterPublish hook throws between
 * publishing and clearing; and an engagement write whose hook throws between the post update
 * and the like/comment write.
 */
import { Events, MongoOutboxRelay } from '@lumina/common';
import { collectEvents, eventually, testLogger } from '@lumina/common/testing';
import { EngagementCrash, Harness, auth, type TestUser } from './harness';

const crash = new EngagementCrash();
const h = new Harness();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  await h.start({ PENDING_GRACE_MS: '0' }, { hooks: crash.hooks });
  alice = await h.user('alice');
  bob = await h.user('bob');
});
afterAll(() => h.stop());

function freshRelay(options: { afterPublish?: () => void } = {}): MongoOutboxRelay {
  return new MongoOutboxRelay([h.svc.models.Post.collection], h.svc.bus, { log: testLogger, ...options });
}

async function outboxOf(postId: string): Promise<Array<{ type: string }>> {
  const doc = await h.svc.models.Post.collection.findOne({ _id: postId } as never);
  return (doc?._outbox ?? []) as Array<{ type: string }>;
}

test('each change publishes its event with the version DESIGN.md names', async () => {
  const streams = {
    created: await collectEvents(h.bus, Events.postCreated),
    updated: await collectEvents(h.bus, Events.postUpdated),
    deleted: await collectEvents(h.bus, Events.postDeleted),
    liked: await collectEvents(h.bus, Events.postLiked),
    unliked: await collectEvents(h.bus, Events.postUnliked),
    commented: await collectEvents(h.bus, Events.commentCreated),
    uncommented: await collectEvents(h.bus, Events.commentDeleted),
  };
  const post = await h.post(alice, 'hello #World @bob');
  await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'edited' });
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob));
  await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(bob));
  const comment = (await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(bob)).send({ body: 'hi @alice' })).body.comment;
  await h.http.delete(`/api/v1/posts/${post.id}/comments/${comment.id}`).set(auth(alice));
  await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(alice));

  const mine = (d: { id?: string; postId?: string }) => d.id === post.id || d.postId === post.id;
  const created = await streams.created.waitFor(mine);
  expect(created.data).toMatchObject({
    id: post.id,
    authorId: alice.id,
    caption: 'hello #World @bob',
    hashtags: ['world'],
    mentions: [{ id: bob.id, username: 'bob' }],
    likeCount: 0,
    commentCount: 0,
    version: 1,
  });
  expect(created.data.media).toHaveLength(1);
  expect((await streams.updated.waitFor(mine)).data).toMatchObject({ caption: 'edited', hashtags: [], version: 2 });
  expect((await streams.liked.waitFor(mine)).data).toEqual({
    postId: post.id,
    postAuthorId: alice.id,
    userId: bob.id,
    likeCount: 1,
    version: 1,
  });
  expect((await streams.unliked.waitFor(mine)).data).toEqual({
    postId: post.id,
    postAuthorId: alice.id,
    userId: bob.id,
    likeCount: 0,
    version: 2,
  });
  expect((await streams.commented.waitFor(mine)).data).toMatchObject({
    id: comment.id,
    postId: post.id,
    postAuthorId: alice.id,
    authorId: bob.id,
    body: 'hi @alice',
    mentions: [{ id: alice.id, username: 'alice' }],
    commentCount: 1,
    version: 3,
  });
  expect((await streams.uncommented.waitFor(mine)).data).toEqual({ id: comment.id, postId: post.id, commentCount: 0, version: 4 });
  expect((await streams.deleted.waitFor(mine)).data).toEqual({ id: post.id, authorId: alice.id, version: 3 });
  for (const s of Object.values(streams)) await s.stop();
  // Published and cleared: the tombstone's outbox is empty.
  await eventually(async () => expect(await outboxOf(post.id)).toEqual([]));
});

test('a write while no relay runs is published once, by a relay started afterwards', async () => {
  await h.svc.relay.stop(); // the process "died" right after the write
  try {
    const created = await collectEvents(h.bus, Events.postCreated);
    const post = await h.post(alice, 'written while the relay was down');
    // The relay is down: its outbox keeps the event, everything else has been handled and read.
    await h.ctx.drained({ collectors: [created] });
    expect(created.received.filter((e) => e.data.id === post.id)).toHaveLength(0);
    expect((await outboxOf(post.id)).map((e) => e.type)).toEqual(['post.created']);

    await freshRelay().drain();
    await created.waitFor((d) => d.id === post.id);
    await h.drained({ collectors: [created] });
    expect(created.received.filter((e) => e.data.id === post.id)).toHaveLength(1);
    expect(await outboxOf(post.id)).toEqual([]);
    await created.stop();
  } finally {
    h.svc.relay.start();
  }
});

test('a relay killed after publishing and before clearing causes no duplicate', async () => {
  await h.svc.relay.stop();
  try {
    const liked = await collectEvents(h.bus, Events.postLiked);
    const post = await h.post(alice, 'liked once');
    await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob));
    await freshRelay().drain(); // post.created out of the way
    // The like: published, then the relay "dies" before it clears the outbox.
    await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(bob));
    await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob));
    const before = await h.streamMessages();
    await expect(
      freshRelay({
        afterPublish: () => {
          throw new Error('killed between publish and clear');
        },
      }).drain(),
    ).rejects.toThrow('killed');
    expect(await h.streamMessages()).toBe(before + 2);
    expect((await outboxOf(post.id)).map((e) => e.type)).toEqual(['post.unliked', 'post.liked']);

    await freshRelay().drain(); // the restarted relay publishes the same envelopes again
    expect(await h.streamMessages()).toBe(before + 2); // JetStream dropped the repeats by their ids
    expect(await outboxOf(post.id)).toEqual([]);
    await h.drained({ collectors: [liked] });
    expect(liked.received.filter((e) => e.data.postId === post.id).map((e) => e.data.version)).toEqual([1, 3]);
    await liked.stop();
  } finally {
    h.svc.relay.start();
  }
});

test('killed between the post update and the like write: the sweeper finishes it, counted once', async () => {
  const post = await h.post(alice, 'crash test');
  const liked = await collectEvents(h.bus, Events.postLiked);
  crash.arm();
  const res = await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob));
  expect(res.status).toBe(500);
  // The post counted the like and holds its event; the like row is not written yet. The writer
  // died before refreshing Redis: the relay refreshes the post as it publishes the event.
  await eventually(async () => expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.likeCount).toBe(1));
  expect(await h.svc.models.Like.countDocuments({ postId: post.id })).toBe(0);

  expect(await h.svc.sweeper.sweepOnce()).toBe(1);
  expect(await h.svc.models.Like.countDocuments({ postId: post.id, userId: bob.id, liked: true })).toBe(1);
  // Liking again (the client retrying) changes nothing.
  expect((await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob))).body).toEqual({ liked: true, likeCount: 1 });
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(bob))).body.post).toMatchObject({ likeCount: 1, likedByViewer: true });
  await liked.waitFor((d) => d.postId === post.id);
  await h.drained({ collectors: [liked] });
  expect(liked.received.filter((e) => e.data.postId === post.id)).toHaveLength(1);
  await liked.stop();
});

test('killed between the post update and the comment write: the next request on the post finishes it', async () => {
  const post = await h.post(alice, 'crash test 2');
  crash.arm();
  expect((await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(bob)).send({ body: 'lost?' })).status).toBe(500);
  expect((await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(alice)).send({ body: 'next' })).status).toBe(201);
  const comments = await h.http.get(`/api/v1/posts/${post.id}/comments`);
  expect(comments.body.items.map((c: { body: string }) => c.body)).toEqual(['lost?', 'next']);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(2);
});
