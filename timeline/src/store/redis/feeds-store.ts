/**
 * Home feeds in Redis, as Mastodon keeps them: one sorted set per viewer (post id scored by its
 * createdAt, so equal times order by id, as pages do), capped at the newest entries, and a small
 * landing log for the live stream of a viewer who is streaming. A feed's TTL is the activity
 * window: reading it renews it, fan-out skips a feed that has expired, and the viewer's next read
 * builds it again. A landing log's TTL is the resume window: an open stream renews it, and
 * fan-out logs nothing for the many who are not streaming.
 */
import type { RedisClient } from '@lumina/common';
import type { TimePosition } from '../../positions';
import { afterLandedSeq, keys, landedMember, parseLanded } from './keys';
import type { PagesStore } from './pages-store';
import { feedAdd, feedAddMany, landedKeep, listComplete } from './scripts';

/** Viewers per fan-out script call: short enough not to hold Redis for long (a few ms). */
const FANOUT_SCRIPT_VIEWERS = 250;

export interface FeedEntry {
  postId: string;
  createdAt: number;
}

export interface NewFeedEntry extends FeedEntry {
  /** When it landed: the stream's `id:`. */
  seq: string;
}

export interface FeedLimits {
  maxEntries: number;
  /** How many landings each viewer's stream log keeps (a reconnect replays at most these). */
  maxLanded: number;
  /** How long a viewer's landing log outlives their last open stream (a reconnect in it resumes). */
  resumeMs: number;
  /** The activity window: a feed nobody read for this long expires, and fan-out skips it. */
  activeMs: number;
}

/** Reads a sorted set of (post id → createdAt) newest first, strictly after a position. */
export async function rangeAfter(redis: RedisClient, key: string, position: TimePosition | undefined, limit: number): Promise<FeedEntry[]> {
  // ZRANGE BYSCORE cannot say "(t, id) strictly after": read from t inclusive and drop the
  // entries at t that are not after id. Ties on one millisecond are rare; read more if needed.
  let count = limit + 8;
  for (;;) {
    const rows = await redis.zRangeWithScores(key, position ? position.t : '+inf', '(0', {
      BY: 'SCORE',
      REV: true,
      LIMIT: { offset: 0, count },
    });
    const after = position ? rows.filter((r) => r.score < position.t || r.value < position.id) : rows;
    if (after.length >= limit || rows.length < count) return after.slice(0, limit).map((r) => ({ postId: r.value, createdAt: r.score }));
    count *= 4;
  }
}

export class FeedsStore {
  constructor(
    private readonly redis: RedisClient,
    readonly limits: FeedLimits,
    /** Every change to a feed drops the viewer's kept first page. */
    private readonly pages: PagesStore,
  ) {}

  /** Whether the viewer's feed is there, renewing its activity window if so (one command). */
  async touch(viewerId: string): Promise<boolean> {
    return (await this.redis.pExpire(keys.feed(viewerId), this.limits.activeMs)) === 1;
  }

  page(viewerId: string, position: TimePosition | undefined, limit: number): Promise<FeedEntry[]> {
    return rangeAfter(this.redis, keys.feed(viewerId), position, limit);
  }

  /** Adds entries to one viewer's feed if it exists; answers how many were new. */
  async add(viewerId: string, entries: NewFeedEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const args: Array<string | number> = [this.limits.maxEntries, this.limits.maxLanded];
    for (const e of entries) args.push(e.postId, e.createdAt, landedMember(e.seq, e.postId));
    return Number(await feedAdd.run(this.redis, [keys.feed(viewerId), keys.landed(viewerId), keys.page(viewerId)], args));
  }

  /**
   * Fan-out: one post into many feeds, landing at one sequence, in script calls of a few hundred
   * viewers each, sent together (node-redis pipelines what is issued in one tick). Answers the
   * viewers whose feed got it.
   */
  async addToMany(viewerIds: string[], entry: FeedEntry, seq: string): Promise<string[]> {
    const member = landedMember(seq, entry.postId);
    const slices: string[][] = [];
    for (let i = 0; i < viewerIds.length; i += FANOUT_SCRIPT_VIEWERS) slices.push(viewerIds.slice(i, i + FANOUT_SCRIPT_VIEWERS));
    const added = await Promise.all(
      slices.map((slice) =>
        feedAddMany.run(
          this.redis,
          slice.flatMap((viewerId) => [keys.feed(viewerId), keys.landed(viewerId), keys.page(viewerId)]),
          [this.limits.maxEntries, this.limits.maxLanded, entry.postId, entry.createdAt, member],
        ),
      ),
    );
    const flags = added.flatMap((got) => got as number[]);
    return viewerIds.filter((_, i) => flags[i] === 1);
  }

  /** Builds a viewer's feed: these entries, with whatever raced the build, marked complete. */
  async complete(viewerId: string, entries: FeedEntry[]): Promise<void> {
    const args: Array<string | number> = [this.limits.maxEntries, this.limits.activeMs];
    for (const e of entries) args.push(e.createdAt, e.postId);
    await listComplete.run(this.redis, [keys.feed(viewerId)], args);
    await this.pages.drop([viewerId]);
  }

  async remove(viewerId: string, postIds: string[]): Promise<void> {
    if (postIds.length === 0) return;
    if ((await this.redis.zRem(keys.feed(viewerId), postIds)) > 0) await this.pages.drop([viewerId]);
  }

  /** A deleted post (or one fanned out to someone who unfollowed meanwhile) leaves these feeds. */
  async removeFromMany(viewerIds: string[], postId: string): Promise<void> {
    const removed = await Promise.all(viewerIds.map((viewerId) => this.redis.zRem(keys.feed(viewerId), postId)));
    await this.pages.drop(viewerIds.filter((_, i) => (removed[i] ?? 0) > 0));
  }

  /** Of these posts, those in the viewer's feed now. */
  async holding(viewerId: string, postIds: string[]): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    const scores = await this.redis.zmScore(keys.feed(viewerId), postIds);
    return new Set(postIds.filter((_, i) => scores[i] !== null));
  }

  /**
   * Opens the viewer's landing log, or keeps it open: a stream calls it when it opens (before
   * taking its starting sequence) and on every heartbeat.
   */
  async keepLanding(viewerId: string): Promise<void> {
    await landedKeep.run(this.redis, [keys.landed(viewerId)], [this.limits.resumeMs]);
  }

  /** What landed in the viewer's feed after a sequence, oldest first (while their landing log was open). */
  async landedAfter(viewerId: string, seq: string, limit: number): Promise<Array<{ seq: string; postId: string }>> {
    const members = await this.redis.zRange(keys.landed(viewerId), afterLandedSeq(seq), '+', {
      BY: 'LEX',
      LIMIT: { offset: 0, count: limit },
    });
    return members.map(parseLanded);
  }

  /** Every entry of a feed, newest first (the rebuild's check and the tests). */
  async entries(viewerId: string): Promise<FeedEntry[]> {
    return rangeAfter(this.redis, keys.feed(viewerId), undefined, this.limits.maxEntries + 1);
  }
}
