/**
 * Fan-out on write against real Redis, FerretDB/MongoDB and NATS JetStream: a post by an author
 * with 1,000 followers lands on every follower's first page; redelivery writes nothing new; an
 * edit shows everywhere; a delete leaves every timeline.
 */
import { Events } from '@lumina/common';
import {
  activate,
  bearer,
  countPost,
  entriesWritten,
  eventually,
  firstPage,
  ownersOf,
  seedFollowers,
  post,
  startTimeline,
  user,
  type Harness,
} from './helpers';

const FOLLOWERS = 1000;
const author = 'author-1';
const followers = Array.from({ length: FOLLOWERS }, (_, i) => `f${String(i).padStart(4, '0')}`);

let h: Harness;

beforeAll(async () => {
  h = await startTimeline();
  await h.publish(Events.userCreated, user(author));
  // Arrange: the follow graph loaded straight into the copy (follow events are tested elsewhere).
  await seedFollowers(h, author, followers);
  // Every follower is active (has read their home lately), so every one gets the fan-out.
  await activate(h);
});

afterAll(async () => {
  await h?.close();
});

/**
 * By default a sample of the 1,001 first pages is read through HTTP and every feed is checked in
 * Redis, which the page reads; TIMELINE_FULL_FANOUT_CHECK=1 reads them all through HTTP.
 */
const FULL_CHECK = process.env.TIMELINE_FULL_FANOUT_CHECK === '1';

test(
  "after a post by an author with 1,000 followers, every follower's first page has it",
  async () => {
    await h.publish(Events.postCreated, post('p-big', author, { caption: 'hello 1000' }));
    await eventually(async () => expect(await countPost(h, 'p-big')).toBe(FOLLOWERS + 1), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });

    // Every follower (and the author) holds an entry for it — their only one, so their newest...
    expect(new Set(await ownersOf(h, 'p-big'))).toEqual(new Set([author, ...followers]));

    // ...and their first page, read through HTTP, shows it rendered.
    const viewers = FULL_CHECK
      ? [author, ...followers]
      : [author, ...followers.filter((_, i) => i % 20 === 0), followers[FOLLOWERS - 1] as string];
    const misses: string[] = [];
    const queue = [...viewers];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let viewer = queue.shift(); viewer; viewer = queue.shift()) {
          const page = await firstPage(h, viewer, 5);
          if (page.length !== 1 || page[0]?.id !== 'p-big' || page[0].caption !== 'hello 1000' || page[0].author.username !== `u_${author}`)
            misses.push(viewer);
        }
      }),
    );
    expect(misses).toEqual([]);
  },
  FULL_CHECK ? 1_200_000 : 180_000,
);

test('a redelivered post.created writes nothing new', async () => {
  const before = await countPost(h, 'p-big');
  const written = await entriesWritten();
  await h.publish(Events.postCreated, post('p-big', author, { caption: 'hello 1000' }));
  await h.publish(Events.userCreated, user('marker'));
  await eventually(async () => expect((await h.svc.domain.stores.authors.byIds(['marker'])).size).toBe(1));
  // post.created is on its own consumer: wait until it has been acknowledged.
  await h.ctx.drained();
  expect(await countPost(h, 'p-big')).toBe(before);
  expect(await entriesWritten()).toBe(written);
});

test('a fan-out that died half-way is completed by the redelivery, without duplicates', async () => {
  // As if the process died after writing 700 of the followers' entries.
  const lost = followers.slice(700);
  await h.svc.domain.stores.feeds.removeFromMany(lost, 'p-big');
  const written = await entriesWritten();

  await h.publish(Events.postCreated, post('p-big', author, { caption: 'hello 1000' }));
  await eventually(async () => expect(await countPost(h, 'p-big')).toBe(FOLLOWERS + 1), { timeoutMs: 20_000 });
  await h.ctx.drained();
  expect((await entriesWritten()) - written).toBe(lost.length);
});

test('an edited caption shows on every page, and a deleted post leaves every timeline', async () => {
  await h.publish(Events.postUpdated, post('p-big', author, { caption: 'edited', version: 2 }));
  await eventually(async () => expect((await firstPage(h, followers[500] as string))[0]?.caption).toBe('edited'));
  expect((await firstPage(h, followers[999] as string))[0]?.caption).toBe('edited');

  await h.publish(Events.postDeleted, { id: 'p-big', authorId: author, version: 3 });
  await eventually(async () => expect(await countPost(h, 'p-big')).toBe(0));
  expect(await firstPage(h, followers[0] as string)).toEqual([]);
  // An update older than the delete changes nothing.
  await h.publish(Events.postUpdated, post('p-big', author, { caption: 'zombie', version: 2 }));
  await h.publish(Events.postCreated, post('p-big', author, { caption: 'zombie', version: 1 }));
  await h.ctx.drained();
  expect((await h.svc.domain.stores.posts.get('p-big'))?.state).toBe('deleted');
  expect(await countPost(h, 'p-big')).toBe(0);
  const res = await h.http.get('/api/v1/timeline').set(bearer(author)).expect(200);
  expect(res.body).toEqual({ items: [], nextCursor: null });
});
