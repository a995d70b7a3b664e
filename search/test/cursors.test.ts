/** Every paginated route of search answers a tampered cursor with 400 `field: "cursor"`, never 500. */
import { encodeTestCursor, hostileCursors, TestContext } from '@lumina/common/testing';
import { startSearch, type SearchHarness } from './helpers';

const ctx = new TestContext();
let h: SearchHarness;
beforeAll(async () => {
  h = await startSearch(ctx);
});
afterAll(() => ctx.cleanup());

const ranked = { a: Date.now() - (Date.now() % 1000), s: '1.5', id: 'p-1' };
const timeId = { t: Date.now(), id: 'p-1' };
const hashtag = { e: 1, c: 3, t: 'cats' };
const routes = [
  {
    path: '/api/v1/search/users?q=ada',
    valid: { s: '1.5', id: 'u-1' },
    cursors: hostileCursors({ s: '1.5', id: 'u-1' }, { s: 'text', id: 'id' }),
  },
  { path: '/api/v1/search/posts?q=cats', valid: ranked, cursors: hostileCursors(ranked, { a: 'time', s: 'text', id: 'id' }, ['a']) },
  { path: '/api/v1/search/hashtags?q=cats', valid: hashtag, cursors: hostileCursors(hashtag, { e: 'count', c: 'count', t: 'text' }) },
  { path: '/api/v1/search/hashtags/cats/posts', valid: timeId, cursors: hostileCursors(timeId, { t: 'time', id: 'id' }) },
];

test.each(routes)('GET $path: every hostile cursor is a 400 on cursor', async ({ path, valid, cursors }) => {
  const join = path.includes('?') ? '&' : '?';
  await h.get(`${path}${join}cursor=${encodeTestCursor(valid)}`).expect(200);
  for (const cursor of cursors) {
    const res = await h.get(`${path}${join}cursor=${encodeURIComponent(cursor)}`);
    expect({ cursor, status: res.status, body: res.body }).toEqual({
      cursor,
      status: 400,
      body: { errors: [{ message: 'Invalid cursor', field: 'cursor' }] },
    });
  }
});
