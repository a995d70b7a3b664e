/**
 * The whole story through the entry point only: two people, a follow, a photo, a post with a
 * hashtag and a mention, the home timeline, search, notifications, likes and comments, and
 * the post's deletion reaching every copy.
 */
import { authRoutes, postsRoutes } from '@lumina/contract';
import { expectations as expect_, expectStatus, Person, eventually, startE2eSystem, type E2eSystem } from './support';

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

  expect((await bob.send(authRoutes.follow, { params: { id: ann.id } })).status).toBe(204);
  const profile = await bob.send(authRoutes.profile, { params: { username: ann.username } });
  expect(profile.body).toMatchObject({ user: { followerCount: 1, isFollowing: true } });

  const mediaId = await ann.uploadPhoto(1);
  const created = await ann.send(postsRoutes.createPost, {
    body: {
      caption: 'Sunset over the harbour #GoldenHour with @bob_story',
      media: [{ id: mediaId, alt: 'The harbour at sunset' }],
    },
  });
  expectStatus(created, 201);
  const postId = created.body.post.id;
  expect(created.body.post.hashtags).toEqual(['goldenhour']);
  expect(created.body.post.mentions.map((m) => m.username)).toEqual(['bob_story']);

  const inBobsHome = await expect_.inHomeTimeline(bob, postId);
  expect(inBobsHome.caption).toContain('harbour');
  await expect_.inHomeTimeline(ann, postId); // authors see their own posts at home
  await expect_.searchFinds(bob, { q: 'harbour' }, postId);
  await expect_.searchFinds(bob, { tag: 'goldenhour' }, postId);
  await expect_.searchFinds(bob, { q: 'ann_story' }, postId);
  await expect_.notified(bob, 'mention', postId);

  expect((await bob.send(postsRoutes.like, { params: { id: postId } })).status).toBe(200);
  expect((await bob.send(postsRoutes.addComment, { params: { id: postId }, body: { body: 'Beautiful light!' } })).status).toBe(201);
  await eventually(async () => {
    const item = await expect_.inHomeTimeline(bob, postId);
    if (item.likeCount !== 1 || item.commentCount !== 1) throw new Error(`counts are ${item.likeCount}/${item.commentCount}`);
  });
  await expect_.notified(ann, 'like', postId);
  await expect_.notified(ann, 'comment', postId);

  expect((await ann.send(postsRoutes.deletePost, { params: { id: postId } })).status).toBe(204);
  expect((await bob.send(postsRoutes.getPost, { params: { id: postId } })).status).toBe(404);
  await expect_.goneFromHomeTimeline(bob, postId);
  await expect_.goneFromHomeTimeline(ann, postId);
  await expect_.searchMisses(bob, { q: 'harbour' }, postId);
  await expect_.searchMisses(bob, { tag: 'goldenhour' }, postId);
});
