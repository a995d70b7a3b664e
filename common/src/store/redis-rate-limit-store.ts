/**
 * Rate-limit counters in Redis, for services that have one: replicas share them, and a hit is one
 * round trip (INCR and PEXPIREAT in one MULTI) instead of a document upsert. Windows are fixed and
 * aligned to the clock, as in the MongoDB store, so a window is one key, `<key>@<start>`, which
 * expires when the window ends. INCR is atomic, so concurrent hits from any replica all count.
 */
import type { RateLimitStore } from '../http/rate-limit';
import { deleteKeysUnder, type RedisClient } from './redis';

const PREFIX = 'rate-limit:';

export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly clock: () => number = Date.now,
  ) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }> {
    const now = this.clock();
    const start = now - (now % windowMs);
    const resetAt = start + windowMs;
    // The counted key is the hash tag: a Cluster spreads the counters and keeps one key's windows together.
    const windowKey = `${PREFIX}{${key.replace(/[{}]/g, '_')}}@${start}`;
    const [count] = await this.redis.multi().incr(windowKey).pExpireAt(windowKey, resetAt).exec();
    return { count: Number(count), resetAt };
  }

  async reset(key: string): Promise<void> {
    await deleteKeysUnder(this.redis, `${PREFIX}{${key.replace(/[{}]/g, '_')}}@`);
  }
}
