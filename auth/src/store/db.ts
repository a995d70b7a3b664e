/** Transactions over the service's MySQL pool. */
import type { Pool, PoolConnection } from 'mysql2/promise';

export type Tx = PoolConnection;

const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;
const MAX_ATTEMPTS = 4;

function errno(err: unknown): number | undefined {
  return (err as { errno?: number })?.errno;
}

/**
 * Runs `work` in one READ COMMITTED transaction (no gap locks, so two writers on different rows
 * never block each other) and commits. A deadlock chosen by InnoDB rolls the whole transaction
 * back, so it is safe to run `work` again from the start, which this does a few times.
 */
export async function inTransaction<T>(pool: Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const conn = await pool.getConnection();
    try {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      const result = await work(conn);
      await conn.commit();
      return result;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      const code = errno(err);
      if ((code === DEADLOCK || code === LOCK_WAIT_TIMEOUT) && attempt < MAX_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
        continue;
      }
      throw err;
    } finally {
      conn.release();
    }
  }
}

/** ER_DUP_ENTRY, with the name of the unique key that refused the row. */
export function duplicateKeyName(err: unknown): string | undefined {
  if (errno(err) !== 1062) return undefined;
  const message = String((err as { sqlMessage?: string }).sqlMessage ?? (err as Error).message);
  // MariaDB: "... for key 'uq_users_username'"; MySQL 8: "... for key 'users.uq_users_username'".
  const match = /for key '(?:[^'.]+\.)?([^']+)'/.exec(message);
  return match?.[1] ?? '';
}
