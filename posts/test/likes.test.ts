/** Likes: idempotent, and likeCount exact when many requests arrive at once. */
import { Harness, auth, type TestUser } from './harness';

const h = new Harness();
let author: TestUser;
let fans: TestUser[];

beforeAll(async () => {
  await h.start();
  author = await h.user('poster');
  fans = await h.users(50);
});
afterAll(() => h.stop());

async function likeCount(postId: string): Promise<number> {
  return (await h.http.get(`/api/v1/posts/${postId}`)).body.post.likeCount;
}

test('like and unlike are idempotent and answer {liked, likeCount}', async () => {
  const post = await h.post(author);
  const [fan] = fans;
  expect((await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!))).body).toEqual({ liked: true, likeCount: 1 });
  expect((await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!))).body).toEqual({ liked: true, likeCount: 1 });
  const seen = await h.http.get(`/api/v1/posts/${post.id}`).set(auth(fan!));
  expect(seen.body.post).toMatchObject({ likeCount: 1, likedByViewer: true });
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(author))).body.post.likedByViewer).toBe(false);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.likedByViewer).toBe(false);

  expect((await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(fan!))).body).toEqual({ liked: false, likeCount: 0 });
  expect((await h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(fan!))).body).toEqual({ liked: false, likeCount: 0 });
  expect((await h.http.get(`/api/v1/posts/${post.id}`).set(auth(fan!))).body.post).toMatchObject({ likeCount: 0, likedByViewer: false });
});

test('50 users liking at once give likeCount 50', async () => {
  const post = await h.post(author);
  const answers = await Promise.all(fans.map((fan) => h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan))));
  expect(answers.map((a) => a.status)).toEqual(fans.map(() => 200));
  expect(await likeCount(post.id)).toBe(50);
  expect(await h.svc.models.Like.countDocuments({ postId: post.id, liked: true })).toBe(50);
  // Each answer saw its own like counted: every count from 1 to 50 exactly once.
  expect(answers.map((a) => a.body.likeCount).sort((a, b) => a - b)).toEqual(fans.map((_, i) => i + 1));
});

test('one user liking 50 times at once gives likeCount 1', async () => {
  const post = await h.post(author);
  const [fan] = fans;
  const answers = await Promise.all(Array.from({ length: 50 }, () => h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!))));
  expect(answers.every((a) => a.status === 200 && a.body.liked === true && a.body.likeCount === 1)).toBe(true);
  expect(await likeCount(post.id)).toBe(1);
  expect(await h.svc.models.Like.countDocuments({ postId: post.id })).toBe(1);
});

test('likes and unlikes mixed at once leave the count equal to the likes that remain', async () => {
  const post = await h.post(author);
  const group = fans.slice(0, 20);
  await Promise.all(group.map((fan) => h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan))));
  // Half of them unlike, the other half like again, all at once.
  await Promise.all(
    group.map((fan, i) =>
      i % 2 === 0
        ? h.http.delete(`/api/v1/posts/${post.id}/like`).set(auth(fan))
        : h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan)),
    ),
  );
  expect(await likeCount(post.id)).toBe(10);
  expect(await h.svc.models.Like.countDocuments({ postId: post.id, liked: true })).toBe(10);
});

test('likedByViewer in an author list marks exactly the posts the viewer likes', async () => {
  const someone = await h.user();
  const a = await h.post(someone, 'a');
  const b = await h.post(someone, 'b');
  const [fan] = fans;
  await h.http.put(`/api/v1/posts/${b.id}/like`).set(auth(fan!));
  const list = await h.http.get(`/api/v1/posts?authorId=${someone.id}`).set(auth(fan!));
  expect(list.body.items.map((p: { id: string; likedByViewer: boolean }) => [p.id, p.likedByViewer])).toEqual([
    [b.id, true],
    [a.id, false],
  ]);
});

test('liking needs a signed-in user, a valid id and a live post', async () => {
  const post = await h.post(author);
  expect((await h.http.put(`/api/v1/posts/${post.id}/like`)).status).toBe(401);
  expect((await h.http.put('/api/v1/posts/bad%24id/like').set(auth(fans[0]!))).status).toBe(400);
  expect((await h.http.put('/api/v1/posts/000000000000000000000000/like').set(auth(fans[0]!))).status).toBe(404);
  await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(author));
  expect((await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fans[0]!))).status).toBe(404);
});

test('a post with likedByViewer is a personal answer: private, no-store, varying on Cookie and Authorization', async () => {
  const post = await h.post(author);
  const [fan] = fans;
  await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!)).expect(200);
  const seen = await h.http.get(`/api/v1/posts/${post.id}`).set(auth(fan!)).expect(200);
  expect(seen.body.post.likedByViewer).toBe(true);
  expect(seen.headers['cache-control']).toBe('private, no-store');
  expect(seen.headers.vary).toMatch(/Cookie.*Authorization|Authorization.*Cookie/);
});

test('a like from another site (Origin) is 403 and likes nothing', async () => {
  const post = await h.post(author);
  const [fan] = fans;
  const res = await h.http.put(`/api/v1/posts/${post.id}/like`).set(auth(fan!)).set('Origin', 'https://evil.example');
  expect(res.status).toBe(403);
  expect(res.body).toEqual({ errors: [{ message: 'Cross-site request refused' }] });
  expect(await likeCount(post.id)).toBe(0);
});
