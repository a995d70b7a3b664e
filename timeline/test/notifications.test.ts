/**
 * Notifications from events: follow, like, comment, mention (in posts and in comments); never for
 * acting on your own post; one per (recipient, type, actor, post), so a like toggled ten times
 * makes one; listed newest first with the unread count; POST /read marks all read.
 */
import { Events, type EventData } from '@lumina/common';
import { bearer, deliver, edge, post, startTimeline, user, type Harness } from './helpers';

let h: Harness;

beforeAll(async () => {
  h = await startTimeline();
  for (const id of ['ann', 'bob', 'cat', 'dan']) await h.publish(Events.userCreated, user(id));
  await deliver(h, Events.postCreated, post('ann-post', 'ann'));
});

afterAll(async () => {
  await h?.close();
});

interface NotificationItem {
  id: string;
  type: string;
  actor: { id: string; username: string; displayName: string; avatar: unknown };
  post?: { id: string; caption: string; media: unknown[] } | null;
  createdAt: string;
  read: boolean;
}

async function list(
  viewer: string,
  query: Record<string, string | number> = {},
): Promise<{ items: NotificationItem[]; nextCursor: string | null; unread: number }> {
  return (await h.http.get('/api/v1/timeline/notifications').query(query).set(bearer(viewer)).expect(200)).body;
}

const like = (userId: string, version: number, likeCount = 1): EventData<typeof Events.postLiked> => ({
  postId: 'ann-post',
  postAuthorId: 'ann',
  userId,
  likeCount,
  version,
});
const comment = (
  id: string,
  authorId: string,
  version: number,
  mentions: Array<{ id: string; username: string }> = [],
): EventData<typeof Events.commentCreated> => ({
  id,
  postId: 'ann-post',
  postAuthorId: 'ann',
  authorId,
  body: 'a comment',
  mentions,
  commentCount: version,
  createdAt: new Date().toISOString(),
  version,
});

test('follow, like, comment and mention each notify, newest first, rendered with actor and post', async () => {
  await deliver(h, Events.userFollowed, edge('bob', 'ann', 1));
  await deliver(h, Events.postLiked, like('bob', 1));
  await deliver(h, Events.commentCreated, comment('c-1', 'cat', 2, [{ id: 'dan', username: 'u_dan' }]));
  await deliver(h, Events.postCreated, post('dan-post', 'dan', { mentions: [{ id: 'ann', username: 'u_ann' }] }));

  const page = await list('ann');
  expect(page.unread).toBe(4);
  expect(page.items.map((n) => [n.type, n.actor.id])).toEqual(
    expect.arrayContaining([
      ['follow', 'bob'],
      ['like', 'bob'],
      ['comment', 'cat'],
      ['mention', 'dan'],
    ]),
  );
  expect(page.items).toHaveLength(4);
  const likeItem = page.items.find((n) => n.type === 'like') as NotificationItem;
  expect(likeItem).toMatchObject({
    actor: { id: 'bob', username: 'u_bob', displayName: 'User bob', avatar: null },
    post: { id: 'ann-post', caption: 'caption of ann-post' },
    read: false,
  });
  expect(likeItem.post?.media).toHaveLength(1);
  expect(page.items.find((n) => n.type === 'follow')).not.toHaveProperty('post');
  // Newest first.
  const times = page.items.map((n) => n.createdAt);
  expect([...times].sort().reverse()).toEqual(times);
  // The comment's mention notified dan.
  expect((await list('dan')).items.map((n) => [n.type, n.actor.id, n.post?.id])).toEqual([['mention', 'cat', 'ann-post']]);
});

test('one like toggled ten times makes one notification; duplicates make none', async () => {
  for (let v = 10; v < 30; v += 2) {
    await h.publish(Events.postLiked, like('cat', v));
    await h.publish(Events.postUnliked, like('cat', v + 1, 0));
  }
  await deliver(h, Events.postLiked, like('cat', 10)); // a duplicate
  await deliver(h, Events.postUnliked, like('cat', 11, 0));
  const likes = (await list('ann')).items.filter((n) => n.type === 'like' && n.actor.id === 'cat');
  expect(likes).toHaveLength(1);
  await deliver(h, Events.userFollowed, edge('bob', 'ann', 1)); // redelivered follow
  expect((await list('ann')).items.filter((n) => n.type === 'follow')).toHaveLength(1);
});

test('never for acting on your own post, or mentioning yourself', async () => {
  const before = (await list('ann')).items.length;
  await deliver(h, Events.postLiked, like('ann', 40));
  await deliver(h, Events.commentCreated, comment('c-self', 'ann', 41, [{ id: 'ann', username: 'u_ann' }]));
  await deliver(h, Events.postCreated, post('ann-2', 'ann', { mentions: [{ id: 'ann', username: 'u_ann' }] }));
  expect((await list('ann')).items).toHaveLength(before);
});

test('pages with a cursor, POST /read marks all read (204), the count follows', async () => {
  const first = await list('ann', { limit: 2 });
  expect(first.items).toHaveLength(2);
  expect(first.nextCursor).toEqual(expect.any(String));
  const second = await list('ann', { limit: 2, cursor: first.nextCursor as string });
  const rest = await list('ann', { limit: 100 });
  expect([...first.items, ...second.items].map((n) => n.id)).toEqual(rest.items.slice(0, 4).map((n) => n.id));
  expect(rest.unread).toBe(rest.items.length);

  await h.http.post('/api/v1/timeline/notifications/read').set(bearer('ann')).expect(204);
  const after = await list('ann', { limit: 100 });
  expect(after.unread).toBe(0);
  expect(after.items.every((n) => n.read)).toBe(true);
  // Someone else's stay unread.
  expect((await list('dan')).unread).toBe(1);
  // New ones are unread again.
  await deliver(h, Events.userFollowed, edge('dan', 'ann', 1));
  expect((await list('ann')).unread).toBe(1);
});

test('a deleted post takes its notifications with it', async () => {
  await deliver(h, Events.postDeleted, { id: 'ann-post', authorId: 'ann', version: 2 });
  const items = (await list('ann', { limit: 100 })).items;
  expect(items.filter((n) => n.post?.id === 'ann-post')).toEqual([]);
  expect(items.map((n) => n.type).sort()).toEqual(['follow', 'follow', 'mention']);
});

test('a like, comment or mention handled after its post was deleted notifies nobody (found by the chaos run)', async () => {
  // Late events about ann-post (deleted above): redelivered after a killed consumer's ack_wait,
  // or republished out of order.
  await deliver(h, Events.postLiked, like('dan', 50));
  await deliver(h, Events.commentCreated, comment('c-late', 'dan', 51, [{ id: 'bob', username: 'u_bob' }]));
  await deliver(h, Events.postCreated, post('ann-post', 'ann', { mentions: [{ id: 'cat', username: 'u_cat' }] }));
  for (const viewer of ['ann', 'bob', 'cat']) {
    const items = (await list(viewer, { limit: 100 })).items;
    expect({ viewer, aboutDeletedPosts: items.filter((n) => n.post === null) }).toEqual({ viewer, aboutDeletedPosts: [] });
  }
});

test('signed-in only; marking read without a session writes nothing', async () => {
  await h.http.get('/api/v1/timeline/notifications').expect(401);
  await deliver(h, Events.userFollowed, edge('cat', 'bob', 1));
  await h.http.post('/api/v1/timeline/notifications/read').expect(401);
  expect((await list('bob')).unread).toBe(1);
});

test('the home timeline and notifications are personal answers: private, no-store, varying on Cookie and Authorization', async () => {
  for (const path of ['/api/v1/timeline', '/api/v1/timeline/notifications']) {
    const res = await h.http.get(path).set(bearer('ann')).expect(200);
    expect({ path, cacheControl: res.headers['cache-control'] }).toEqual({ path, cacheControl: 'private, no-store' });
    expect(res.headers.vary).toMatch(/Cookie.*Authorization|Authorization.*Cookie/);
  }
});

test('a body-less POST /read from another site is 403 and marks nothing read', async () => {
  await deliver(h, Events.userCreated, user('fay'));
  await deliver(h, Events.userFollowed, edge('fay', 'cat', 1));
  const before = await list('cat');
  expect(before.unread).toBeGreaterThan(0);
  const res = await h.http.post('/api/v1/timeline/notifications/read').set(bearer('cat')).set('Origin', 'https://evil.example');
  expect(res.status).toBe(403);
  expect((await list('cat')).unread).toBe(before.unread);
});
