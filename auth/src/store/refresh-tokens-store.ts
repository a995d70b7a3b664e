/**
 * Refresh tokens, stored only as SHA-256 hashes. A sign-in starts a family; each use of a token
 * spends it and issues the next one in the same family; presenting a spent token revokes the
 * family (someone else holds a copy), and so does signing out.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Tx } from './db';

export type RotateOutcome =
  | { kind: 'rotated'; userId: string; familyId: string }
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'revoked' }
  /** The token was already spent: the family is now revoked. */
  | { kind: 'reused'; familyId: string };

export class RefreshTokensStore {
  constructor(private readonly pool: Pool) {}

  async startFamily(tx: Tx, familyId: string, userId: string): Promise<void> {
    await tx.query('INSERT INTO refresh_families (id, user_id) VALUES (?, ?)', [familyId, userId]);
  }

  async insertToken(tx: Tx, token: { hash: string; familyId: string; userId: string; expiresAt: Date }): Promise<void> {
    await tx.query('INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES (?, ?, ?, ?)', [
      token.hash,
      token.familyId,
      token.userId,
      token.expiresAt,
    ]);
  }

  /**
   * Spends the token with this hash if it is live. Holds the token and family rows locked, so two
   * requests presenting one token are decided one after the other: the second finds it spent.
   */
  async spend(tx: Tx, hash: string, now: Date): Promise<RotateOutcome> {
    const [rows] = await tx.query<RowDataPacket[]>(
      `SELECT t.family_id, t.user_id, t.expires_at, t.used_at, f.revoked_at
       FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
       WHERE t.token_hash = ? FOR UPDATE`,
      [hash],
    );
    const row = rows[0];
    if (!row) return { kind: 'unknown' };
    const familyId = String(row.family_id);
    if (row.revoked_at) return { kind: 'revoked' };
    if (row.used_at) {
      await this.revokeFamily(tx, familyId, 'reuse', now);
      return { kind: 'reused', familyId };
    }
    if ((row.expires_at as Date).getTime() <= now.getTime()) return { kind: 'expired' };
    await tx.query('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?', [now, hash]);
    return { kind: 'rotated', userId: String(row.user_id), familyId };
  }

  async revokeFamily(tx: Tx, familyId: string, reason: 'reuse' | 'signout', now: Date): Promise<void> {
    await tx.query('UPDATE refresh_families SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL', [
      now,
      reason,
      familyId,
    ]);
  }

  async familyOf(hash: string): Promise<string | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT family_id FROM refresh_tokens WHERE token_hash = ?', [hash]);
    return rows[0] ? String(rows[0].family_id) : undefined;
  }

  /** For tests and operators: the family's state. */
  async family(familyId: string): Promise<{ revokedAt: Date | null; revokedReason: string | null; tokens: number } | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT f.revoked_at, f.revoked_reason, (SELECT COUNT(*) FROM refresh_tokens t WHERE t.family_id = f.id) AS tokens FROM refresh_families f WHERE f.id = ?',
      [familyId],
    );
    const row = rows[0];
    return (
      row && { revokedAt: row.revoked_at as Date | null, revokedReason: row.revoked_reason as string | null, tokens: Number(row.tokens) }
    );
  }

  /** Forgets tokens expired for more than a day, and families left without tokens. */
  async purgeExpired(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - 24 * 3600_000);
    const [result] = await this.pool.query<ResultSetHeader>('DELETE FROM refresh_tokens WHERE expires_at < ? LIMIT 10000', [cutoff]);
    await this.pool.query(
      'DELETE f FROM refresh_families f LEFT JOIN refresh_tokens t ON t.family_id = f.id WHERE t.token_hash IS NULL AND f.created_at < ?',
      [cutoff],
    );
    return result.affectedRows;
  }
}
