/**
 * Builds home feeds in Redis from MongoDB's durable copies, as Mastodon regenerates a missing
 * feed from the followed accounts' recent posts: when a viewer's feed is missing (new Redis,
 * flushed, evicted, or the viewer was away longer than the activity window), and for every viewer
 * at once by `npm run -w timeline rebuild-feeds`.
 *
 * A feed is the newest entries among the viewer's own posts and those of whom they follow (not
 * counting authors merged at read time), which is what fan-out and back-fill would have written.
 * Follows, unfollows and posts handled while a build reads are caught by a second look at the
 * end, so a build that races them leaves the feed as if they came after it.
 */
import type { Logger } from '@lumina/common';
import { compareEntryDesc } from '../positions';
import { sequences } from '../ids';
import type { PulledAuthors } from './pulled-authors';
import type { Stores } from '../store';
import type { FeedEntry } from '../store/redis/feeds-store';
import { timelineMetrics } from '../timeline-metrics';

export interface RebuildReport {
  feeds: number;
  authors: number;
  edges: number;
  likes: number;
  ms: number;
}

/** Newest first, cut to `max`. */
function newest(lists: Iterable<FeedEntry[]>, max: number): FeedEntry[] {
  return [...lists].flat().sort(compareEntryDesc).slice(0, max);
}

export class FeedBuilder {
  constructor(
    private readonly stores: Stores,
    private readonly pulled: PulledAuthors,
    private readonly maxEntries: number,
    private readonly log: Logger,
  ) {}

  /** Completes these authors' lists in Redis from MongoDB where they are not complete. */
  async ensureAuthored(authorIds: string[], known?: boolean[]): Promise<void> {
    const complete = known ?? (await this.stores.authored.completeness(authorIds));
    await Promise.all(
      authorIds.map(async (authorId, i) => {
        if (complete[i]) return;
        const latest = await this.stores.posts.latestByAuthor(authorId, this.maxEntries);
        await this.stores.authored.complete(
          authorId,
          latest.map((p) => ({ postId: p._id, createdAt: p.createdAt.getTime() })),
        );
      }),
    );
  }

  /** Authors' newest posts from Redis (their lists completed first if need be). */
  async authoredPosts(authorIds: string[], limit: number): Promise<Map<string, FeedEntry[]>> {
    await this.ensureAuthored(authorIds);
    const lists = await Promise.all(authorIds.map((a) => this.stores.authored.page(a, undefined, limit)));
    return new Map(authorIds.map((a, i) => [a, lists[i] ?? []]));
  }

  /** Whom the viewer follows, from Redis, after completing it from MongoDB's copy of the graph if needed. */
  async followeesOf(viewerId: string): Promise<Set<string>> {
    const held = await this.stores.following.allOn(viewerId);
    if (held.complete) return held.on;
    await this.completeFollowing(viewerId);
    return (await this.stores.following.allOn(viewerId)).on;
  }

  /** Up to `atMost` active followers of an author, from Redis, completed from MongoDB's copy once if needed. */
  async followersOf(authorId: string, atMost: number): Promise<string[]> {
    const held = await this.stores.followers.someOn(authorId, atMost);
    if (held) return held;
    const edges = await this.stores.follows.edgesTo(authorId);
    await this.stores.followers.apply(
      authorId,
      edges.map((e) => ({ id: e.followerId, on: e.state === 'active', version: e.version })),
      true,
    );
    return (await this.stores.followers.someOn(authorId, atMost)) ?? [];
  }

  async completeFollowing(viewerId: string): Promise<void> {
    const edges = await this.stores.follows.edgesOf(viewerId);
    await this.stores.following.apply(
      viewerId,
      edges.map((e) => ({ id: e.followeeId, on: e.state === 'active', version: e.version })),
      true,
    );
  }

  /** Builds one viewer's feed (keeping whatever fan-out wrote meanwhile). */
  async build(viewerId: string): Promise<void> {
    const endTimer = timelineMetrics().feedBuildDuration.startTimer();
    const before = await this.followeesOf(viewerId);
    const sources = await this.sourcesOf(viewerId, before);
    await this.stores.feeds.complete(viewerId, newest(sources.values(), this.maxEntries));

    // A second look: unfollows applied while we read take their posts out again; follows and posts
    // that landed meanwhile (fan-out skipped the feed while it did not exist) go in.
    const after = await this.followeesOf(viewerId);
    const gone = [...before].filter((a) => !after.has(a));
    if (gone.length > 0)
      await this.stores.feeds.remove(
        viewerId,
        gone.flatMap((a) => (sources.get(a) ?? []).map((e) => e.postId)),
      );
    const again = await this.sourcesOf(viewerId, after);
    await this.stores.feeds.add(
      viewerId,
      newest(again.values(), this.maxEntries).map((e) => ({ ...e, seq: sequences.next() })),
    );
    endTimer();
    this.log.debug({ viewerId, followees: after.size }, 'home feed built');
  }

  /** The viewer's own posts and those of whom they follow (authors merged at read time aside). */
  private async sourcesOf(viewerId: string, followees: Set<string>): Promise<Map<string, FeedEntry[]>> {
    const pulled = new Set(await this.pulled.list());
    const authors = [viewerId, ...[...followees].filter((a) => a !== viewerId && !pulled.has(a))];
    return this.authoredPosts(authors, this.maxEntries);
  }

  /**
   * Rebuilds every feed, every author's list, whom every viewer follows and what they like, from
   * one pass over each MongoDB collection (not one query per viewer). For a new or flushed Redis.
   */
  async rebuildAll(): Promise<RebuildReport> {
    const started = Date.now();
    const byAuthor = new Map<string, FeedEntry[]>();
    for await (const post of this.stores.posts.allLive()) {
      const list = byAuthor.get(post.authorId) ?? [];
      list.push({ postId: post._id, createdAt: post.createdAt.getTime() });
      byAuthor.set(post.authorId, list);
    }
    for (const [authorId, posts] of byAuthor) await this.stores.authored.complete(authorId, newest([posts], this.maxEntries));

    const edgesByFollower = new Map<string, Array<{ id: string; on: boolean; version: number }>>();
    const edgesByFollowee = new Map<string, Array<{ id: string; on: boolean; version: number }>>();
    let edges = 0;
    for await (const edge of this.stores.follows.allEdges()) {
      const on = edge.state === 'active';
      const out = edgesByFollower.get(edge.followerId) ?? [];
      out.push({ id: edge.followeeId, on, version: edge.version });
      edgesByFollower.set(edge.followerId, out);
      const inbound = edgesByFollowee.get(edge.followeeId) ?? [];
      inbound.push({ id: edge.followerId, on, version: edge.version });
      edgesByFollowee.set(edge.followeeId, inbound);
      edges += 1;
    }
    for (const [authorId, facts] of edgesByFollowee) await this.stores.followers.apply(authorId, facts, true);
    const likesByUser = new Map<string, Array<{ id: string; on: boolean; version: number }>>();
    let likes = 0;
    for await (const like of this.stores.likes.all()) {
      const list = likesByUser.get(like.userId) ?? [];
      list.push({ id: like.postId, on: like.liked, version: like.version });
      likesByUser.set(like.userId, list);
      likes += 1;
    }

    const pulled = new Set(await this.pulled.list());
    const viewers = new Set([...edgesByFollower.keys(), ...byAuthor.keys()]);
    let done = 0;
    const pending: Array<Promise<void>> = [];
    for (const viewerId of viewers) {
      pending.push(
        (async () => {
          const facts = edgesByFollower.get(viewerId) ?? [];
          await this.stores.following.apply(viewerId, facts, true);
          await this.stores.liked.apply(viewerId, likesByUser.get(viewerId) ?? [], true);
          const followees = facts.filter((f) => f.on && f.id !== viewerId && !pulled.has(f.id)).map((f) => f.id);
          const lists = [viewerId, ...followees].map((a) => byAuthor.get(a) ?? []);
          await this.stores.feeds.complete(viewerId, newest(lists, this.maxEntries));
        })(),
      );
      // A few hundred viewers in flight at a time: pipelined, without queueing everything at once.
      if (pending.length >= 256) {
        await Promise.all(pending.splice(0));
        done += 256;
        if (done % 10_000 === 0) this.log.info({ done, of: viewers.size }, 'rebuilding feeds');
      }
    }
    await Promise.all(pending);
    return { feeds: viewers.size, authors: byAuthor.size, edges, likes, ms: Date.now() - started };
  }
}
