/**
 * @lumina/contract's typed client against the real posts service on its port: every posts route
 * called through it, each answer checked against its route's schema by the client (checkAnswers)
 * as well as by the service's own response check, and refusals thrown as ApiCallError carrying
 * the Error shape.
 */
import { ApiCallError, createApiClient, postsRoutes, type ApiClient } from '@lumina/contract';
import { Harness, type TestUser } from './harness';

const h = new Harness();
let alice: TestUser;
let bob: TestUser;
const as = (user?: TestUser): ApiClient =>
  createApiClient({
    baseUrl: `http://127.0.0.1:${h.svc.running.port}`,
    headers: () => (user ? { authorization: `Bearer ${user.token}` } : undefined),
    checkAnswers: true,
  });

beforeAll(async () => {
  await h.start();
  alice = await h.user('alice_tc', 'Alice');
  bob = await h.user('bob_tc', 'Bob');
});
afterAll(() => h.stop());

test('every posts route, called through the typed client, answers what its route declares', async () => {
  const mediaId = await h.readyMedia(alice.id);
  const { post } = await as(alice).call(postsRoutes.createPost, {
    body: { caption: 'Dawn with @bob_tc #Light', media: [{ id: mediaId, alt: 'dawn' }] },
  });
  expect(post).toMatchObject({ caption: 'Dawn with @bob_tc #Light', hashtags: ['light'], mentions: [{ id: bob.id, username: 'bob_tc' }] });

  expect((await as().call(postsRoutes.getPost, { params: { id: post.id } })).post.id).toBe(post.id);
  const page = await as(bob).call(postsRoutes.postsByAuthor, { query: { authorId: alice.id, limit: '5' } });
  expect(page.items.map((p) => p.id)).toEqual([post.id]);
  expect(page.nextCursor).toBeNull();

  expect(await as(alice).call(postsRoutes.editPost, { params: { id: post.id }, body: { caption: 'Dusk' } })).toMatchObject({
    post: { id: post.id, caption: 'Dusk' },
  });
  expect(await as(bob).call(postsRoutes.like, { params: { id: post.id } })).toEqual({ liked: true, likeCount: 1 });
  expect(await as(bob).call(postsRoutes.unlike, { params: { id: post.id } })).toEqual({ liked: false, likeCount: 0 });

  const { comment } = await as(bob).call(postsRoutes.addComment, { params: { id: post.id }, body: { body: 'Lovely' } });
  expect(comment).toMatchObject({ postId: post.id, body: 'Lovely', author: { id: bob.id } });
  const comments = await as().call(postsRoutes.listComments, { params: { id: post.id } });
  expect(comments.items.map((c) => c.id)).toEqual([comment.id]);
  expect(await as(bob).call(postsRoutes.deleteComment, { params: { id: post.id, commentId: comment.id } })).toBeUndefined();

  const deleted = await as(alice).send(postsRoutes.deletePost, { params: { id: post.id } });
  expect({ ok: deleted.ok, status: deleted.status, body: deleted.body }).toEqual({ ok: true, status: 204, body: undefined });
  const gone = await as().send(postsRoutes.getPost, { params: { id: post.id } });
  expect(gone).toMatchObject({ ok: false, status: 404, body: { errors: [{ message: expect.any(String) }] } });
});

test('a refusal is an ApiCallError with the Error shape: the field at fault, or the status', async () => {
  const tooLong = await as(alice)
    .call(postsRoutes.createPost, { body: { caption: 'x'.repeat(2201), media: [{ id: await h.readyMedia(alice.id) }] } })
    .catch((err: unknown) => err);
  expect(tooLong).toBeInstanceOf(ApiCallError);
  expect(tooLong).toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'caption' })] });

  const anonymous = await as()
    .call(postsRoutes.like, { params: { id: 'some-post' } })
    .catch((err: unknown) => err);
  expect(anonymous).toMatchObject({ status: 401, errors: [{ message: expect.any(String) }] });
});
