/**
 * The outbox relay's poll is only for what a dead process left behind: with a poll of a minute,
 * every write still reaches NATS at once, because the writer wakes the relay in its process.
 */
import { Events } from '@lumina/common';
import { collectEvents, eventually } from '@lumina/common/testing';
import { Harness, auth, type TestUser } from './harness';

const h = new Harness();
const WOKEN_WITHIN_MS = 10_000;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  await h.start({ OUTBOX_POLL_INTERVAL_MS: '60000' });
  alice = await h.user('alice');
  bob = await h.user('bob');
});
afterAll(() => h.stop());

test('with a one-minute poll, each write is published within seconds and the flag comes down', async () => {
  const created = await collectEvents(h.bus, Events.postCreated);
  const liked = await collectEvents(h.bus, Events.postLiked);
  const updated = await collectEvents(h.bus, Events.postUpdated);
  const deleted = await collectEvents(h.bus, Events.postDeleted);
  // The relay's first poll (at start) is behind us; the next is a minute away. Each wait is bounded
  // so that all four together stay under that minute: only the wake-up can have published them.
  const post = await h.post(alice, 'wake up');
  await created.waitFor((d) => d.id === post.id, WOKEN_WITHIN_MS);
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob));
  await liked.waitFor((d) => d.postId === post.id, WOKEN_WITHIN_MS);
  await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'awake' });
  await updated.waitFor((d) => d.id === post.id, WOKEN_WITHIN_MS);
  await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(alice));
  await deleted.waitFor((d) => d.id === post.id, WOKEN_WITHIN_MS);
  await eventually(async () => {
    const doc = await h.svc.models.Post.collection.findOne({ _id: post.id } as never);
    expect(doc?._outbox).toEqual([]);
    expect(doc?._outboxPending).toBeUndefined();
  });
  for (const c of [created, liked, updated, deleted]) await c.stop();
});
