/**
 * Rate-limit counters in MongoDB, so every replica counts the same hits. Fixed windows aligned to
 * the clock (every replica agrees where one starts), one document per hit: an insert is atomic on
 * MongoDB and FerretDB alike, where an `$inc` on a shared counter can lose hits on FerretDB
 * (see README). Every hit also removes the hits of windows that ended, any key's (FerretDB 1.24
 * has no TTL indexes; uploads are rare enough for this to stay cheap).
 */
import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { RateLimitStore } from '@lumina/common';

interface RateLimitHit {
  _id: string;
  key: string;
  windowStart: Date;
  /** When the window ends; the hit is removed after. */
  expiresAt: Date;
}

const hitSchema = new Schema<RateLimitHit>(
  { _id: String, key: String, windowStart: Date, expiresAt: Date },
  { collection: 'rate_limit_hits', versionKey: false },
);
hitSchema.index({ key: 1, windowStart: 1 });
hitSchema.index({ expiresAt: 1 });

export class MongoRateLimitStore implements RateLimitStore {
  private constructor(
    private readonly model: Model<RateLimitHit>,
    private readonly clock: () => number,
  ) {}

  static async open(conn: Connection, clock: () => number = Date.now): Promise<MongoRateLimitStore> {
    const model = conn.model<RateLimitHit>('RateLimitHit', hitSchema);
    await model.createIndexes();
    return new MongoRateLimitStore(model, clock);
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }> {
    const now = this.clock();
    const windowStart = new Date(Math.floor(now / windowMs) * windowMs);
    const resetAt = windowStart.getTime() + windowMs;
    await this.model.create({ _id: randomUUID(), key, windowStart, expiresAt: new Date(resetAt) });
    const [count] = await Promise.all([
      this.model.countDocuments({ key, windowStart }),
      this.model.deleteMany({ expiresAt: { $lte: new Date(now) } }),
    ]);
    return { count, resetAt };
  }

  async reset(key: string): Promise<void> {
    await this.model.deleteMany({ key });
  }
}
