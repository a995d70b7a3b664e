/** Every paginated route of posts answers a tampered cursor with 400 `field: "cursor"`, never 500. */
import { encodeTestCursor, hostileCursors } from '@lumina/common/testing';
import { auth, Harness } from './harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

const valid = { t: Date.now(), id: 'post-0001' };
const cursors = hostileCursors(valid, { t: 'time', id: 'id' });

test('GET /api/v1/posts?authorId= and GET /api/v1/posts/:id/comments: every hostile cursor is a 400 on cursor', async () => {
  const author = await h.user();
  const post = await h.post(author);
  const routes = [
    { path: '/api/v1/posts', query: { authorId: author.id } },
    { path: `/api/v1/posts/${post.id}/comments`, query: {} },
  ];
  for (const { path, query } of routes) {
    await h.http
      .get(path)
      .set(auth(author))
      .query({ ...query, cursor: encodeTestCursor(valid) })
      .expect(200);
    for (const cursor of cursors) {
      const res = await h.http
        .get(path)
        .set(auth(author))
        .query({ ...query, cursor });
      expect({ path, cursor, status: res.status, body: res.body }).toEqual({
        path,
        cursor,
        status: 400,
        body: { errors: [{ message: 'Invalid cursor', field: 'cursor' }] },
      });
    }
  }
});
