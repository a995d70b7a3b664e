/**
 * Rate-limit counters in MySQL, so every replica counts the same hits. Fixed windows: the first
 * hit of a key opens a window of `windowMs`; hits are counted until it ends. Keys are stored
 * hashed (they contain addresses and emails).
 */
import { createHash } from 'node:crypto';
import type { RateLimitStore } from '@lumina/common';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export class MySqlRateLimitStore implements RateLimitStore {
  constructor(
    private readonly pool: Pool,
    private readonly clock: () => number = Date.now,
  ) {}

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }> {
    const keyHash = hashKey(key);
    const now = this.clock();
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      // Assignments run left to right: `hits` is decided against the old reset_at, then reset_at moves.
      await conn.query(
        `INSERT INTO rate_limits (key_hash, hits, reset_at) VALUES (?, 1, ?)
         ON DUPLICATE KEY UPDATE hits = IF(reset_at <= ?, 1, hits + 1), reset_at = IF(reset_at <= ?, VALUES(reset_at), reset_at)`,
        [keyHash, now + windowMs, now, now],
      );
      const [rows] = await conn.query<RowDataPacket[]>('SELECT hits, reset_at FROM rate_limits WHERE key_hash = ?', [keyHash]);
      await conn.commit();
      const row = rows[0];
      return { count: Number(row?.hits ?? 1), resetAt: Number(row?.reset_at ?? now + windowMs) };
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  async reset(key: string): Promise<void> {
    await this.pool.query('DELETE FROM rate_limits WHERE key_hash = ?', [hashKey(key)]);
  }

  /** Drops windows that ended; answers how many. */
  async purgeExpired(): Promise<number> {
    const [result] = await this.pool.query<ResultSetHeader>('DELETE FROM rate_limits WHERE reset_at < ? LIMIT 10000', [this.clock()]);
    return result.affectedRows;
  }
}
