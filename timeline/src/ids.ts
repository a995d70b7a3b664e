/**
 * Keys of this service's documents, and the sortable sequence that orders what lands in a
 * timeline (the SSE `id:`).
 */
import { createHash, randomInt } from 'node:crypto';

/** Two ids joined without ambiguity: encodeURIComponent escapes the ':' separator. */
function pair(a: string, b: string): string {
  return `${encodeURIComponent(a)}:${encodeURIComponent(b)}`;
}

/** A follow edge follower → followee. */
export const edgeKey = (followerId: string, followeeId: string): string => pair(followerId, followeeId);
/** Whether userId currently likes postId. */
export const likeKey = (postId: string, userId: string): string => pair(postId, userId);

/**
 * A notification's id comes from its identity (recipient, type, actor, post), so the same like
 * toggled ten times, or an event delivered twice, finds the one notification already there.
 */
export function notificationKey(parts: { recipientId: string; type: string; actorId: string; postId?: string | null }): string {
  return createHash('sha256')
    .update(JSON.stringify([parts.recipientId, parts.type, parts.actorId, parts.postId ?? null]))
    .digest('base64url')
    .slice(0, 27);
}

const TIME_WIDTH = 9; // base36 milliseconds: good until the year 5188
const COUNTER_WIDTH = 4;
const NODE_WIDTH = 4;
const COUNTER_LIMIT = 36 ** COUNTER_WIDTH;
export const SEQ_PATTERN = /^[0-9a-z]{17}$/;

/**
 * Fixed-width base36 strings that sort (as strings) in the order they were made: time, then a
 * per-process counter, then a per-process tag so two replicas never make the same one.
 */
export class SequenceGenerator {
  private lastMs = 0;
  private counter = 0;
  private readonly node = randomInt(0, 36 ** NODE_WIDTH)
    .toString(36)
    .padStart(NODE_WIDTH, '0');

  next(now = Date.now()): string {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.counter = 0;
    } else if (++this.counter >= COUNTER_LIMIT) {
      this.lastMs += 1;
      this.counter = 0;
    }
    return this.lastMs.toString(36).padStart(TIME_WIDTH, '0') + this.counter.toString(36).padStart(COUNTER_WIDTH, '0') + this.node;
  }

  /** The smallest sequence made at or after `ms` (for "since" queries). */
  static floorOf(ms: number): string {
    return Math.max(0, ms).toString(36).padStart(TIME_WIDTH, '0') + '0'.repeat(COUNTER_WIDTH + NODE_WIDTH);
  }

  /** When a sequence was made. */
  static timeOf(seq: string): number {
    return Number.parseInt(seq.slice(0, TIME_WIDTH), 36);
  }
}

export const sequences = new SequenceGenerator();
