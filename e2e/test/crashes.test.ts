/**
 * The same story while services die without warning (SIGKILL) at the worst moments: the posts
 * service right after answering 201 (its event may still sit in the outbox), and the
 * consumers (timeline, search) while the events they need are published. Once each is back,
 * nothing is lost. And the launcher's own restart: a service killed from outside is started again,
 * one stopped through the launcher is not.
 */
import type { ChildProcess } from 'node:child_process';
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

test('a service killed from outside is started again on its port and counted once; one stopped through the launcher is neither', async () => {
  const auth = e2e.system.processes.get('auth')!;
  const { url } = auth;
  const exitsBefore = auth.unexpectedExits;
  const ready = () =>
    eventually(async () => {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`auth's /readyz answered ${res.status}`);
    }, 90_000);
  const replaced = (old: ChildProcess) =>
    eventually(async () => {
      if (auth.child === old) throw new Error('auth has not been started again');
    }, 30_000);

  // SIGKILL from outside the launcher, as the OOM killer sends it.
  const killed = auth.child!;
  process.kill(killed.pid!, 'SIGKILL');
  await replaced(killed);
  await ready();
  expect(auth.child!.pid).not.toBe(killed.pid);
  expect(auth.unexpectedExits).toBe(exitsBefore + 1);
  await new Person(e2e.url, 'cat_restart').signUp();

  // Restarted through the launcher: a clean stop, not a crash, and one new process.
  const beforeRestart = auth.child!;
  await e2e.system.restart('auth');
  const afterRestart = auth.child!;
  expect(afterRestart.pid).not.toBe(beforeRestart.pid);
  expect(auth.unexpectedExits).toBe(exitsBefore + 1);

  // Stopped through the launcher with the crash's own signal: it stays down. An absence has no
  // moment to wait for, so it is watched for three times the launcher's 1 s restart delay.
  await auth.stop('SIGKILL');
  await auth.waitUntilSilent();
  const watchUntil = Date.now() + 3_000;
  while (Date.now() < watchUntil) {
    expect(auth.child!.pid).toBe(afterRestart.pid);
    await new Promise((r) => setTimeout(r, 200));
  }
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  expect(auth.unexpectedExits).toBe(exitsBefore + 1);

  // Whole again for whatever runs after.
  auth.start();
  await ready();
}, 240_000);
