/**
 * The same story while services die without warning (SIGKILL) at the worst moments: the posts
 * service right after answering 201 (its event may still sit in the outbox), and the
 * consumers (timeline, search) while the events they need are published. Once each is back,
 * nothing is lost.
 */
import { authRoutes, postsRoutes } from '@lumina/contract';
import { AFTER_A_CRASH_MS, expectations as expect_, expectStatus, Person, eventually, startE2eSystem, type E2eSystem } from './support';

let e2e: E2eSystem;
beforeAll(async () => {
  e2e = await startE2eSystem();
}, 120_000);
afterAll(() => e2e?.stop(), 60_000);

test('nothing is lost when services are killed mid-way and restarted', async () => {
  const ann = new Person(e2e.url, 'ann_crash');
  const bob = new Person(e2e.url, 'bob_crash');
  await ann.signUp();
  await bob.signUp();
  expect((await bob.send(authRoutes.follow, { params: { id: ann.id } })).status).toBe(204);
  const mediaId = await ann.uploadPhoto(2);

  // The consumers are down while the post is written and published.
  const timeline = e2e.system.processes.get('timeline')!;
  const search = e2e.system.processes.get('search')!;
  await timeline.stop('SIGKILL');
  await search.stop('SIGKILL');
  await Promise.all([timeline.waitUntilSilent(), search.waitUntilSilent()]);

  const created = await ann.send(postsRoutes.createPost, {
    body: { caption: 'Lighthouse in the fog #coastline for @bob_crash', media: [{ id: mediaId, alt: 'A lighthouse' }] },
  });
  expectStatus(created, 201);
  const postId = created.body.post.id;
  // The producer dies right after its write: the event may not have left the outbox yet.
  await e2e.system.crashAndRestart('posts');

  expect((await bob.send(postsRoutes.like, { params: { id: postId } })).status).toBe(200);
  expect((await bob.send(postsRoutes.addComment, { params: { id: postId }, body: { body: 'Moody!' } })).status).toBe(201);

  timeline.start();
  search.start();
  await Promise.all([timeline.waitUntilReady(), search.waitUntilReady()]);

  await expect_.inHomeTimeline(bob, postId);
  await expect_.searchFinds(bob, { q: 'lighthouse' }, postId);
  await expect_.searchFinds(bob, { tag: 'coastline' }, postId);
  await expect_.notified(bob, 'mention', postId);
  await eventually(async () => {
    const item = await expect_.inHomeTimeline(bob, postId);
    if (item.likeCount !== 1 || item.commentCount !== 1) throw new Error(`counts are ${item.likeCount}/${item.commentCount}`);
  });

  // And the deletion, with the timeline killed just as it happens.
  expect((await ann.send(postsRoutes.deletePost, { params: { id: postId } })).status).toBe(204);
  await e2e.system.crashAndRestart('timeline');
  // The post.deleted the killed timeline may have taken comes back after ack_wait.
  await expect_.goneFromHomeTimeline(bob, postId, AFTER_A_CRASH_MS);
  await expect_.searchMisses(bob, { q: 'lighthouse' }, postId);
  // (testTimeout is global in a multi-project run, so the longer limit is set here.)
}, 150_000);
