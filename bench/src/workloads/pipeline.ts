/**
 * The event pipeline, timed from a post's creation (its createdAt, stamped by posts when the
 * post and its outbox event are written) until:
 *
 * - every follower's home timeline has it: every follower (and the author) has been announced on
 *   timeline's live subject, which fan-out publishes right after each batch of entries is stored
 *   (the technique of the former bench/fanout tool: no polling, no quantization). If no
 *   announcement comes, looking in every follower's feed in timeline's Redis decides (the
 *   bench's read-only side door; the public API would need every follower's session);
 * - a few followers see it through the API (GET /api/v1/timeline, as their client would);
 * - search finds it by a word only it contains (GET /api/v1/search/posts).
 *
 * For an author over the fan-out threshold nothing is fanned out: followers' reads merge the
 * author's posts in, so only the API and search times apply.
 */
import type { EventBus, RedisClient } from '@lumina/common';
import { keys } from '@lumina/timeline/testing';
import type { mongo } from 'mongoose';
import { searchRoutes, timelineRoutes } from '@lumina/contract';
import { type ApiClient, generateCaption, ProgressBar, sleep } from '@lumina/datasets';
import { summarize, type LatencySummary } from '../util/stats';

export interface PropagationCase {
  name: string;
  author: ApiClient;
  mediaId: string;
  /** Active followers in the timeline's copy of the graph. */
  followers: number;
  /** Whether the author is fanned out (at or under the threshold). */
  fannedOut: boolean;
  /** Followers with a session, to look through the API. */
  viewers: ApiClient[];
  posts: number;
  timeoutMs: number;
}

export interface PropagationResult {
  name: string;
  followers: number;
  fannedOut: boolean;
  posts: number;
  /** Created → in every follower's home timeline (fanned-out authors). */
  allTimelinesMs?: LatencySummary;
  /** Created → visible in sampled followers' GET /api/v1/timeline. */
  visibleToFollowerMs: LatencySummary;
  /** Created → found by GET /api/v1/search/posts. */
  searchMs: LatencySummary;
  /** Timeline entries written per second during fan-out (first entry to last). */
  entriesPerSecond?: number;
  /** Posts whose propagation did not finish within the timeout. */
  incomplete: number;
}

async function until(deadline: number, intervalMs: number, check: () => Promise<boolean>): Promise<number | undefined> {
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Owners announced on timeline's live subject since `reset()`, with when each first landed. */
class LandingWatch {
  private landedAt = new Map<string, number>();
  private readonly subscription: { unsubscribe(): void };

  constructor(bus: EventBus) {
    this.subscription = bus.nc.subscribe(`${bus.ns.subjectPrefix}.live.timeline`, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const message = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { kind?: string; owners?: string[] };
          if (message.kind !== 'landed') return;
          const now = Date.now();
          for (const owner of message.owners ?? []) if (!this.landedAt.has(owner)) this.landedAt.set(owner, now);
        } catch {
          // not ours to judge
        }
      },
    });
  }

  reset(): void {
    this.landedAt = new Map();
  }

  /** When the last of these owners landed, once all have; undefined until then. */
  allLanded(owners: Set<string>): { last: number; first: number } | undefined {
    let last = 0;
    let first = Number.POSITIVE_INFINITY;
    for (const owner of owners) {
      const at = this.landedAt.get(owner);
      if (at === undefined) return undefined;
      last = Math.max(last, at);
      first = Math.min(first, at);
    }
    return { last, first };
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

export async function measurePropagation(
  bus: EventBus,
  timelineDb: mongo.Db,
  timelineRedis: RedisClient,
  c: PropagationCase,
): Promise<PropagationResult> {
  /** How many of the owners' feeds hold the post (one ZSCORE each, pipelined). */
  const holding = async (postId: string): Promise<number> =>
    (await Promise.all([...owners].map((owner) => timelineRedis.zScore(keys.feed(owner), postId)))).filter((s) => s !== null).length;
  const owners = new Set<string>([c.author.id]);
  if (c.fannedOut) {
    const edges = timelineDb
      .collection<{ _id: string; followerId: string }>('follows')
      .find({ followeeId: c.author.id, state: 'active' }, { projection: { followerId: 1 } });
    for await (const edge of edges) owners.add(edge.followerId);
  }
  const watch = new LandingWatch(bus);
  const all: number[] = [];
  const visible: number[] = [];
  const search: number[] = [];
  const rates: number[] = [];
  let incomplete = 0;
  const bar = new ProgressBar(`pipeline: ${c.name}`, c.posts);
  for (let i = 0; i < c.posts; i += 1) {
    const word = `pipe${Date.now().toString(36)}${i}`;
    const caption = `${generateCaption(900_000 + i)} ${word}`;
    watch.reset();
    const post = await c.author.createPost(caption, [{ id: c.mediaId, alt: 'A generated photo' }]);
    const created = Date.parse(post.createdAt);
    const deadline = Date.now() + c.timeoutMs;
    const expected = owners.size; // the followers and the author, whose own home has it too

    let firstEntryAt: number | undefined;
    let lastCount = 0;
    let allAt: number | undefined;
    const fanout = c.fannedOut
      ? until(deadline, 20, async () => {
          const landed = watch.allLanded(owners);
          if (landed) {
            firstEntryAt = landed.first;
            allAt = landed.last;
            return true;
          }
          // Fallback: no announcements (another timeline version), so count, less often.
          if (Date.now() - lastCount < 500) return false;
          lastCount = Date.now();
          const n = await holding(post.id);
          if (n > 0) firstEntryAt ??= Date.now();
          if (n >= expected) allAt = Date.now();
          return n >= expected;
        })
      : Promise.resolve(undefined);
    const seen = Promise.all(
      c.viewers.map((viewer) =>
        until(deadline, 50, async () => {
          const res = await viewer.send(timelineRoutes.home, { query: { limit: '5' } });
          return res.ok && res.body.items.some((p) => p.id === post.id);
        }),
      ),
    );
    const found = until(deadline, 100, async () => {
      const res = await c.author.send(searchRoutes.posts, { query: { q: word } });
      return res.ok && res.body.items.some((p) => p.id === post.id);
    });
    const [, seenAt, foundAt] = await Promise.all([fanout, seen, found]);

    let complete = true;
    if (c.fannedOut) {
      // The entries are really there (not only announced).
      if (allAt !== undefined && (await holding(post.id)) < expected) complete = false;
      if (allAt === undefined) complete = false;
      else {
        all.push(allAt - created);
        if (firstEntryAt !== undefined && allAt > firstEntryAt) rates.push((expected / (allAt - firstEntryAt)) * 1000);
      }
    }
    for (const at of seenAt) {
      if (at === undefined) complete = false;
      else visible.push(at - created);
    }
    if (foundAt === undefined) complete = false;
    else search.push(foundAt - created);
    if (!complete) incomplete += 1;
    bar.tick(1, complete ? 0 : 1);
  }
  bar.finish();
  watch.stop();
  return {
    name: c.name,
    followers: c.followers,
    fannedOut: c.fannedOut,
    posts: c.posts,
    ...(c.fannedOut ? { allTimelinesMs: summarize(all) } : {}),
    visibleToFollowerMs: summarize(visible),
    searchMs: summarize(search),
    ...(rates.length > 0 ? { entriesPerSecond: summarize(rates).p50 } : {}),
    incomplete,
  };
}
