/**
 * The feeds in Redis, against the real server: a feed keeps its newest entries, a feed that does
 * not exist (an inactive viewer's) gets nothing, building one keeps what raced it, pages are
 * exact on ties of createdAt, and landings are logged only for viewers who stream.
 */
import { connectRedis, type RedisClient } from '@lumina/common';
import { TestContext } from '@lumina/common/testing';
import { FeedsStore } from '../src/store/redis/feeds-store';
import { PagesStore } from '../src/store/redis/pages-store';
import { SequenceGenerator } from '../src/ids';
import { keys, SENTINEL } from '../src/store/redis/keys';

const ctx = new TestContext();
let redis: RedisClient;
let feeds: FeedsStore;
const seqs = new SequenceGenerator();
const MAX = 50;
const RESUME_MS = 30_000;

beforeAll(async () => {
  redis = await connectRedis(ctx.redisUrl, { keyPrefix: ctx.redisPrefix('feeds') });
  const pages = new PagesStore(redis, { ttlMs: 5000, countDropLimit: 200, activeMs: 60_000 });
  feeds = new FeedsStore(redis, { maxEntries: MAX, maxLanded: 20, resumeMs: RESUME_MS, activeMs: 60_000 }, pages);
});
afterAll(async () => {
  redis.destroy();
  await ctx.cleanup();
});

const entry = (i: number, at = 1_700_000_000_000 + i * 1000) => ({
  postId: `p${String(i).padStart(3, '0')}`,
  createdAt: at,
  seq: seqs.next(),
});

test('a feed keeps its newest MAX entries, whatever order they arrive in', async () => {
  await feeds.complete('keeper', []);
  await feeds.keepLanding('keeper');
  const all = Array.from({ length: 80 }, (_, i) => entry(i));
  for (const e of [...all].reverse()) await feeds.add('keeper', [e]);
  expect((await feeds.entries('keeper')).map((e) => e.postId)).toEqual(
    all
      .slice(-MAX)
      .reverse()
      .map((e) => e.postId),
  );
  // The stream's log keeps its own, smaller, newest window.
  expect(await feeds.landedAfter('keeper', SequenceGenerator.floorOf(0), 100)).toHaveLength(20);
});

test('a feed that does not exist gets nothing (its viewer is away), and says so', async () => {
  expect(await feeds.touch('away')).toBe(false);
  expect(await feeds.add('away', [entry(1)])).toBe(0);
  expect(await feeds.addToMany(['away', 'away-too'], entry(2), seqs.next())).toEqual([]);
  expect(await feeds.entries('away')).toEqual([]);
  expect(await feeds.touch('away')).toBe(false);
});

test('fan-out in batches: every existing feed gets the entry once, landing at one sequence; absent ones get nothing', async () => {
  // More viewers than one script call takes, every third one away.
  const viewers = Array.from({ length: 600 }, (_, i) => `batch-${i}`);
  for (const [i, v] of viewers.entries()) if (i % 3 !== 0) await feeds.complete(v, []);
  await feeds.keepLanding('batch-599');
  const seq = seqs.next();
  const got = await feeds.addToMany(viewers, entry(9), seq);
  expect(got).toEqual(viewers.filter((_, i) => i % 3 !== 0));
  expect(await feeds.addToMany(viewers, entry(9), seqs.next())).toEqual([]); // a second time is nothing new
  expect((await feeds.entries('batch-1')).map((e) => e.postId)).toEqual(['p009']);
  expect(await feeds.landedAfter('batch-599', SequenceGenerator.floorOf(0), 10)).toEqual([{ seq, postId: 'p009' }]);
  expect(await feeds.touch('batch-0')).toBe(false);
});

test('landings are logged only for a viewer who streams, for the resume window, and the open log survives its trim', async () => {
  await feeds.complete('quiet', []);
  await feeds.complete('streamer', []);
  await feeds.keepLanding('streamer');
  const first = seqs.next();
  await feeds.addToMany(['quiet', 'streamer'], entry(1), first);
  await feeds.add('quiet', [entry(2)]);
  await feeds.add('streamer', [entry(2)]);
  // Both feeds got both entries; only the streamer's log has them.
  expect((await feeds.entries('quiet')).map((e) => e.postId)).toEqual(['p002', 'p001']);
  expect((await feeds.entries('streamer')).map((e) => e.postId)).toEqual(['p002', 'p001']);
  expect(await redis.exists(keys.landed('quiet'))).toBe(0);
  expect((await feeds.landedAfter('streamer', SequenceGenerator.floorOf(0), 10)).map((l) => l.postId)).toEqual(['p001', 'p002']);
  // Its TTL is the resume window, renewed by keepLanding, not the feed's.
  const ttl = await redis.pTTL(keys.landed('streamer'));
  expect(ttl).toBeGreaterThan(RESUME_MS - 5000);
  expect(ttl).toBeLessThanOrEqual(RESUME_MS);
  // Trimmed to its newest 20, the sentinel kept: the log stays open and replays no sentinel.
  for (let i = 10; i < 50; i += 1) await feeds.add('streamer', [entry(i)]);
  const landed = await feeds.landedAfter('streamer', SequenceGenerator.floorOf(0), 100);
  expect(landed.map((l) => l.postId)).toEqual(Array.from({ length: 20 }, (_, i) => entry(30 + i).postId));
  expect(await redis.zScore(keys.landed('streamer'), SENTINEL)).toBe(0);
  // A second keepLanding leaves what is logged.
  await feeds.keepLanding('streamer');
  expect(await feeds.landedAfter('streamer', first, 100)).toHaveLength(20);
});

test('every change to a feed drops the viewer’s kept first page', async () => {
  const pages = new PagesStore(redis, { ttlMs: 5000, countDropLimit: 200, activeMs: 60_000 });
  await feeds.complete('kept', []);
  const keep = async () => {
    const read = await pages.read('kept', 20);
    if (read.kind !== 'miss') throw new Error(`expected a miss, got ${read.kind}`);
    expect(await pages.put('kept', 20, read.stamp, '{}')).toBe(true);
    expect((await pages.read('kept', 20)).kind).toBe('hit');
  };
  for (const change of [
    () => feeds.add('kept', [entry(1)]),
    () => feeds.addToMany(['kept'], entry(2), seqs.next()),
    () => feeds.remove('kept', ['p001']),
    () => feeds.removeFromMany(['kept'], 'p002'),
    () => feeds.complete('kept', [entry(3)]),
  ]) {
    await keep();
    await change();
    expect((await pages.read('kept', 20)).kind).toBe('miss');
  }
  // What changes nothing drops nothing.
  await keep();
  await feeds.add('kept', [entry(3)]);
  await feeds.remove('kept', ['p404']);
  expect((await pages.read('kept', 20)).kind).toBe('hit');
});

test('an empty feed still exists once built, and takes entries', async () => {
  await feeds.complete('new', []);
  expect(await feeds.touch('new')).toBe(true);
  expect(await feeds.add('new', [entry(7)])).toBe(1);
  expect(await feeds.add('new', [entry(7)])).toBe(0); // a second time is nothing new
  expect((await feeds.entries('new')).map((e) => e.postId)).toEqual(['p007']);
});

test('building a feed keeps what was written into it meanwhile', async () => {
  await feeds.complete('racer', [entry(1), entry(2)]);
  await feeds.add('racer', [entry(5)]);
  await feeds.complete('racer', [entry(1), entry(3)]);
  expect((await feeds.entries('racer')).map((e) => e.postId)).toEqual(['p005', 'p003', 'p002', 'p001']);
});

test('pages are exact when many entries share one millisecond', async () => {
  const at = 1_700_000_500_000;
  const tied = Array.from({ length: 30 }, (_, i) => entry(i, at));
  await feeds.complete('ties', [...tied, entry(99, at - 1), entry(98, at + 1)]);
  const seen: string[] = [];
  let position: { t: number; id: string } | undefined;
  for (;;) {
    const page = await feeds.page('ties', position, 7);
    if (page.length === 0) break;
    seen.push(...page.map((e) => e.postId));
    const last = page[page.length - 1] as { postId: string; createdAt: number };
    position = { t: last.createdAt, id: last.postId };
  }
  const expected = ['p098', ...tied.map((e) => e.postId).reverse(), 'p099'];
  expect(seen).toEqual(expected);
});
