/** The follow graph: one row per ordered pair, with its own version. */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { TimeIdCursor } from '@lumina/common';
import type { User } from '../users';
import type { Tx } from './db';
import { USER_COLUMNS, userFromRow } from './users-store';

export interface Edge {
  active: boolean;
  /** 0 for a pair that never changed; +1 on every follow and every unfollow. */
  version: number;
}

export interface EdgeListRow {
  user: User;
  /** When the edge was (last) followed: the list's sort key. */
  followedAt: Date;
}

export type Direction = 'followers' | 'following';

export class FollowsStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Locks the pair's row until the transaction ends, creating it (inactive, version 0) when the
   * pair is new. INSERT … ON DUPLICATE KEY UPDATE takes the exclusive lock in one step, so two
   * writers on one pair queue up instead of both reading and then both writing.
   */
  async lockEdgeForFollow(tx: Tx, followerId: string, followeeId: string): Promise<Edge> {
    await tx.query(
      'INSERT INTO follows (follower_id, followee_id, active, version) VALUES (?, ?, 0, 0) ON DUPLICATE KEY UPDATE version = version',
      [followerId, followeeId],
    );
    return (await this.lockEdge(tx, followerId, followeeId)) ?? { active: false, version: 0 };
  }

  /** Locks the pair's row if there is one (an unfollow of a pair that never existed writes nothing). */
  async lockEdge(tx: Tx, followerId: string, followeeId: string): Promise<Edge | undefined> {
    const [rows] = await tx.query<RowDataPacket[]>(
      'SELECT active, version FROM follows WHERE follower_id = ? AND followee_id = ? FOR UPDATE',
      [followerId, followeeId],
    );
    const row = rows[0];
    return row && { active: Number(row.active) === 1, version: Number(row.version) };
  }

  async setEdge(tx: Tx, followerId: string, followeeId: string, edge: Edge, at: Date): Promise<void> {
    // followed_at moves only on a follow: it orders the lists, newest follow first.
    await tx.query(
      `UPDATE follows SET active = ?, version = ?, updated_at = ?, followed_at = IF(?, ?, followed_at)
       WHERE follower_id = ? AND followee_id = ?`,
      [edge.active ? 1 : 0, edge.version, at, edge.active ? 1 : 0, at, followerId, followeeId],
    );
  }

  async isFollowing(followerId: string, followeeId: string): Promise<boolean> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ? AND active = 1',
      [followerId, followeeId],
    );
    return rows.length > 0;
  }

  async edge(followerId: string, followeeId: string): Promise<Edge | undefined> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT active, version FROM follows WHERE follower_id = ? AND followee_id = ?', [
      followerId,
      followeeId,
    ]);
    const row = rows[0];
    return row && { active: Number(row.active) === 1, version: Number(row.version) };
  }

  /**
   * One page of a user's followers or followings, newest follow first, after the cursor's
   * position (follow time, then the other user's id). Answers up to `limit` rows.
   */
  async list(direction: Direction, userId: string, after: TimeIdCursor | undefined, limit: number): Promise<EdgeListRow[]> {
    // followers: rows pointing at the user, listing who follows; following: the other way round.
    const [self, other] = direction === 'followers' ? ['followee_id', 'follower_id'] : ['follower_id', 'followee_id'];
    const params: unknown[] = [userId];
    let position = '';
    if (after) {
      const t = new Date(after.t);
      position = `AND (f.followed_at < ? OR (f.followed_at = ? AND f.${other} < ?))`;
      params.push(t, t, after.id);
    }
    params.push(limit);
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${USER_COLUMNS}, f.followed_at AS edge_followed_at
       FROM follows f JOIN users u ON u.id = f.${other}
       WHERE f.${self} = ? AND f.active = 1 ${position}
       ORDER BY f.followed_at DESC, f.${other} DESC
       LIMIT ?`,
      params,
    );
    return rows.map((row) => ({ user: userFromRow(row as Parameters<typeof userFromRow>[0]), followedAt: row.edge_followed_at as Date }));
  }
}
