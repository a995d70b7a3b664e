/**
 * Kept first pages (store/redis/pages-store.ts): a viewer's first home page is kept assembled,
 * and nothing it shows may go stale: a new or deleted post, an edited caption, a renamed author,
 * the viewer's own like, a comment or like on a post of a small audience, an unfollow, a post by
 * an author merged at read time. Only the counts of a post on more pages than the drop limit lag,
 * and by no more than the TTL. An assembly that raced a change keeps nothing.
 */
import { Events } from '@lumina/common';
import { bearer, deliver, edge, eventually, post, startTimeline, user, type Harness } from './helpers';
import { keys } from '../src/store/redis/keys';
import { timelineMetrics } from '../src/timeline-metrics';

let h: Harness;
const THRESHOLD = 3;

beforeAll(async () => {
  h = await startTimeline({ TIMELINE_FANOUT_THRESHOLD: String(THRESHOLD) });
});

afterAll(async () => {
  await h?.close();
});

type Item = {
  id: string;
  caption: string;
  likeCount: number;
  commentCount: number;
  likedByViewer: boolean;
  author: { displayName: string };
};

async function home(viewer: string): Promise<Item[]> {
  const res = await h.http.get('/api/v1/timeline').query({ limit: 20 }).set(bearer(viewer)).expect(200);
  return res.body.items;
}

async function keptReads(): Promise<number> {
  const counter = (await timelineMetrics().firstPages.get()).values.find((v) => v.labels.result === 'kept');
  return counter?.value ?? 0;
}

/** Reads the page until it is the kept one (an event handled meanwhile may have dropped it). */
async function keptHome(viewer: string): Promise<Item[]> {
  await home(viewer);
  expect(await h.svc.redis.hGet(keys.page(viewer), '20')).toBeTruthy();
  const before = await keptReads();
  const items = await home(viewer);
  expect(await keptReads()).toBe(before + 1);
  return items;
}

async function follows(viewer: string, ...authors: string[]): Promise<void> {
  for (const id of [viewer, ...authors]) await h.publish(Events.userCreated, user(id, 1, { displayName: `Name ${id}` }));
  await h.ctx.drained();
  for (const a of authors) await h.publish(Events.userFollowed, edge(viewer, a, 1));
  await h.ctx.drained();
}

test('the second read of a first page is the kept one, with the same body', async () => {
  await follows('fp-v1', 'fp-a1');
  await deliver(h, Events.postCreated, post('fp-1', 'fp-a1'));
  const assembled = await home('fp-v1');
  expect(assembled.map((p) => p.id)).toEqual(['fp-1']);
  expect(await keptHome('fp-v1')).toEqual(assembled);
  // Pages after the first are never kept.
  const next = await h.http
    .get('/api/v1/timeline')
    .query({ limit: 1, cursor: Buffer.from(JSON.stringify({ t: Date.now(), id: 'z' })).toString('base64url') })
    .set(bearer('fp-v1'));
  expect(next.status).toBe(200);
  expect(await h.svc.redis.hGet(keys.page('fp-v1'), '1')).toBeNull();
});

test('whatever a kept page shows changes it at once', async () => {
  const [viewer, a, b, fan] = ['fp-v2', 'fp-a2', 'fp-b2', 'fp-fan2'];
  await follows(viewer, a, b);
  await deliver(h, Events.userCreated, user(fan));
  const t0 = Date.now() - 60_000;
  await h.publish(Events.postCreated, post('fp-2a', a, { at: t0 }));
  await h.publish(Events.postCreated, post('fp-2b', b, { at: t0 + 1000 }));
  await h.ctx.drained();
  expect((await keptHome(viewer)).map((p) => p.id)).toEqual(['fp-2b', 'fp-2a']);

  await deliver(h, Events.postCreated, post('fp-2c', a, { at: t0 + 2000 }));
  expect((await home(viewer)).map((p) => p.id)).toEqual(['fp-2c', 'fp-2b', 'fp-2a']);

  await keptHome(viewer);
  await deliver(h, Events.postUpdated, post('fp-2a', a, { at: t0, caption: 'edited', version: 2 }));
  expect((await home(viewer)).find((p) => p.id === 'fp-2a')?.caption).toBe('edited');

  await keptHome(viewer);
  await deliver(h, Events.userUpdated, user(a, 2, { displayName: 'Renamed' }));
  expect((await home(viewer)).find((p) => p.id === 'fp-2c')?.author.displayName).toBe('Renamed');

  // Someone else's like (a small audience: dropped at once), then the viewer's own.
  await keptHome(viewer);
  await deliver(h, Events.postLiked, { postId: 'fp-2b', postAuthorId: b, userId: fan, likeCount: 1, version: 2 });
  expect((await home(viewer)).find((p) => p.id === 'fp-2b')).toMatchObject({ likeCount: 1, likedByViewer: false });
  await keptHome(viewer);
  await deliver(h, Events.postLiked, { postId: 'fp-2b', postAuthorId: b, userId: viewer, likeCount: 2, version: 3 });
  expect((await home(viewer)).find((p) => p.id === 'fp-2b')).toMatchObject({ likeCount: 2, likedByViewer: true });

  await keptHome(viewer);
  await deliver(h, Events.commentCreated, {
    id: 'fp-2-c1',
    postId: 'fp-2a',
    postAuthorId: a,
    authorId: fan,
    body: 'nice',
    mentions: [],
    commentCount: 1,
    createdAt: new Date().toISOString(),
    version: 3,
  });
  expect((await home(viewer)).find((p) => p.id === 'fp-2a')?.commentCount).toBe(1);

  await keptHome(viewer);
  await deliver(h, Events.postDeleted, { id: 'fp-2c', authorId: a, version: 2 });
  expect((await home(viewer)).map((p) => p.id)).toEqual(['fp-2b', 'fp-2a']);

  await keptHome(viewer);
  await deliver(h, Events.userUnfollowed, { ...edge(viewer, b, 2) });
  expect((await home(viewer)).map((p) => p.id)).toEqual(['fp-2a']);
});

test('a post by an author merged at read time shows on a page kept before it', async () => {
  const [viewer, star] = ['fp-v3', 'fp-star3'];
  await follows(viewer, star);
  for (const f of ['fp-s1', 'fp-s2', 'fp-s3']) await h.publish(Events.userFollowed, edge(f, star, 1));
  await h.ctx.drained();
  await deliver(h, Events.postCreated, post('fp-3a', star, { at: Date.now() - 5000 }));
  await eventually(async () => expect((await home(viewer)).map((p) => p.id)).toEqual(['fp-3a']));
  await keptHome(viewer);
  await deliver(h, Events.postCreated, post('fp-3b', star));
  expect((await home(viewer)).map((p) => p.id)).toEqual(['fp-3b', 'fp-3a']);
});

test('an assembly that raced a change keeps nothing', async () => {
  await follows('fp-v4', 'fp-a4');
  await deliver(h, Events.postCreated, post('fp-4', 'fp-a4'));
  const { pages } = h.svc.domain.stores;
  const read = await pages.read('fp-v4', 20);
  if (read.kind !== 'miss') throw new Error(`expected a miss, got ${read.kind}`);
  await pages.drop(['fp-v4']); // a change lands while the page is being assembled
  expect(await pages.put('fp-v4', 20, read.stamp, '{"items":[],"nextCursor":null}')).toBe(false);
  expect((await pages.read('fp-v4', 20)).kind).toBe('miss');
  // Without a change in between, the same assembly is kept.
  const again = await pages.read('fp-v4', 20);
  if (again.kind !== 'miss') throw new Error(`expected a miss, got ${again.kind}`);
  expect(await pages.put('fp-v4', 20, again.stamp, '{"items":[],"nextCursor":null}')).toBe(true);
  expect(await pages.read('fp-v4', 20)).toEqual({ kind: 'hit', body: Buffer.from('{"items":[],"nextCursor":null}') });
  await pages.drop(['fp-v4']);
});

describe('a post on more kept pages than the drop limit', () => {
  let popular: Harness;
  const TTL_MS = 4000;

  beforeAll(async () => {
    popular = await startTimeline({ TIMELINE_PAGE_COUNT_DROP_LIMIT: '0', TIMELINE_PAGE_TTL_MS: String(TTL_MS) });
  });
  afterAll(async () => {
    await popular?.close();
  });

  test('shows counts at most the TTL old, and the viewer’s own like at once', async () => {
    const [viewer, a, fan] = ['fp-v5', 'fp-a5', 'fp-fan5'];
    for (const id of [viewer, a, fan]) await popular.publish(Events.userCreated, user(id));
    await popular.ctx.drained();
    await deliver(popular, Events.userFollowed, edge(viewer, a, 1));
    await deliver(popular, Events.postCreated, post('fp-5', a));
    const read = async () =>
      (await popular.http.get('/api/v1/timeline').query({ limit: 20 }).set(bearer(viewer)).expect(200)).body.items[0];
    const keptFrom = Date.now();
    expect(await read()).toMatchObject({ id: 'fp-5', likeCount: 0 });

    await deliver(popular, Events.postLiked, { postId: 'fp-5', postAuthorId: a, userId: fan, likeCount: 1, version: 2 });
    const stale = await read();
    // Not dropped by the like: still the kept page while its TTL lasts (a very slow machine may
    // have let it expire, and then the count is already new).
    if (Date.now() - keptFrom < TTL_MS) expect(stale.likeCount).toBe(0);
    await eventually(async () => expect((await read()).likeCount).toBe(1), { timeoutMs: TTL_MS * 4 });

    await deliver(popular, Events.postLiked, { postId: 'fp-5', postAuthorId: a, userId: viewer, likeCount: 2, version: 3 });
    expect(await read()).toMatchObject({ likeCount: 2, likedByViewer: true });
  });
});
