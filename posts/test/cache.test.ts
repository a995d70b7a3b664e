/**
 * Redis in front of the reads (store/post-cache.ts, read-cache.ts): pages answer from it, every
 * write keeps it right, a fill racing a write cannot leave the older state, and flushing it loses
 * nothing. A fill is held between its MongoDB read and its Redis write with the beforeFill hook,
 * to place a write exactly in that gap.
 */
import { eventually } from '@lumina/common/testing';
import { postsMetrics } from '../src/posts-metrics';
import { PostCache, type CachedPost } from '../src/store/post-cache';
import { Harness, auth, mediaReadyData, type TestUser } from './harness';

interface HeldFill {
  /** Resolves once the fill has read MongoDB and waits to write Redis. */
  reached: Promise<void>;
  release(): void;
}

const held = new Map<string, { arrived: () => void; released: Promise<void> }>();

function holdFill(kind: 'post' | 'author' | 'like', id: string): HeldFill {
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  held.set(`${kind}:${id}`, { arrived, released });
  return { reached, release };
}

const h = new Harness();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  await h.start(
    {},
    {
      readHooks: {
        beforeFill: async (kind, id) => {
          const fill = held.get(`${kind}:${id}`);
          if (!fill) return;
          held.delete(`${kind}:${id}`);
          fill.arrived();
          await fill.released;
        },
      },
    },
  );
  alice = await h.user('alice');
  bob = await h.user('bob');
});
afterAll(() => h.stop());

const cachedEntry = async (postId: string) => JSON.parse((await h.svc.redis.get(`post:{${postId}}`)) ?? 'null') as CachedPost | null;

test('a post page is answered from Redis once read, and an edit is seen at once', async () => {
  const post = await h.post(alice, 'cached');
  expect((await cachedEntry(post.id))?._v).toEqual([1, 0]); // the create filled it
  await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'edited' });
  expect((await cachedEntry(post.id))?.caption).toBe('edited');
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.caption).toBe('edited');
});

test("lookups are counted for the dashboard's hit ratio: a post Redis holds is a hit, one it lacks a miss", async () => {
  const post = await h.post(alice, 'counted');
  const count = async (result: 'hit' | 'miss') =>
    (await postsMetrics().cacheLookups.get()).values.find((v) => v.labels.entry === 'post' && v.labels.result === result)?.value ?? 0;
  const [hits, misses] = [await count('hit'), await count('miss')];
  await h.http.get(`/api/v1/posts/${post.id}`).expect(200);
  expect([await count('hit'), await count('miss')]).toEqual([hits + 1, misses]);
  await h.svc.redis.del(`post:{${post.id}}`);
  await h.http.get(`/api/v1/posts/${post.id}`).expect(200);
  expect([await count('hit'), await count('miss')]).toEqual([hits + 1, misses + 1]);
});

test('a fill that read MongoDB before an edit cannot put the old post back', async () => {
  const post = await h.post(alice, 'first caption');
  await h.flushCache();
  const fill = holdFill('post', post.id);
  const staleRead = h.http.get(`/api/v1/posts/${post.id}`).then((res) => res);
  await fill.reached; // it holds version 1, read from MongoDB
  expect((await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'second caption' })).status).toBe(200);
  fill.release(); // its Redis write comes after the edit's: with "delete on write" it would win
  expect((await staleRead).body.post.caption).toBe('first caption'); // answered from its own read
  expect((await cachedEntry(post.id))?._v).toEqual([2, 0]);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.caption).toBe('second caption');
});

test('a fill racing a like cannot put the old count back', async () => {
  const post = await h.post(alice, 'liked during a fill');
  await h.flushCache();
  const fill = holdFill('post', post.id);
  const staleRead = h.http.get(`/api/v1/posts/${post.id}`).then((res) => res);
  await fill.reached;
  expect((await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob))).body).toEqual({ liked: true, likeCount: 1 });
  fill.release();
  expect((await staleRead).body.post.likeCount).toBe(0);
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(bob))).body.post).toMatchObject({ likeCount: 1, likedByViewer: true });
});

test("likedByViewer from Redis: a fill that read 'not liked' before the like cannot hide it", async () => {
  const post = await h.post(alice, 'liked by bob during a fill');
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(bob))).body.post.likedByViewer).toBe(false); // cached: no
  await h.flushCache();
  const fill = holdFill('like', `${post.id}:${bob.id}`);
  const staleRead = h.http
    .get(`/api/v1/posts/${post.id}`)
    .set(auth(bob))
    .then((res) => res);
  await fill.reached; // it read "no like row" from MongoDB
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob));
  fill.release();
  expect((await staleRead).body.post.likedByViewer).toBe(false);
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(bob))).body.post.likedByViewer).toBe(true);
  await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(bob));
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(bob))).body.post.likedByViewer).toBe(false);
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(alice))).body.post.likedByViewer).toBe(false);
});

test('an author list filled while a post is created and another deleted lists exactly the live posts', async () => {
  const author = await h.user();
  const kept = await h.post(author, 'kept');
  const doomed = await h.post(author, 'doomed');
  await h.flushCache();
  const fill = holdFill('author', author.id);
  const staleList = h.http.get(`/api/v1/posts?authorId=${author.id}`).then((res) => res);
  await fill.reached; // it read [doomed, kept] from MongoDB
  const fresh = await h.post(author, 'created during the fill');
  expect((await h.http.delete(`/api/v1/posts/${doomed.id}`).set(auth(author))).status).toBe(204);
  fill.release();
  await staleList;
  const ids = (await h.http.get(`/api/v1/posts?authorId=${author.id}`)).body.items.map((p: { id: string }) => p.id);
  expect(ids).toEqual([fresh.id, kept.id]);
});

test('entries are applied only if newer: an older, equal or reordered write changes nothing', async () => {
  const post = await h.post(alice, 'versions');
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(bob)); // engagement version 1
  const cache = new PostCache(h.svc.redis);
  const current = (await cachedEntry(post.id))!;
  expect(current._v).toEqual([1, 1]);
  expect(await cache.applyPost({ ...current, _v: [1, 0], likeCount: 0 })).toBe(false); // older
  expect(await cache.applyPost({ ...current, caption: 'same versions' })).toBe(false); // a duplicate
  // An edit (version 2) made before the like's count was read would be [2, 0]: still newer than [1, 1].
  expect(await cache.applyPost({ ...current, _v: [2, 0], caption: 'newer' })).toBe(true);
  expect(await cache.applyPost(current)).toBe(false);
  expect(await cache.applyPost({ _v: [3, 0], id: post.id, authorId: alice.id, createdAt: current.createdAt, deleted: true })).toBe(true);
  expect(await cache.applyPost({ ...current, _v: [2, 5] })).toBe(false); // a tombstone stays
});

test('flushing the prefix loses nothing: every page answers the same', async () => {
  const author = await h.user();
  const posts: Array<{ id: string }> = [];
  for (let i = 0; i < 5; i += 1) posts.push(await h.post(author, `post ${i} #tag @bob`));
  await h.http.put(`/api/v1/posts/${posts[1]!.id}/like`).set(auth(bob));
  await h.http.post(`/api/v1/posts/${posts[2]!.id}/comments`).set(auth(bob)).send({ body: 'nice' });
  await h.http.patch(`/api/v1/posts/${posts[3]!.id}`).set(auth(author)).send({ caption: 'edited' });
  await h.http.delete(`/api/v1/posts/${posts[4]!.id}`).set(auth(author));

  const readAll = async () => {
    const pages: Array<{ items: unknown[]; nextCursor: string | null }> = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res: { body: { items: unknown[]; nextCursor: string | null } } = await h.http
        .get(`/api/v1/posts?authorId=${author.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(auth(bob));
      pages.push(res.body);
      cursor = res.body.nextCursor;
    }
    const single = await Promise.all(posts.map(async (p) => (await h.http.get(`/api/v1/posts/${p.id}`).set(auth(bob))).body));
    return { pages, single };
  };
  const before = await readAll();
  expect(before.pages.flatMap((p) => p.items)).toHaveLength(4);
  await h.flushCache();
  expect(await h.svc.redis.exists(`author:{${author.id}}`)).toBe(0);
  expect(await readAll()).toEqual(before); // filled again from MongoDB
  expect(await readAll()).toEqual(before); // and answered from Redis
  expect(await h.svc.redis.exists(`author:{${author.id}}`)).toBe(1);
});

test('a renamed author and a re-processed image show on cached pages; an older event arriving late changes nothing', async () => {
  const author = await h.user('before_rename');
  const post = await h.post(author, 'rename me');
  const mediaId = (post.media as Array<{ id: string }>)[0]!.id;
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.author.username).toBe('before_rename');
  const user = (version: number, username: string) => ({ id: author.id, username, displayName: username, bio: '', avatar: null, version });
  await h.publishUserUpdated(user(3, 'third_name'));
  await h.publishMediaReady(mediaReadyData(mediaId, author.id, 2, { width: 640, height: 800 }));
  await eventually(async () => {
    const shown = (await h.http.get(`/api/v1/posts/${post.id}`)).body.post;
    expect(shown.author.username).toBe('third_name');
    expect(shown.media[0]).toMatchObject({ width: 640, height: 800 });
  });
  await h.publishUserUpdated(user(2, 'second_name'));
  await h.publishMediaReady(mediaReadyData(mediaId, author.id, 1));
  await h.drained(); // the older events have been handled
  const list = (await h.http.get(`/api/v1/posts?authorId=${author.id}`)).body.items[0];
  expect(list.author.username).toBe('third_name');
  expect(list.media[0]).toMatchObject({ width: 640, height: 800 });
});

test('every key carries a hash tag, so a Redis Cluster can shard them', async () => {
  await h.http.get(`/api/v1/posts?authorId=${alice.id}`);
  const keys: string[] = [];
  for await (const batch of h.svc.redis.scanIterator({ MATCH: `${h.redisPrefix}*`, COUNT: 1000 })) keys.push(...batch);
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys)
    expect(key.slice(h.redisPrefix.length)).toMatch(
      /^(post|user|media|author):\{[^{}]+\}$|^like:\{[^{}]+\}:[^{}]+$|^rate-limit:\{[^{}]+\}@\d+$/,
    );
});
