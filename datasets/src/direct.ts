/**
 * Follow edges written straight into the stores that hold them, for the benchmark only: auth's
 * MySQL (the source of truth: the edge rows and the users' counts) and timeline's copy of the
 * graph (what fan-out reads). No events are published, so no consumer has work from them.
 *
 * Used where the public path cannot finish inside the benchmark's time: the measured rates (in
 * the report) are ~100 follows/s through the gateway and ~35/s absorbed by timeline's
 * user.followed consumer on this machine, so 37,624 Reed98 follows would take ~18 minutes and
 * 100,000 followers of one account close to an hour. The edges are the same as a follow through
 * the API leaves behind (version 1, active), minus its notification.
 */
import type { Pool } from 'mysql2/promise';
import type { mongo } from 'mongoose';
import { seedActiveFollows } from '@lumina/timeline/testing';
import { ProgressBar } from './util/progress';

export interface Edge {
  followerId: string;
  followeeId: string;
}

const BATCH = 1000;

/** Timeline's copy: one document per edge, as its user.followed handler writes it (timeline's own seeding). */
export async function writeTimelineEdges(db: mongo.Db, edges: Edge[], label: string): Promise<number> {
  const bar = new ProgressBar(label, edges.length);
  const written = await seedActiveFollows(db, edges, { onBatch: (size) => bar.tick(size) });
  bar.finish();
  return written;
}

/** auth's follow rows (version 1, active) and the follower/following counts they add up to. */
export async function writeAuthEdges(pool: Pool, edges: Edge[], label: string): Promise<number> {
  const bar = new ProgressBar(label, edges.length);
  let written = 0;
  for (let i = 0; i < edges.length; i += BATCH) {
    const batch = edges.slice(i, i + BATCH);
    const [result] = await pool.query<import('mysql2/promise').ResultSetHeader>(
      'INSERT IGNORE INTO follows (follower_id, followee_id, active, version) VALUES ?',
      [batch.map((e) => [e.followerId, e.followeeId, 1, 1])],
    );
    written += result.affectedRows;
    bar.tick(batch.length);
  }
  // Counts recomputed from the rows, so edges that were there already are not counted twice.
  await pool.query(
    `UPDATE users u SET
       follower_count = (SELECT COUNT(*) FROM follows f WHERE f.followee_id = u.id AND f.active = 1),
       following_count = (SELECT COUNT(*) FROM follows f WHERE f.follower_id = u.id AND f.active = 1)`,
  );
  bar.finish();
  return written;
}
