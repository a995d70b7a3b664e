/**
 * Each author's live posts in Redis (post id scored by createdAt, newest 800): what following
 * someone brings in, what unfollowing takes out, what a feed is rebuilt from, whose cards an
 * author's new name must reach; and, for the few authors over the fan-out threshold, what is
 * merged into their followers' pages at read time. A list without its sentinel is incomplete
 * (new Redis, evicted) and is completed from MongoDB's copy of the posts before it is read.
 */
import type { RedisClient } from '@lumina/common';
import type { TimePosition } from '../../positions';
import { afterLandedSeq, keys, landedMember, parseLanded, SENTINEL } from './keys';
import { listComplete } from './scripts';
import { rangeAfter, type FeedEntry } from './feeds-store';

export class AuthoredStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly maxEntries: number,
    private readonly maxLanded: number,
  ) {}

  /** Whether each author's list is complete (one command per author, sent together). */
  async completeness(authorIds: string[]): Promise<boolean[]> {
    const scores = await Promise.all(authorIds.map((a) => this.redis.zScore(keys.authored(a), SENTINEL)));
    return scores.map((s) => s !== null);
  }

  /** A new post: added whether or not the list is complete (a later completion keeps it). */
  async add(authorId: string, postId: string, createdAt: number): Promise<void> {
    const key = keys.authored(authorId);
    await Promise.all([
      this.redis.zAdd(key, { score: createdAt, value: postId }),
      this.redis.zRemRangeByRank(key, 1, -(this.maxEntries + 1)),
    ]);
  }

  async remove(authorId: string, postId: string): Promise<void> {
    await this.redis.zRem(keys.authored(authorId), postId);
  }

  /** Completes an author's list from MongoDB's copy (what it holds already stays). */
  async complete(authorId: string, posts: FeedEntry[]): Promise<void> {
    const args: Array<string | number> = [this.maxEntries, 0];
    for (const p of posts) args.push(p.createdAt, p.postId);
    await listComplete.run(this.redis, [keys.authored(authorId)], args);
  }

  /** An author's posts strictly after a position, newest first (the list must be complete). */
  page(authorId: string, position: TimePosition | undefined, limit: number): Promise<FeedEntry[]> {
    return rangeAfter(this.redis, keys.authored(authorId), position, limit);
  }

  // ---- merged at read time ---------------------------------------------------------------------

  /** Marks an author as merged at read time. */
  async markPulled(authorId: string): Promise<void> {
    await this.redis.sAdd(keys.pulled(), authorId);
  }

  /** The authors merged at read time; null when the set is not complete (it is completed from MongoDB). */
  async pulledIds(): Promise<string[] | null> {
    const members = await this.redis.sMembers(keys.pulled());
    return members.includes(SENTINEL) ? members.filter((m) => m !== SENTINEL) : null;
  }

  async completePulled(authorIds: string[]): Promise<void> {
    await this.redis.sAdd(keys.pulled(), [SENTINEL, ...authorIds]);
  }

  /** Logs a merged author's new post for the streams of their followers. */
  async logPulledLanding(authorId: string, seq: string, postId: string): Promise<void> {
    const key = keys.authoredLanded(authorId);
    await Promise.all([
      this.redis.zAdd(key, { score: 0, value: landedMember(seq, postId) }),
      this.redis.zRemRangeByRank(key, 0, -(this.maxLanded + 1)),
    ]);
  }

  async pulledLandedAfter(authorId: string, seq: string, limit: number): Promise<Array<{ seq: string; postId: string }>> {
    const members = await this.redis.zRange(keys.authoredLanded(authorId), afterLandedSeq(seq), '+', {
      BY: 'LEX',
      LIMIT: { offset: 0, count: limit },
    });
    return members.map(parseLanded);
  }
}
