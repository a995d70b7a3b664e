/**
 * POST /notifications/read is limited per user (429 with Retry-After), counted in the service's
 * MongoDB; and however many mentions an event claims, at most 20 users are notified.
 */
import { Events, USER_RATE_LIMIT_WINDOW_MS } from '@lumina/common';
import { clearOfWindowEdge } from '@lumina/common/testing';
import { MAX_MENTION_NOTIFICATIONS } from '../src/domain/notifications';
import { bearer, deliver, post, startTimeline, user, type Harness } from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await startTimeline({ NOTIFICATIONS_READ_MAX_PER_MINUTE: '2' });
});
afterAll(() => h?.close());

test('the 3rd POST /notifications/read in a minute is 429 with Retry-After; another user is unaffected', async () => {
  await clearOfWindowEdge(USER_RATE_LIMIT_WINDOW_MS, 15_000);
  await h.http.post('/api/v1/timeline/notifications/read').set(bearer('reader')).expect(204);
  await h.http.post('/api/v1/timeline/notifications/read').set(bearer('reader')).expect(204);
  const refused = await h.http.post('/api/v1/timeline/notifications/read').set(bearer('reader')).expect(429);
  expect(refused.body).toEqual({ errors: [{ message: 'Too many requests, try again later' }] });
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  await h.http.post('/api/v1/timeline/notifications/read').set(bearer('someone-else')).expect(204);
});

test('a post.created claiming 30 mentions notifies only the first 20', async () => {
  const names = Array.from({ length: 30 }, (_, i) => `named${i}`);
  await deliver(h, Events.userCreated, user('crowd-author'));
  for (const id of names) await h.publish(Events.userCreated, user(id));
  const mentions = names.map((id) => ({ id, username: `u_${id}` }));
  await deliver(h, Events.postCreated, post('crowd-post', 'crowd-author', { mentions }));

  const notified: string[] = [];
  for (const id of names) {
    const res = await h.http.get('/api/v1/timeline/notifications').set(bearer(id)).expect(200);
    if ((res.body.items as Array<{ type: string }>).some((n) => n.type === 'mention')) notified.push(id);
  }
  expect(MAX_MENTION_NOTIFICATIONS).toBe(20);
  expect(notified).toEqual(names.slice(0, 20));
});
