/**
 * The copies fed by events, delivered in every order and more than once: follow edges (by edge
 * version), posts (by post version), counts (by engagement version); following brings posts in,
 * unfollowing takes them out; timelines are trimmed to their newest entries.
 */
import { Events } from '@lumina/common';
import {
  activate,
  bearer,
  countPost,
  deliver,
  edge,
  feedOf,
  firstPage,
  ownersOf,
  seedFollowers,
  post,
  startTimeline,
  user,
  type Harness,
} from './helpers';

let h: Harness;
const MAX = 30;

beforeAll(async () => {
  h = await startTimeline({
    TIMELINE_MAX_ENTRIES: String(MAX),
    TIMELINE_TRIM_SLACK: '5',
    TIMELINE_TRIM_SAMPLE: '1',
    TIMELINE_BACKFILL_POSTS: '20',
  });
});

afterAll(async () => {
  await h?.close();
});

const stores = () => h.svc.domain.stores;
const entryOf = async (ownerId: string, postId: string) => (await feedOf(h, ownerId)).includes(postId);

type Step = 'follow' | 'post' | 'unfollow';
const permutations = (steps: Step[]): Step[][] =>
  steps.length <= 1
    ? [steps]
    : steps.flatMap((s, i) => permutations([...steps.slice(0, i), ...steps.slice(i + 1)]).map((rest) => [s, ...rest]));

describe('follow, post and unfollow in any order', () => {
  test.each(permutations(['follow', 'post', 'unfollow']).map((order) => [order.join(' → '), order] as const))(
    'follow (v1), post, unfollow (v2) delivered as %s: the post is not in the timeline',
    async (_name, order) => {
      const tag = order.map((s) => s[0]).join('');
      const [follower, author, postId] = [`fo-${tag}`, `au-${tag}`, `po-${tag}`];
      for (const step of order) {
        if (step === 'follow') await deliver(h, Events.userFollowed, edge(follower, author, 1));
        if (step === 'unfollow') await deliver(h, Events.userUnfollowed, edge(follower, author, 2));
        if (step === 'post') await deliver(h, Events.postCreated, post(postId, author));
      }
      expect(await stores().follows.get(follower, author)).toMatchObject({ state: 'inactive', version: 2 });
      expect(await entryOf(follower, postId)).toBe(false);
      expect(await entryOf(author, postId)).toBe(true); // the author's own home has it
      expect(await firstPage(h, follower)).toEqual([]);
    },
  );

  test.each(permutations(['unfollow', 'post', 'follow']).map((order) => [order.join(' → '), order] as const))(
    'unfollow (v2), post, follow again (v3) delivered as %s: the post is in the timeline',
    async (_name, order) => {
      const tag = order.map((s) => s[0]).join('');
      const [follower, author, postId] = [`re-${tag}`, `ra-${tag}`, `rp-${tag}`];
      for (const step of order) {
        if (step === 'unfollow') await deliver(h, Events.userUnfollowed, edge(follower, author, 2));
        if (step === 'follow') await deliver(h, Events.userFollowed, edge(follower, author, 3));
        if (step === 'post') await deliver(h, Events.postCreated, post(postId, author));
      }
      expect(await stores().follows.get(follower, author)).toMatchObject({ state: 'active', version: 3 });
      expect((await firstPage(h, follower)).map((p) => p.id)).toEqual([postId]);
    },
  );
});

describe('changes handled while a fan-out is writing', () => {
  /** Runs `during` between the fan-out's read of the followers and its writes to their feeds. */
  async function withRace(during: () => Promise<void>, act: () => Promise<void>): Promise<void> {
    const { builder } = h.svc.domain;
    const original = builder.followersOf.bind(builder);
    builder.followersOf = async (authorId: string, atMost: number) => {
      const followers = await original(authorId, atMost);
      if (followers.length > 0) await during();
      return followers;
    };
    try {
      await act();
    } finally {
      builder.followersOf = original;
    }
  }

  test('an unfollow handled in between still takes the post out of that timeline', async () => {
    const author = 'race-a';
    await seedFollowers(h, author, ['race-1', 'race-2', 'race-3']);
    await activate(h);
    await withRace(
      () => h.svc.domain.home.unfollowed(edge('race-2', author, 2)),
      () => deliver(h, Events.postCreated, post('race-p', author)),
    );
    expect((await ownersOf(h, 'race-p')).sort()).toEqual(['race-1', 'race-3', author].sort());
  });

  test('a delete handled in between still takes the post out of every timeline', async () => {
    const author = 'race-d';
    await seedFollowers(h, author, ['race-4', 'race-5']);
    await activate(h);
    await withRace(
      () => h.svc.domain.home.postDeleted('race-q', author, 2),
      () => deliver(h, Events.postCreated, post('race-q', author)),
    );
    expect(await countPost(h, 'race-q')).toBe(0);
  });
});

test('duplicates change nothing', async () => {
  const [follower, author] = ['dup-f', 'dup-a'];
  await deliver(h, Events.userCreated, user(author));
  await deliver(h, Events.userCreated, user(author));
  await deliver(h, Events.userFollowed, edge(follower, author, 1));
  await deliver(h, Events.userFollowed, edge(follower, author, 1));
  await deliver(h, Events.postCreated, post('dup-p', author));
  await deliver(h, Events.postCreated, post('dup-p', author));
  expect((await firstPage(h, follower)).map((p) => p.id)).toEqual(['dup-p']);
  expect(await countPost(h, 'dup-p')).toBe(2);
  expect(await stores().notifications.forRecipient(author)).toHaveLength(1);

  await deliver(h, Events.userUnfollowed, edge(follower, author, 2));
  await deliver(h, Events.userUnfollowed, edge(follower, author, 2));
  // The old follow, delivered once more after the unfollow, is stale.
  await deliver(h, Events.userFollowed, edge(follower, author, 1));
  expect(await firstPage(h, follower)).toEqual([]);
  expect(await countPost(h, 'dup-p')).toBe(1);
});

test("following brings the followee's latest posts in (newest BACKFILL), unfollowing takes them out", async () => {
  const [follower, author, other] = ['bf-f', 'bf-a', 'bf-o'];
  const t0 = Date.now() - 3600_000;
  for (let i = 0; i < 25; i += 1)
    await h.publish(Events.postCreated, post(`bf-${String(i).padStart(2, '0')}`, author, { at: t0 + i * 1000 }));
  await deliver(h, Events.postCreated, post('bf-other', other, { at: t0 + 500 }));
  await deliver(h, Events.userFollowed, edge(follower, other, 1));

  await deliver(h, Events.userFollowed, edge(follower, author, 1));
  const newest20 = Array.from({ length: 20 }, (_, i) => `bf-${String(24 - i).padStart(2, '0')}`);
  const res = await h.http.get('/api/v1/timeline').query({ limit: 100 }).set(bearer(follower)).expect(200);
  expect(res.body.items.map((p: { id: string }) => p.id)).toEqual([...newest20, 'bf-other']);

  await deliver(h, Events.userUnfollowed, edge(follower, author, 2));
  expect((await firstPage(h, follower)).map((p) => p.id)).toEqual(['bf-other']);
});

test('a timeline keeps its newest MAX entries once it passes MAX + slack', async () => {
  const [owner, author] = ['tr-o', 'tr-a'];
  await deliver(h, Events.userFollowed, edge(owner, author, 1));
  const t0 = Date.now() - 7200_000;
  const ids = Array.from({ length: 45 }, (_, i) => `tr-${String(i).padStart(2, '0')}`);
  for (const [i, id] of ids.entries()) await h.publish(Events.postCreated, post(id, author, { at: t0 + i * 1000 }));
  await deliver(h, Events.userCreated, user('tr-marker'));
  await deliver(h, Events.postCreated, post('tr-last', author, { at: t0 + 100_000 }));

  const kept = await feedOf(h, owner);
  expect(kept.length).toBeGreaterThanOrEqual(MAX);
  expect(kept.length).toBeLessThanOrEqual(MAX + 5);
  // The newest MAX are all there, newest first; only older ones were removed.
  expect(kept.slice(0, MAX)).toEqual(['tr-last', ...ids.slice().reverse()].slice(0, MAX));
});

describe('the posts copy', () => {
  test('counts follow the engagement version, each count on its own', async () => {
    const [author, liker] = ['en-a', 'en-l'];
    await deliver(h, Events.userCreated, user(author));
    await deliver(h, Events.userCreated, user(liker));
    // Engagement arrives before the post itself.
    await deliver(h, Events.postLiked, { postId: 'en-p', postAuthorId: author, userId: liker, likeCount: 3, version: 3 });
    await deliver(h, Events.postCreated, post('en-p', author, { likeCount: 0, commentCount: 0 }));
    await deliver(h, Events.postLiked, { postId: 'en-p', postAuthorId: author, userId: 'x', likeCount: 2, version: 2 }); // older
    await deliver(h, Events.commentCreated, {
      id: 'c1',
      postId: 'en-p',
      postAuthorId: author,
      authorId: liker,
      body: 'nice',
      mentions: [],
      commentCount: 1,
      createdAt: new Date().toISOString(),
      version: 6,
    });
    // A like at version 5 arriving after the comment at 6 still carries the newest likeCount.
    await deliver(h, Events.postLiked, { postId: 'en-p', postAuthorId: author, userId: 'y', likeCount: 4, version: 5 });
    await deliver(h, Events.commentDeleted, { id: 'c0', postId: 'en-p', commentCount: 5, version: 4 }); // older than 6
    let [item] = await firstPage(h, author);
    expect(item).toMatchObject({ id: 'en-p', likeCount: 4, commentCount: 1 });

    // likedByViewer from post.liked / unliked, by version.
    const likedBy = async (viewer: string) => (await h.http.get('/api/v1/timeline').set(bearer(viewer)).expect(200)).body.items;
    await deliver(h, Events.userFollowed, edge(liker, author, 1));
    expect((await likedBy(liker))[0]).toMatchObject({ id: 'en-p', likedByViewer: true });
    await deliver(h, Events.postUnliked, { postId: 'en-p', postAuthorId: author, userId: liker, likeCount: 3, version: 7 });
    await deliver(h, Events.postLiked, { postId: 'en-p', postAuthorId: author, userId: liker, likeCount: 4, version: 3 }); // stale
    [item] = await likedBy(liker);
    expect(item).toMatchObject({ likedByViewer: false, likeCount: 3 });
  });

  test("an author's new name shows on every page; a deleted author's posts stop showing", async () => {
    const [author, viewer] = ['nm-a', 'nm-v'];
    await deliver(h, Events.userCreated, user(author, 1, { displayName: 'Old Name' }));
    await deliver(h, Events.userFollowed, edge(viewer, author, 1));
    await deliver(h, Events.postCreated, post('nm-p', author));
    expect((await firstPage(h, viewer))[0]?.author).toEqual({ id: author, username: `u_${author}`, displayName: 'Old Name', avatar: null });
    const avatar = { mediaId: 'av1', url: '/api/v1/media/av1/thumb', blurhash: 'L00000' };
    await deliver(h, Events.userUpdated, user(author, 3, { displayName: 'New Name', avatar }));
    await deliver(h, Events.userUpdated, user(author, 2, { displayName: 'Stale Name' }));
    expect((await firstPage(h, viewer))[0]?.author).toEqual({ id: author, username: `u_${author}`, displayName: 'New Name', avatar });
    await deliver(h, Events.userDeleted, { id: author, version: 4 });
    await deliver(h, Events.userUpdated, user(author, 3, { displayName: 'Back?' }));
    expect(await firstPage(h, viewer)).toEqual([]);
  });
});
