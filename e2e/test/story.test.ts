/**
 * The whole story through the entry point only: two people, a follow, a photo, a post with a
 * hashtag and a mention, the home timeline, search, notifications, likes and comments, and
 * the post's deletion reaching every copy.
 */
import { expectations as expect_, Person, eventually, startE2eSystem, type E2eSystem } from './support';

let e2e: E2eSystem;
beforeAll(async () => {
  e2e = await startE2eSystem();
}, 120_000);
afterAll(() => e2e?.stop(), 60_000);

test('a post travels from its author to a follower, search and notifications, and leaves them when deleted', async () => {
  const ann = new Person(e2e.url, 'ann_story');
  const bob = new Person(e2e.url, 'bob_story');
  await ann.signUp();
  await bob.signUp();

  expect((await bob.call('PUT', `/api/users/${ann.id}/follow`)).status).toBe(204);
  const profile = await bob.call<{ user: { followerCount: number; isFollowing: boolean } }>('GET', `/api/users/${ann.username}`);
  expect(profile.body.user).toMatchObject({ followerCount: 1, isFollowing: true });

  const mediaId = await ann.uploadPhoto(1);
  const created = await ann.call<{ post: { id: string; hashtags: string[]; mentions: Array<{ username: string }> } }>(
    'POST',
    '/api/posts',
    {
      caption: 'Sunset over the harbour #GoldenHour with @bob_story',
      media: [{ id: mediaId, alt: 'The harbour at sunset' }],
    },
  );
  expect(created.status).toBe(201);
  const postId = created.body.post.id;
  expect(created.body.post.hashtags).toEqual(['goldenhour']);
  expect(created.body.post.mentions.map((m) => m.username)).toEqual(['bob_story']);

  const inBobsHome = await expect_.inHomeTimeline(bob, postId);
  expect(inBobsHome.caption).toContain('harbour');
  await expect_.inHomeTimeline(ann, postId); // authors see their own posts at home
  await expect_.searchFinds(bob, '/api/search/posts?q=harbour', postId);
  await expect_.searchFinds(bob, '/api/search/hashtags/goldenhour/posts', postId);
  await expect_.searchFinds(bob, '/api/search/posts?q=ann_story', postId);
  await expect_.notified(bob, 'mention', postId);

  expect((await bob.call('PUT', `/api/posts/${postId}/like`)).status).toBe(200);
  expect((await bob.call('POST', `/api/posts/${postId}/comments`, { body: 'Beautiful light!' })).status).toBe(201);
  await eventually(async () => {
    const item = await expect_.inHomeTimeline(bob, postId);
    if (item.likeCount !== 1 || item.commentCount !== 1) throw new Error(`counts are ${item.likeCount}/${item.commentCount}`);
  });
  await expect_.notified(ann, 'like', postId);
  await expect_.notified(ann, 'comment', postId);

  expect((await ann.call('DELETE', `/api/posts/${postId}`)).status).toBe(204);
  expect((await bob.call('GET', `/api/posts/${postId}`)).status).toBe(404);
  await expect_.goneFromHomeTimeline(bob, postId);
  await expect_.goneFromHomeTimeline(ann, postId);
  await expect_.searchMisses(bob, '/api/search/posts?q=harbour', postId);
  await expect_.searchMisses(bob, '/api/search/hashtags/goldenhour/posts', postId);
});
