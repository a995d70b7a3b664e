/**
 * The sweeper that finishes engagement ops a crashed process left half done finds them by a flag
 * raised with each op (top-level equality, which FerretDB pushes down; the range on
 * `_pending.at` it used before read every post, every 5 s), lowers the flag once no op is left,
 * and on its first pass in a process also finds ops an older release wrote without the flag.
 * "Crashed" is the afterPostUpdate hook throwing between the post update and the like write.
 * The sweeper's own timer is an hour, so every pass here is the test's.
 */
import { EngagementCrash, Harness, auth, type TestUser } from './harness';

const crash = new EngagementCrash();
const h = new Harness();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  await h.start({ PENDING_GRACE_MS: '0', PENDING_SWEEP_INTERVAL_MS: '3600000' }, { hooks: crash.hooks });
  alice = await h.user('alice');
  bob = await h.user('bob');
});
afterAll(() => h.stop());

const like = (postId: string) => h.http.put(`/api/v1/posts/${postId}/like`).set(auth(bob));
const flagOf = async (postId: string) => (await h.svc.models.Post.collection.findOne({ _id: postId } as never))?._pendingOps;
const likesOf = (postId: string) => h.svc.models.Like.countDocuments({ postId, userId: bob.id, liked: true });

test('the first pass finishes an op an older release left without the flag', async () => {
  const post = await h.post(alice, 'liked before the flag existed');
  crash.arm();
  expect((await like(post.id)).status).toBe(500);
  // As an older release wrote it: the op, and no flag.
  await h.svc.models.Post.collection.updateOne({ _id: post.id } as never, { $unset: { _pendingOps: '' } });
  expect(await likesOf(post.id)).toBe(0);
  expect(await h.svc.sweeper.sweepOnce()).toBe(1);
  expect(await likesOf(post.id)).toBe(1);
});

test('a like raises the flag and the next pass lowers it; a post nobody engaged with has none', async () => {
  const quiet = await h.post(alice, 'nobody likes this one');
  const liked = await h.post(alice, 'somebody likes this one');
  expect((await like(liked.id)).status).toBe(200);
  expect(await flagOf(liked.id)).toBe(true);
  expect(await flagOf(quiet.id)).toBeUndefined();
  expect(await h.svc.sweeper.sweepOnce()).toBe(0); // the like finished: nothing to do but the flag
  expect(await flagOf(liked.id)).toBeUndefined();
});

test('a later pass finds a crashed op by its flag, and lowers the flag on the pass after', async () => {
  const post = await h.post(alice, 'liked by a process that died');
  crash.arm();
  expect((await like(post.id)).status).toBe(500);
  expect(await flagOf(post.id)).toBe(true);
  expect(await h.svc.sweeper.sweepOnce()).toBe(1);
  expect(await likesOf(post.id)).toBe(1);
  expect(await h.svc.sweeper.sweepOnce()).toBe(0);
  expect(await flagOf(post.id)).toBeUndefined();
});
