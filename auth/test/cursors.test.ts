/** Every paginated route of auth answers a tampered cursor with 400 `field: "cursor"`, never 500. */
import { encodeTestCursor, hostileCursors } from '@lumina/common/testing';
import request from 'supertest';
import { setUpAuth, signUp, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setUpAuth();
});
afterAll(() => h.close());

const valid = { t: Date.now(), id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' };
const cursors = hostileCursors(valid, { t: 'time', id: 'id' });

test.each(['followers', 'following'])('GET /api/v1/users/:id/%s: every hostile cursor is a 400 on cursor', async (list) => {
  const user = await signUp(h.app);
  const path = `/api/v1/users/${user.id}/${list}`;
  await request(h.app)
    .get(path)
    .query({ cursor: encodeTestCursor(valid) })
    .expect(200);
  for (const cursor of cursors) {
    const res = await request(h.app).get(path).query({ cursor });
    expect({ cursor, status: res.status, body: res.body }).toEqual({
      cursor,
      status: 400,
      body: { errors: [{ message: 'Invalid cursor', field: 'cursor' }] },
    });
  }
});
