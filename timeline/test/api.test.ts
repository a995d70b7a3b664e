/**
 * The HTTP edge: explore's ranking and paging, input validation (400 with the field, nothing
 * written), sign-in requirements, health and readiness.
 */
import { Events } from '@lumina/common';
import { bearer, deliver, edge, post, startTimeline, user, type Harness } from './helpers';
import { apiDocsProblems } from '@lumina/common/testing';
import { hotScore } from '../src/domain/ranking';

let h: Harness;
const HOUR = 3600_000;

beforeAll(async () => {
  h = await startTimeline();
  await h.publish(Events.userCreated, user('ex-a'));
  const now = Date.now();
  // Engagement with time decay: an older post needs much more engagement to rank above a newer one.
  const posts = [
    { id: 'ex-fresh-quiet', at: now - 1 * HOUR, likes: 0 },
    { id: 'ex-fresh-liked', at: now - 1 * HOUR, likes: 20 },
    { id: 'ex-day-old-hit', at: now - 24 * HOUR, likes: 5000 },
    { id: 'ex-day-old-quiet', at: now - 24 * HOUR, likes: 1 },
    { id: 'ex-too-old', at: now - 8 * 24 * HOUR, likes: 100_000 },
  ];
  for (const p of posts) await h.publish(Events.postCreated, post(p.id, 'ex-a', { at: p.at }));
  await h.ctx.drained();
  for (const p of posts)
    if (p.likes) await h.publish(Events.postLiked, { postId: p.id, postAuthorId: 'ex-a', userId: 'fan', likeCount: p.likes, version: 1 });
  for (let i = 0; i < 30; i += 1) await h.publish(Events.postCreated, post(`ex-filler-${i}`, 'ex-a', { at: now - 2 * HOUR - i * 60_000 }));
  await h.ctx.drained();
});

afterAll(async () => {
  await h?.close();
});

describe('explore', () => {
  test('ranks recent posts by engagement with time decay, and leaves out old ones', async () => {
    const res = await h.http.get('/api/v1/timeline/explore').query({ limit: 100 }).expect(200);
    const ids: string[] = res.body.items.map((p: { id: string }) => p.id);
    expect(ids).not.toContain('ex-too-old');
    expect(ids).toHaveLength(34);
    expect(ids.indexOf('ex-day-old-hit')).toBeLessThan(ids.indexOf('ex-fresh-liked'));
    expect(ids.indexOf('ex-fresh-liked')).toBeLessThan(ids.indexOf('ex-fresh-quiet'));
    expect(ids.indexOf('ex-fresh-quiet')).toBeLessThan(ids.indexOf('ex-day-old-quiet'));
    expect(res.body.items[0]).toMatchObject({
      author: { id: 'ex-a', username: 'u_ex-a' },
      likeCount: expect.any(Number),
      commentCount: 0,
      likedByViewer: false,
    });
    // The order is the score's.
    const scores = res.body.items.map((p: { likeCount: number; commentCount: number; createdAt: string }) =>
      hotScore(p.likeCount, p.commentCount, new Date(p.createdAt)),
    );
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  test('pages with an offset-free cursor: the walk equals one big page', async () => {
    const all = (await h.http.get('/api/v1/timeline/explore').query({ limit: 100 }).expect(200)).body.items.map(
      (p: { id: string }) => p.id,
    );
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await h.http
        .get('/api/v1/timeline/explore')
        .query(cursor ? { limit: 7, cursor } : { limit: 7 })
        .expect(200);
      walked.push(...res.body.items.map((p) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual(all);
  });

  test('likedByViewer for a signed-in viewer', async () => {
    await deliver(h, Events.postLiked, { postId: 'ex-fresh-quiet', postAuthorId: 'ex-a', userId: 'me', likeCount: 1, version: 2 });
    const res = await h.http.get('/api/v1/timeline/explore').query({ limit: 100 }).set(bearer('me')).expect(200);
    const liked = res.body.items.filter((p: { likedByViewer: boolean }) => p.likedByViewer).map((p: { id: string }) => p.id);
    expect(liked).toEqual(['ex-fresh-quiet']);
  });
});

describe('input at the edge', () => {
  test.each([
    ['limit=0', { limit: '0' }, 'limit'],
    ['limit=101', { limit: '101' }, 'limit'],
    ['limit=abc', { limit: 'abc' }, 'limit'],
    ['limit twice', 'limit=1&limit=2', 'limit'],
    ['a garbage cursor', { cursor: 'not-a-cursor' }, 'cursor'],
    ['a cursor of the wrong shape', { cursor: Buffer.from(JSON.stringify({ t: 'x', id: 1 })).toString('base64url') }, 'cursor'],
    ['an operator in the cursor', { cursor: Buffer.from(JSON.stringify({ t: { $gt: 0 }, id: 'a' })).toString('base64url') }, 'cursor'],
    ['cursor twice', 'cursor=a&cursor=b', 'cursor'],
  ])('home, explore and notifications answer 400 for %s', async (_name, query, field) => {
    for (const path of ['/api/v1/timeline', '/api/v1/timeline/explore', '/api/v1/timeline/notifications']) {
      const res = await h.http.get(path).query(query).set(bearer('v')).expect(400);
      expect(res.body.errors[0]).toMatchObject({ field });
    }
  });

  test('home and notifications need a session; explore does not', async () => {
    await h.http.get('/api/v1/timeline').expect(401);
    await h.http.get('/api/v1/timeline/notifications').expect(401);
    await h.http.get('/api/v1/timeline').set('Authorization', 'Bearer not-a-token').expect(401);
    await h.http.get('/api/v1/timeline/explore').expect(200);
  });

  test('a page from a valid cursor of the home timeline', async () => {
    await deliver(h, Events.userFollowed, edge('pager', 'ex-a', 1));
    const first = (await h.http.get('/api/v1/timeline').query({ limit: 3 }).set(bearer('pager')).expect(200)).body;
    expect(first.items).toHaveLength(3);
    const second = (await h.http.get('/api/v1/timeline').query({ limit: 3, cursor: first.nextCursor }).set(bearer('pager')).expect(200))
      .body;
    expect(second.items).toHaveLength(3);
    expect(new Date(second.items[0].createdAt).getTime()).toBeLessThanOrEqual(new Date(first.items[2].createdAt).getTime());
  });

  test('unknown routes are 404 in the error shape', async () => {
    const res = await h.http.get('/api/v1/timeline/nope').set(bearer('v')).expect(404);
    expect(res.body.errors[0].message).toEqual(expect.any(String));
  });
});

test('health and readiness', async () => {
  await h.http.get('/healthz').expect(200);
  const ready = await h.http.get('/readyz').expect(200);
  expect(ready.body.checks).toEqual({ mongo: 'ok', nats: 'ok', redis: 'ok' });
  const metrics = await h.http.get('/metrics').expect(200);
  expect(metrics.text).toContain('events_handled_total');
  expect(metrics.text).toMatch(/timeline_fanout_entries_total [1-9]/);
  expect(metrics.text).toMatch(/timeline_feed_build_duration_seconds_count [1-9]/); // ex-a posted without a feed of its own (beforeAll)
  expect(metrics.text).toContain('timeline_open_streams');
});

test('serves its OpenAPI 3.1 document (valid, every mounted route in it) and Swagger UI, on its port and under /api/v1/timeline', async () => {
  expect(await apiDocsProblems(h.svc.running.server, '/api/v1/timeline')).toEqual([]);
});
