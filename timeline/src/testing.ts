/**
 * What the tests and the benchmark use of timeline beyond its API (`@lumina/timeline/testing`):
 * the service started in-process, the Redis key layout the raw-query baseline reads, and follow
 * edges loaded behind the service's back. Production code imports none of it.
 */
import type { mongo } from 'mongoose';
import { edgeKey } from './ids';
import { duplicateIndexes } from './store/errors';

export { loadConfig } from './config';
export { startTimelineService } from './server';
export { compareEntryDesc } from './positions';
export { keys } from './store/redis/keys';
export { rangeAfter } from './store/redis/feeds-store';

export interface FollowEdge {
  followerId: string;
  followeeId: string;
}

const BATCH = 1000;

/**
 * Active follow edges written straight into timeline's `follows` collection, each as the
 * user.followed handler leaves it (FollowsStore.apply); edges already there stay as they are. No
 * event is published and no feed is built: a test or the benchmark rebuilds feeds itself.
 * Answers how many edges were new; `onBatch` hears of every batch written (a progress bar).
 */
export async function seedActiveFollows(
  db: mongo.Db,
  edges: FollowEdge[],
  options: { version?: number; onBatch?: (size: number) => void } = {},
): Promise<number> {
  const follows = db.collection<{ _id: string }>('follows');
  const at = new Date();
  let inserted = 0;
  for (let i = 0; i < edges.length; i += BATCH) {
    const docs = edges.slice(i, i + BATCH).map((e) => ({
      _id: edgeKey(e.followerId, e.followeeId),
      followerId: e.followerId,
      followeeId: e.followeeId,
      state: 'active' as const,
      version: options.version ?? 1,
      changedAt: at,
      appliedAt: at,
    }));
    try {
      inserted += (await follows.insertMany(docs, { ordered: false })).insertedCount;
    } catch (err) {
      inserted += docs.length - duplicateIndexes(err).size;
    }
    options.onBatch?.(docs.length);
  }
  return inserted;
}
