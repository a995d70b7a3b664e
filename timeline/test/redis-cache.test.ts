/**
 * Redis is a cache that rebuilds itself: a flushed Redis gives every viewer the same pages (same
 * posts, same order, same counts, names and likes), feeds and cards are rebuilt from MongoDB's
 * copies on the first read or by the rebuild command; a viewer away longer than the activity
 * window gets no fan-out and finds the post when they come back; a home page reads no MongoDB.
 */
import { deleteKeysUnder, Events } from '@lumina/common';
import { bearer, deliver, edge, eventually, feedOf, firstPage, ownersOf, post, startTimeline, user, type Harness } from './helpers';
import { keys } from '../src/store/redis/keys';

let h: Harness;
const THRESHOLD = 3;

beforeAll(async () => {
  h = await startTimeline({ TIMELINE_FANOUT_THRESHOLD: String(THRESHOLD) });
});

afterAll(async () => {
  await h?.close();
});

/** Everything this service holds in Redis, gone (as with a new, flushed or evicted Redis). */
async function flushRedis(): Promise<void> {
  await deleteKeysUnder(h.svc.redis, '');
  expect(await feedOf(h, 'rc-viewer')).toEqual([]);
}

async function pages(viewer: string): Promise<unknown[]> {
  const res = await h.http.get('/api/v1/timeline').query({ limit: 100 }).set(bearer(viewer)).expect(200);
  return res.body.items;
}

test('after Redis is flushed, a viewer gets the same page: same posts, order, counts, names, likes and merged posts', async () => {
  const [viewer, a, b, star] = ['rc-viewer', 'rc-a', 'rc-b', 'rc-star'];
  for (const id of [viewer, a, b, star]) await h.publish(Events.userCreated, user(id, 1, { displayName: `Name ${id}` }));
  for (const followee of [a, b, star]) await h.publish(Events.userFollowed, edge(viewer, followee, 1));
  // rc-star is over the threshold: merged at read time.
  for (const f of ['rc-s1', 'rc-s2', 'rc-s3']) await h.publish(Events.userFollowed, edge(f, star, 1));
  await h.ctx.drained();
  const t0 = Date.now() - 600_000;
  for (let i = 0; i < 12; i += 1)
    await h.publish(Events.postCreated, post(`rc-${i}`, [a, b, star][i % 3] as string, { at: t0 + i * 1000 }));
  await h.publish(Events.postCreated, post('rc-own', viewer, { at: t0 + 500 }));
  await h.ctx.drained();
  await deliver(h, Events.postLiked, { postId: 'rc-4', postAuthorId: b, userId: viewer, likeCount: 7, version: 2 });
  await deliver(h, Events.commentCreated, {
    id: 'rc-c',
    postId: 'rc-4',
    postAuthorId: b,
    authorId: a,
    body: 'hi',
    mentions: [],
    commentCount: 3,
    createdAt: new Date().toISOString(),
    version: 3,
  });
  await deliver(h, Events.userUpdated, user(a, 2, { displayName: 'Renamed' }));
  await deliver(h, Events.postDeleted, { id: 'rc-7', authorId: b, version: 2 });

  const before = await pages(viewer);
  expect(before).toHaveLength(12); // 12 posts, one deleted, and the viewer's own
  expect(before).toContainEqual(expect.objectContaining({ id: 'rc-4', likeCount: 7, commentCount: 3, likedByViewer: true }));
  expect(before).toContainEqual(expect.objectContaining({ id: 'rc-0', author: expect.objectContaining({ displayName: 'Renamed' }) }));

  await flushRedis();
  expect(await pages(viewer)).toEqual(before);
  // Read once, the viewer's feed is whole again (the merged author's posts are not in it).
  expect(await feedOf(h, viewer)).toHaveLength(8);

  // The rebuild command gives the same, for every viewer at once.
  await flushRedis();
  const report = await h.svc.domain.builder.rebuildAll();
  expect(report.feeds).toBeGreaterThanOrEqual(4);
  expect(await feedOf(h, viewer)).toHaveLength(8);
  expect(await pages(viewer)).toEqual(before);
});

test('a follower away longer than the activity window gets no fan-out, and finds the post when they come back', async () => {
  const [author, away, here] = ['ia-author', 'ia-away', 'ia-here'];
  for (const f of [away, here]) await h.publish(Events.userFollowed, edge(f, author, 1));
  await h.ctx.drained();
  expect(await firstPage(h, away)).toEqual([]);
  // Time passes for the one who is away: their feed's activity window runs out.
  await h.svc.redis.pExpire(keys.feed(away), 1);
  await eventually(async () => expect(await h.svc.redis.exists(keys.feed(away))).toBe(0));

  await deliver(h, Events.postCreated, post('ia-p', author));
  expect((await ownersOf(h, 'ia-p')).sort()).toEqual([author, here].sort());
  // Back: the first read builds their feed, and the post is in it.
  expect((await firstPage(h, away)).map((p) => p.id)).toEqual(['ia-p']);
  expect(await feedOf(h, away)).toEqual(['ia-p']);
  // And the next post reaches them again by fan-out.
  await deliver(h, Events.postCreated, post('ia-q', author));
  expect(await feedOf(h, away)).toEqual(['ia-q', 'ia-p']);
});

test('a home page reads no MongoDB once its feed and cards are there', async () => {
  const [author, viewer] = ['nm-author', 'nm-viewer'];
  await deliver(h, Events.userCreated, user(author));
  await deliver(h, Events.userFollowed, edge(viewer, author, 1));
  for (let i = 0; i < 5; i += 1) await h.publish(Events.postCreated, post(`nm-${i}`, author));
  await h.ctx.drained();
  const first = await pages(viewer);
  expect(first).toHaveLength(5);

  // Every operation on the service's MongoDB collections from here on (mongoose's debug hook).
  const operations: string[] = [];
  h.svc.conn.set('debug', (collection: string, method: string) => operations.push(`${collection}.${method}`));
  try {
    for (let i = 0; i < 5; i += 1) expect(await pages(viewer)).toEqual(first);
    // (The hook does see the copies being read: explore reads the posts copy.)
    await h.http.get('/api/v1/timeline/explore').set(bearer(viewer)).expect(200);
  } finally {
    h.svc.conn.set('debug', false);
  }
  expect(operations).toEqual(['posts.find']);
});

test("a new post's card takes its author from the view Redis keeps, without MongoDB; a rename reaches posts from before and after it", async () => {
  const [author, viewer] = ['av-author', 'av-viewer'];
  await deliver(h, Events.userCreated, user(author, 1, { displayName: 'First' }));
  await deliver(h, Events.userFollowed, edge(viewer, author, 1));
  await deliver(h, Events.postCreated, post('av-1', author));

  const operations: string[] = [];
  h.svc.conn.set('debug', (collection: string, method: string) => operations.push(`${collection}.${method}`));
  try {
    await deliver(h, Events.postCreated, post('av-2', author));
  } finally {
    h.svc.conn.set('debug', false);
  }
  expect(operations.filter((op) => op.startsWith('authors.'))).toEqual([]);
  expect(operations.length).toBeGreaterThan(0); // the hook saw the post's own writes

  await deliver(h, Events.userUpdated, user(author, 2, { displayName: 'Second' }));
  await deliver(h, Events.postCreated, post('av-3', author));
  // Without the kept view (evicted, a new Redis) the card gets the author from MongoDB.
  await h.svc.redis.del(keys.author(author));
  await deliver(h, Events.postCreated, post('av-4', author));
  const names = (await pages(viewer)).map((p) => [(p as { id: string }).id, (p as { author: { displayName: string } }).author.displayName]);
  expect(names.sort()).toEqual([
    ['av-1', 'Second'],
    ['av-2', 'Second'],
    ['av-3', 'Second'],
    ['av-4', 'Second'],
  ]);
  expect(await h.svc.domain.stores.cards.authorView(author)).toEqual({
    author: expect.objectContaining({ displayName: 'Second' }),
    version: 2,
  });
});
