/** Comments: create, list oldest first with a cursor, delete by the comment's or the post's author. */
import { Harness, auth, type TestUser } from './harness';

const h = new Harness();
let author: TestUser;
let commenter: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  await h.start();
  author = await h.user('owner');
  commenter = await h.user('chatty', 'Chatty C.');
  stranger = await h.user('stranger');
});
afterAll(() => h.stop());

test('a comment is created with its mentions and counted on the post', async () => {
  const post = await h.post(author);
  const res = await h.http
    .post(`/api/v1/posts/${post.id}/comments`)
    .set(auth(commenter))
    .send({ body: '  Lovely, @owner! cc @ghost_user  ' });
  expect(res.status).toBe(201);
  expect(res.body.comment).toEqual({
    id: expect.any(String),
    postId: post.id,
    author: { id: commenter.id, username: 'chatty', displayName: 'Chatty C.', avatar: null },
    body: 'Lovely, @owner! cc @ghost_user',
    mentions: [{ id: author.id, username: 'owner' }],
    createdAt: expect.any(String),
  });
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(1);
});

test('comments list oldest first, page by page', async () => {
  const post = await h.post(author);
  const ids: string[] = [];
  for (let i = 0; i < 5; i += 1)
    ids.push(
      (
        await h.http
          .post(`/api/v1/posts/${post.id}/comments`)
          .set(auth(commenter))
          .send({ body: `comment ${i}` })
      ).body.comment.id,
    );
  const first = await h.http.get(`/api/v1/posts/${post.id}/comments?limit=3`);
  expect(first.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 3));
  const second = await h.http.get(`/api/v1/posts/${post.id}/comments?limit=3&cursor=${first.body.nextCursor}`);
  expect(second.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(3));
  expect(second.body.nextCursor).toBeNull();
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(5);
});

test('the comment author and the post author may delete a comment; anyone else gets 403', async () => {
  const post = await h.post(author);
  const mine = (await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(commenter)).send({ body: 'first' })).body.comment.id;
  const other = (await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(commenter)).send({ body: 'second' })).body.comment.id;

  expect((await h.http.delete(`/api/v1/posts/${post.id}/comments/${mine}`).set(auth(stranger))).status).toBe(403);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(2);

  expect((await h.http.delete(`/api/v1/posts/${post.id}/comments/${mine}`).set(auth(commenter))).status).toBe(204);
  expect((await h.http.delete(`/api/v1/posts/${post.id}/comments/${other}`).set(auth(author))).status).toBe(204);
  expect((await h.http.delete(`/api/v1/posts/${post.id}/comments/${other}`).set(auth(author))).status).toBe(404);

  const list = await h.http.get(`/api/v1/posts/${post.id}/comments`);
  expect(list.body.items).toEqual([]);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(0);
});

test('concurrent comments and deletions keep commentCount exact', async () => {
  const post = await h.post(author);
  const created = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      h.http
        .post(`/api/v1/posts/${post.id}/comments`)
        .set(auth(commenter))
        .send({ body: `burst ${i}` }),
    ),
  );
  expect(created.every((r) => r.status === 201)).toBe(true);
  const ids = created.map((r) => r.body.comment.id as string);
  // The same comment deleted five times at once counts once; five others go too.
  const deletions = await Promise.all([
    ...Array.from({ length: 5 }, () => h.http.delete(`/api/v1/posts/${post.id}/comments/${ids[0]}`).set(auth(commenter))),
    ...ids.slice(1, 6).map((id) => h.http.delete(`/api/v1/posts/${post.id}/comments/${id}`).set(auth(author))),
  ]);
  expect(
    deletions
      .slice(0, 5)
      .map((r) => r.status)
      .sort(),
  ).toEqual([204, 404, 404, 404, 404]);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(14);
  expect((await h.http.get(`/api/v1/posts/${post.id}/comments?limit=100`)).body.items).toHaveLength(14);
});

test('bad comments are refused with 400 and nothing written', async () => {
  const post = await h.post(author);
  await h.drained();
  const before = await h.counts();
  const bodies: unknown[] = [
    { body: '' },
    { body: '   ' },
    { body: 'x'.repeat(1001) },
    { body: { $gt: '' } },
    { body: ['a'] },
    {},
    { body: 'ok', postId: 'x' },
  ];
  for (const body of bodies) {
    const res = await h.http
      .post(`/api/v1/posts/${post.id}/comments`)
      .set(auth(commenter))
      .send(body as object);
    expect(res.status).toBe(400);
  }
  expect((await h.http.get(`/api/v1/posts/${post.id}/comments?cursor=nope`)).status).toBe(400);
  expect((await h.http.delete(`/api/v1/posts/${post.id}/comments/%7B%22%24gt%22%3A%22%22%7D`).set(auth(author))).status).toBe(400);
  expect(await h.counts()).toEqual(before);
  expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.commentCount).toBe(0);
});

test('comments on a deleted post are gone with it', async () => {
  const post = await h.post(author);
  await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(commenter)).send({ body: 'hello' });
  await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(author));
  expect((await h.http.get(`/api/v1/posts/${post.id}/comments`)).status).toBe(404);
  expect((await h.http.post(`/api/v1/posts/${post.id}/comments`).set(auth(commenter)).send({ body: 'late' })).status).toBe(404);
});
