/**
 * Every write route of posts is limited per user (429 with Retry-After), counted in the service's
 * MongoDB; and one post or comment notifies at most 20 mentioned users.
 */
import { USER_RATE_LIMIT_WINDOW_MS } from '@lumina/common';
import { clearOfWindowEdge } from '@lumina/common/testing';
import { auth, Harness } from './harness';

const h = new Harness();
beforeAll(() => h.start({ POST_WRITES_MAX_PER_MINUTE: '2', LIKES_MAX_PER_MINUTE: '3', COMMENTS_MAX_PER_MINUTE: '2' }));
afterAll(() => h.stop());
beforeEach(() => clearOfWindowEdge(USER_RATE_LIMIT_WINDOW_MS, 15_000));

function expectLimited(res: { status: number; headers: Record<string, string>; body: unknown }) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ errors: [{ message: 'Too many requests, try again later' }] });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
}

test('likes and unlikes: the 4th in a minute is 429 and changes nothing; another user still likes', async () => {
  const [author, fan, other] = await h.users(3);
  const post = await h.post(author!);
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!)).expect(200);
  await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(fan!)).expect(200);
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!)).expect(200);
  expectLimited(await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(fan!)));
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(fan!))).body.post).toMatchObject({ likeCount: 1, likedByViewer: true });
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(other!)).expect(200);
});

test('comments: the 3rd write in a minute is 429 and writes nothing', async () => {
  const [author, writer] = await h.users(2);
  const post = await h.post(author!);
  const first = await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(writer!)).send({ body: 'one' }).expect(201);
  await h.http.delete(`/api/v1/posts/${post.id}/comments/${first.body.comment.id}`).set(auth(writer!)).expect(204);
  expectLimited(await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(writer!)).send({ body: 'three' }));
  expect((await h.http.get(`/api/v1/posts/${post.id}/comments`)).body.items).toEqual([]);
});

test('posts: creating, editing and deleting share one limit; the 3rd is 429', async () => {
  const [poster] = await h.users(1);
  const post = await h.post(poster!);
  await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(poster!)).send({ caption: 'edited' }).expect(200);
  expectLimited(await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(poster!)));
  await h.http.get(`/api/v1/posts/${post.id}`).expect(200);
});

test('at most 20 users become mentions (and so notifications) of one post or comment', async () => {
  const [author, writer] = await h.users(2);
  const named = await h.users(25);
  const caption = named.map((u) => `@${u.username}`).join(' ');
  const post = await h.post(author!, caption);
  expect((post.mentions as Array<{ id: string }>).map((m) => m.id)).toEqual(named.slice(0, 20).map((u) => u.id));
  const comment = await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(writer!)).send({ body: caption }).expect(201);
  expect(comment.body.comment.mentions).toHaveLength(20);
});
