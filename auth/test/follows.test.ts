import { Events, encodeCursor } from '@lumina/common';
import { eventually } from '@lumina/common/testing';
import request from 'supertest';
import { newId } from '../src/ids';
import { bearer, count, eventsIn, setUpAuth, signUp, sleep, type Harness, type SignedUp } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setUpAuth();
});
afterAll(() => h.close());

const api = () => request(h.app);
const follow = (who: SignedUp, whom: { id: string }) => api().put(`/api/v1/users/${whom.id}/follow`).set('Authorization', bearer(who));
const unfollow = (who: SignedUp, whom: { id: string }) => api().delete(`/api/v1/users/${whom.id}/follow`).set('Authorization', bearer(who));
const profileOf = async (user: SignedUp) => (await api().get(`/api/v1/users/${user.username}`)).body.user;

/** Every follow and unfollow event of one pair, by edge version. */
async function edgeEvents(follower: SignedUp, followee: SignedUp) {
  const mine = (e: { data: Record<string, unknown> }) => e.data.followerId === follower.id && e.data.followeeId === followee.id;
  type EdgeEvent = { type: string; version: number; occurredAt: string };
  const followed = (await eventsIn(h.bus, Events.userFollowed)).filter(mine).map((e) => ({ type: 'followed', ...e.data }) as EdgeEvent);
  const unfollowed = (await eventsIn(h.bus, Events.userUnfollowed))
    .filter(mine)
    .map((e) => ({ type: 'unfollowed', ...e.data }) as EdgeEvent);
  return [...followed, ...unfollowed].sort((a, b) => a.version - b.version);
}
async function edgeRow(follower: SignedUp, followee: SignedUp) {
  const [rows] = (await h.pool.query('SELECT active, version FROM follows WHERE follower_id = ? AND followee_id = ?', [
    follower.id,
    followee.id,
  ])) as unknown as [Array<{ active: number; version: number }>];
  return rows[0];
}

describe('PUT and DELETE /api/v1/users/:id/follow', () => {
  test('follow, follow again, unfollow, unfollow again, follow: one event per change, edge versions 1, 2, 3', async () => {
    const [a, b] = [await signUp(h.app), await signUp(h.app)];
    await follow(a, b).expect(204);
    await follow(a, b).expect(204); // idempotent
    expect(await profileOf(b)).toMatchObject({ followerCount: 1 });
    expect(await profileOf(a)).toMatchObject({ followingCount: 1 });
    await unfollow(a, b).expect(204);
    await unfollow(a, b).expect(204); // idempotent
    expect(await profileOf(b)).toMatchObject({ followerCount: 0 });
    await follow(a, b).expect(204);

    expect(await edgeRow(a, b)).toEqual({ active: 1, version: 3 });
    await h.snapshot();
    const events = await edgeEvents(a, b);
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ['followed', 1],
      ['unfollowed', 2],
      ['followed', 3],
    ]);
    expect(events[0]).toEqual({
      type: 'followed',
      followerId: a.id,
      followeeId: b.id,
      version: 1,
      occurredAt: expect.stringMatching(/Z$/),
    });
  });

  test('unfollowing someone never followed writes nothing', async () => {
    const [a, b] = [await signUp(h.app), await signUp(h.app)];
    const before = await h.snapshot();
    await unfollow(a, b).expect(204);
    expect(await h.snapshot()).toEqual(before);
    expect(await edgeRow(a, b)).toBeUndefined();
  });

  test('following oneself is 400; an unknown user 404; a malformed or injected id 400; signed out 401', async () => {
    const a = await signUp(h.app);
    const before = await h.snapshot();
    expect((await follow(a, a)).status).toBe(400);
    expect((await unfollow(a, a)).status).toBe(400);
    expect((await follow(a, { id: newId() })).status).toBe(404);
    for (const bad of ['123', "1' OR '1'='1", '{"$gt":""}', 'x'.repeat(200)]) {
      const res = await follow(a, { id: encodeURIComponent(bad) });
      expect([bad, res.status]).toEqual([bad, 400]);
      expect(res.body.errors[0].field).toBe('id');
    }
    expect((await api().put(`/api/v1/users/${a.id}/follow`)).status).toBe(401);
    expect(await h.snapshot()).toEqual(before);
  });
});

describe('GET /api/v1/users/:id/followers and /following', () => {
  test('pages newest follow first with a cursor, with no repeats and no gaps', async () => {
    const star = await signUp(h.app);
    const fans: SignedUp[] = [];
    for (let i = 0; i < 7; i += 1) {
      const fan = await signUp(h.app);
      await follow(fan, star).expect(204);
      fans.push(fan);
      await sleep(2); // distinct follow times, so "newest first" has one right answer
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const res: request.Response = await api()
        .get(`/api/v1/users/${star.id}/followers`)
        .query(cursor ? { limit: '3', cursor } : { limit: '3' });
      expect(res.status).toBe(200);
      sizes.push(res.body.items.length);
      seen.push(...res.body.items.map((u: { id: string }) => u.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(fans.map((f) => f.id).reverse());
  });

  test('the cursor stays right while new follows arrive and others leave', async () => {
    const star = await signUp(h.app);
    const fans: SignedUp[] = [];
    for (let i = 0; i < 5; i += 1) {
      fans.push(await signUp(h.app));
      await follow(fans[i]!, star).expect(204);
      await sleep(2);
    }
    const first = await api().get(`/api/v1/users/${star.id}/followers?limit=2`);
    expect(first.body.items.map((u: { id: string }) => u.id)).toEqual([fans[4]!.id, fans[3]!.id]);
    // meanwhile: a new follower (sorts before the cursor) and one of the first page leaves
    await follow(await signUp(h.app), star).expect(204);
    await unfollow(fans[4]!, star).expect(204);
    const rest = await api().get(`/api/v1/users/${star.id}/followers`).query({ limit: '10', cursor: first.body.nextCursor });
    expect(rest.body.items.map((u: { id: string }) => u.id)).toEqual([fans[2]!.id, fans[1]!.id, fans[0]!.id]);
    expect(rest.body.nextCursor).toBeNull();
  });

  test('items are public users (no email); following lists the other direction; unfollowed users leave', async () => {
    const [a, b, c] = [await signUp(h.app), await signUp(h.app), await signUp(h.app)];
    await follow(a, b).expect(204);
    await sleep(2);
    await follow(a, c).expect(204);
    const following = await api().get(`/api/v1/users/${a.id}/following`);
    expect(following.body.items.map((u: { id: string }) => u.id)).toEqual([c.id, b.id]);
    expect(Object.keys(following.body.items[0]).sort()).toEqual(['avatar', 'bio', 'createdAt', 'displayName', 'id', 'username']);
    expect(following.body.nextCursor).toBeNull();
    await unfollow(a, c).expect(204);
    expect((await api().get(`/api/v1/users/${a.id}/following`)).body.items.map((u: { id: string }) => u.id)).toEqual([b.id]);
    expect((await api().get(`/api/v1/users/${b.id}/followers`)).body.items.map((u: { id: string }) => u.id)).toEqual([a.id]);
    expect((await api().get(`/api/v1/users/${c.id}/followers`)).body).toEqual({ items: [], nextCursor: null });
  });

  test('bad limits and cursors are 400; an unknown user 404; a malformed id 400', async () => {
    const a = await signUp(h.app);
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=-1',
      'cursor=not-a-cursor',
      `cursor=${encodeCursor({ t: 'x', id: 1 })}`,
      'cursor=a&cursor=b',
      'limit=1&limit=2',
    ]) {
      const res = await api().get(`/api/v1/users/${a.id}/followers?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
    expect((await api().get(`/api/v1/users/${a.id}/following?limit=100`)).status).toBe(200);
    // The simple query parser makes no objects: `cursor[$gt]` is just an unknown parameter.
    expect((await api().get(`/api/v1/users/${a.id}/following?cursor[$gt]=`)).status).toBe(200);
    expect((await api().get(`/api/v1/users/${newId()}/followers`)).status).toBe(404);
    expect((await api().get('/api/v1/users/nope/following')).status).toBe(400);
  });
});

describe('races', () => {
  test('follow racing unfollow: the final state is the newest edge version, and each change has exactly one event', async () => {
    const [a, b] = [await signUp(h.app), await signUp(h.app)];
    const requests = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? unfollow(a, b) : follow(a, b)));
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set([204]));

    const edge = (await edgeRow(a, b))!;
    await h.snapshot(); // the relay has published everything
    const events = await edgeEvents(a, b);
    // one event per version 1..N, alternating followed (odd) and unfollowed (even)
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: edge.version }, (_, i) => i + 1));
    for (const e of events) expect(e.type).toBe(e.version % 2 === 1 ? 'followed' : 'unfollowed');
    const last = events[events.length - 1]!;
    expect(last.type === 'followed').toBe(edge.active === 1);
    expect((await profileOf(b)).followerCount).toBe(edge.active);
    expect((await profileOf(a)).followingCount).toBe(edge.active);
  });

  test('many users following each other at once: no deadlock failures, counters match the edges', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => signUp(h.app)));
    const calls: Array<Promise<request.Response>> = [];
    for (const x of users) for (const y of users) if (x !== y) calls.push(follow(x, y));
    expect(new Set((await Promise.all(calls)).map((r) => r.status))).toEqual(new Set([204]));
    for (const u of users) expect(await profileOf(u)).toMatchObject({ followerCount: 5, followingCount: 5 });
    const ids = users.map((u) => u.id);
    expect(await count(h.pool, 'SELECT COUNT(*) FROM follows WHERE active = 1 AND follower_id IN (?)', [ids])).toBe(30);
    await eventually(async () => {
      const events = (await eventsIn(h.bus, Events.userFollowed)).filter((e) => ids.includes(String(e.data.followerId)));
      expect(events).toHaveLength(30);
    });
  });
});
