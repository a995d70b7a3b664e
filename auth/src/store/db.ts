/** Transactions over the service's MySQL pool (common's inTransaction retries deadlocks). */
import type { PoolConnection } from 'mysql2/promise';

export { inTransaction } from '@lumina/common';
export type Tx = PoolConnection;

function errno(err: unknown): number | undefined {
  return (err as { errno?: number })?.errno;
}

/** ER_DUP_ENTRY, with the name of the unique key that refused the row. */
export function duplicateKeyName(err: unknown): string | undefined {
  if (errno(err) !== 1062) return undefined;
  const message = String((err as { sqlMessage?: string }).sqlMessage ?? (err as Error).message);
  // MariaDB: "... for key 'uq_users_username'"; MySQL 8: "... for key 'users.uq_users_username'".
  const match = /for key '(?:[^'.]+\.)?([^']+)'/.exec(message);
  return match?.[1] ?? '';
}
