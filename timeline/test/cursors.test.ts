/** Every paginated route of timeline answers a tampered cursor with 400 `field: "cursor"`, never 500. */
import { encodeTestCursor, hostileCursors } from '@lumina/common/testing';
import { bearer, startTimeline, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startTimeline();
});
afterAll(() => h?.close());

const timeId = { t: Date.now(), id: 'post-1' };
const score = { h: 12.5, id: 'post-1' };
const routes = [
  { path: '/api/v1/timeline', valid: timeId, cursors: hostileCursors(timeId, { t: 'time', id: 'id' }) },
  { path: '/api/v1/timeline/notifications', valid: timeId, cursors: hostileCursors(timeId, { t: 'time', id: 'id' }) },
  { path: '/api/v1/timeline/explore', valid: score, cursors: hostileCursors(score, { h: 'number', id: 'id' }) },
];

test.each(routes)('GET $path: every hostile cursor is a 400 on cursor', async ({ path, valid, cursors }) => {
  await h.http
    .get(path)
    .set(bearer('reader'))
    .query({ cursor: encodeTestCursor(valid) })
    .expect(200);
  for (const cursor of cursors) {
    const res = await h.http.get(path).set(bearer('reader')).query({ cursor });
    expect({ cursor, status: res.status, body: res.body }).toEqual({
      cursor,
      status: 400,
      body: { errors: [{ message: 'Invalid cursor', field: 'cursor' }] },
    });
  }
});
