/**
 * Failed sign-ins in MySQL, so every replica sees the same counts: per key, how many failures,
 * when the next attempt may be made, and when the failures are forgotten. Keys are stored hashed.
 */
import { createHash } from 'node:crypto';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from './db';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export type Claim = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface FailureCounting {
  /** The wait before the next attempt, given the failures so far. */
  delayAfter(failures: number): number;
  /** Failures are forgotten this long after the last one. */
  memoryMs: number;
}

export class SignInFailuresStore {
  constructor(
    private readonly pool: Pool,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Takes one attempt under `key`, if its delay has passed, and counts it as a failure right away
   * (a burst of parallel attempts cannot all slip through before any is counted). A sign-in that
   * then succeeds gives it back with `forget` or `refund`.
   */
  async claim(key: string, counting: FailureCounting): Promise<Claim> {
    const keyHash = hashKey(key);
    return inTransaction(this.pool, async (tx) => {
      // Creates the row or takes its lock (exclusive: ON DUPLICATE KEY UPDATE locks the row it hits).
      await tx.query(
        `INSERT INTO signin_failures (key_hash, failures, next_attempt_at, forget_at) VALUES (?, 0, 0, 0)
         ON DUPLICATE KEY UPDATE key_hash = key_hash`,
        [keyHash],
      );
      const [rows] = await tx.query<RowDataPacket[]>(
        'SELECT failures, next_attempt_at, forget_at FROM signin_failures WHERE key_hash = ? FOR UPDATE',
        [keyHash],
      );
      // The time is read once the row is ours: read before waiting for the lock, it could be older
      // than what the attempt ahead of us wrote, and refuse us for a delay that was never set.
      const now = this.clock();
      const row = rows[0];
      const forgotten = Number(row?.forget_at ?? 0) <= now;
      const failures = forgotten ? 0 : Number(row?.failures ?? 0);
      const nextAttemptAt = forgotten ? 0 : Number(row?.next_attempt_at ?? 0);
      if (now < nextAttemptAt) return { allowed: false, retryAfterMs: nextAttemptAt - now };
      const counted = failures + 1;
      const delay = counting.delayAfter(counted);
      const next = delay > 0 ? now + delay : 0;
      await tx.query('UPDATE signin_failures SET failures = ?, next_attempt_at = ?, forget_at = ? WHERE key_hash = ?', [
        counted,
        next,
        Math.max(next, now + counting.memoryMs),
        keyHash,
      ]);
      return { allowed: true };
    });
  }

  /** Forgets every failure under `key` (the account's owner signed in from this address). */
  async forget(key: string): Promise<void> {
    await this.pool.query('DELETE FROM signin_failures WHERE key_hash = ?', [hashKey(key)]);
  }

  /** Gives back one claimed attempt that turned out not to be a failure; the delay already set stays. */
  async refund(key: string): Promise<void> {
    await this.pool.query('UPDATE signin_failures SET failures = GREATEST(failures, 1) - 1 WHERE key_hash = ?', [hashKey(key)]);
  }

  /** Drops what is forgotten; answers how many rows. */
  async purgeExpired(): Promise<number> {
    const [result] = await this.pool.query<ResultSetHeader>('DELETE FROM signin_failures WHERE forget_at < ? LIMIT 10000', [this.clock()]);
    return result.affectedRows;
  }
}
