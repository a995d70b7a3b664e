/**
 * Rate-limit counters in the service's MongoDB, so that replicas share them (on MongoDB 7).
 * Windows are fixed and aligned to the clock (a window of a minute starts on the minute), so a
 * window is one document, `<key>@<start>`, raised with `$inc`.
 *
 * FerretDB 1.24 runs `$inc` as a read then a write without isolation (README, "Choices worth
 * knowing"): concurrent hits would be lost and let a burst through. Every hit therefore also runs
 * under the process-wide per-document lock, which makes one replica exact on FerretDB; MongoDB's
 * own single-document atomicity covers several replicas.
 */
import type { Connection, mongo } from 'mongoose';
import type { RateLimitStore } from '../http/rate-limit';
import { documentKey, documentLock } from './keyed-lock';

export interface RateLimitWindowDoc {
  _id: string;
  key: string;
  hits: number;
  /** When the window ends; what purging looks at. */
  expiresAt: Date;
}

/** Ended windows are deleted at most this often, by a hit (no timer to stop). */
const PURGE_EVERY_MS = 60_000;
const DUPLICATE_KEY = 11000;

export class MongoRateLimitStore implements RateLimitStore {
  private nextPurgeAt = 0;

  constructor(
    private readonly windows: mongo.Collection<RateLimitWindowDoc>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The counters in the service's own database, collection `rate_limits`. */
  static in(conn: Connection): MongoRateLimitStore {
    if (!conn.db) throw new Error('MongoDB connection is not open');
    return new MongoRateLimitStore(conn.db.collection<RateLimitWindowDoc>('rate_limits'));
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }> {
    const now = this.clock();
    const start = now - (now % windowMs);
    const resetAt = start + windowMs;
    const _id = `${key}@${start}`;
    const hits = await documentLock.run(documentKey(this.windows.collectionName, _id), () => this.increment(_id, key, resetAt));
    if (now >= this.nextPurgeAt) {
      this.nextPurgeAt = now + PURGE_EVERY_MS;
      void this.purgeExpired().catch(() => undefined);
    }
    return { count: hits, resetAt };
  }

  async reset(key: string): Promise<void> {
    await this.windows.deleteMany({ key });
  }

  /** Drops windows that ended; answers how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.windows.deleteMany({ expiresAt: { $lt: new Date(this.clock()) } });
    return result.deletedCount;
  }

  private async increment(_id: string, key: string, resetAt: number): Promise<number> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const doc = await this.windows.findOneAndUpdate(
          { _id },
          { $inc: { hits: 1 }, $setOnInsert: { key, expiresAt: new Date(resetAt) } },
          { upsert: true, returnDocument: 'after' },
        );
        return doc?.hits ?? 1;
      } catch (err) {
        // Two replicas creating one window at once: one insert loses and the retry increments.
        if ((err as { code?: number }).code !== DUPLICATE_KEY || attempt >= 3) throw err;
      }
    }
  }
}
