/**
 * Authors over the fan-out threshold are merged in at read time: their posts take the right place
 * in a follower's page without being written into it, and paging stays exact while new posts
 * (fanned-out and merged) arrive.
 */
import { Events } from '@lumina/common';
import {
  allPages,
  bearer,
  countPost,
  deliver,
  edge,
  feedOf,
  firstPage,
  ownersOf,
  post,
  startTimeline,
  user,
  type Harness,
} from './helpers';

let h: Harness;
const THRESHOLD = 3;

beforeAll(async () => {
  h = await startTimeline({ TIMELINE_FANOUT_THRESHOLD: String(THRESHOLD) });
});

afterAll(async () => {
  await h?.close();
});

const stores = () => h.svc.domain.stores;

test("a celebrity's post appears in a follower's page in the right place without being fanned out", async () => {
  const [celeb, normal, viewer, bystander] = ['celeb', 'normal', 'viewer', 'bystander'];
  for (const id of [celeb, normal, viewer]) await h.publish(Events.userCreated, user(id));
  // The celebrity has THRESHOLD + 1 followers; the normal author has two.
  for (const f of [viewer, 'c1', 'c2', 'c3']) await h.publish(Events.userFollowed, edge(f, celeb, 1));
  for (const f of [viewer, bystander]) await h.publish(Events.userFollowed, edge(f, normal, 1));
  await h.ctx.drained();

  const t0 = Date.now() - 60_000;
  await deliver(h, Events.postCreated, post('n-old', normal, { at: t0 }));
  await deliver(h, Events.postCreated, post('c-mid', celeb, { at: t0 + 1000 }));
  await deliver(h, Events.postCreated, post('n-new', normal, { at: t0 + 2000 }));

  expect((await firstPage(h, viewer)).map((p) => p.id)).toEqual(['n-new', 'c-mid', 'n-old']);
  const [merged] = (await firstPage(h, viewer)).filter((p) => p.id === 'c-mid');
  expect(merged).toMatchObject({ caption: 'caption of c-mid', author: { username: `u_${celeb}` } });
  // Not fanned out: only the celebrity's own home holds an entry for it.
  expect(await ownersOf(h, 'c-mid')).toEqual([celeb]);
  expect((await stores().posts.get('c-mid'))?.fanout).toBe('pulled');
  expect(await countPost(h, 'n-new')).toBe(3);
  // The celebrity sees their own post once; who does not follow them does not see it.
  expect((await firstPage(h, celeb)).map((p) => p.id)).toEqual(['c-mid']);
  expect((await firstPage(h, bystander)).map((p) => p.id)).toEqual(['n-new', 'n-old']);

  // Unfollowing the celebrity takes their posts out; a deleted celebrity post leaves every page.
  await deliver(h, Events.userUnfollowed, edge('c1', celeb, 2));
  await deliver(h, Events.userUnfollowed, edge(viewer, celeb, 2));
  expect((await firstPage(h, viewer)).map((p) => p.id)).toEqual(['n-new', 'n-old']);
  await deliver(h, Events.postDeleted, { id: 'c-mid', authorId: celeb, version: 2 });
  expect((await firstPage(h, 'c2')).map((p) => p.id)).toEqual([]);
  expect(await firstPage(h, celeb)).toEqual([]);
});

test('paging through 250 entries while 50 new posts arrive returns every old entry exactly once, in order', async () => {
  const [star, plain, reader] = ['star', 'plain', 'reader'];
  for (const f of [reader, 's1', 's2', 's3']) await h.publish(Events.userFollowed, edge(f, star, 1));
  await h.publish(Events.userFollowed, edge(reader, plain, 1));
  await h.ctx.drained();

  // 250 old posts, half merged (star) and half fanned out (plain), two per millisecond so that
  // ties on createdAt are broken by id across both sources; ids do not sort in creation order.
  const t0 = Date.now() - 3600_000;
  const old = Array.from({ length: 250 }, (_, i) => {
    const author = i % 2 === 0 ? star : plain;
    const id = `${((i * 7919) % 1000).toString(36)}-old-${i}`;
    return { id, author, at: t0 + Math.floor(i / 2) * 1000 };
  });
  for (const p of old) await h.publish(Events.postCreated, post(p.id, p.author, { at: p.at }));
  await h.ctx.drained({ timeoutMs: 60_000 });
  expect((await feedOf(h, reader)).length).toBe(125);

  const expected = [...old].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((p) => p.id);
  const seen: string[] = [];
  let cursor: string | null = null;
  let fresh = 0;
  do {
    const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await h.http
      .get('/api/v1/timeline')
      .query(cursor ? { limit: 20, cursor } : { limit: 20 })
      .set(bearer(reader))
      .expect(200);
    seen.push(...res.body.items.map((p) => p.id));
    cursor = res.body.nextCursor;
    // Between two pages, new posts land: 5 at a time, from both authors, up to 50.
    if (fresh < 50) {
      for (let k = 0; k < 5; k += 1, fresh += 1) await h.publish(Events.postCreated, post(`new-${fresh}`, fresh % 2 === 0 ? star : plain));
      await h.ctx.drained();
    }
  } while (cursor);

  expect(fresh).toBe(50);
  expect(seen).toEqual(expected);
  // A fresh walk now starts with the 50 new posts, then the same 250.
  const again = await allPages(h, reader, 100);
  expect(again.slice(50)).toEqual(expected);
  expect(new Set(again.slice(0, 50))).toEqual(new Set(Array.from({ length: 50 }, (_, i) => `new-${i}`)));
}, 120_000);
