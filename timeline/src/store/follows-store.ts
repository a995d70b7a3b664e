/**
 * The copy of the follow graph. Each edge is one document kept with its state and its own
 * version, so an unfollow that overtakes its follow still wins: the older follow finds a newer
 * version and changes nothing.
 */
import { applyIfNewerMongo, collectionOf, findAmong, type ApplyOutcome } from '@lumina/common';
import type { Model } from 'mongoose';
import { edgeKey } from '../ids';
import { type EdgeState, type FollowEdgeDoc } from './models';

export interface EdgeChange {
  followerId: string;
  followeeId: string;
  version: number;
  occurredAt: string;
}

export class FollowsStore {
  constructor(private readonly model: Model<FollowEdgeDoc>) {}

  /** Applies the change if newer than the edge held; answers the edge as it now stands. */
  async apply(change: EdgeChange, state: EdgeState): Promise<{ outcome: ApplyOutcome; edge: FollowEdgeDoc | null }> {
    const outcome = await applyIfNewerMongo(this.model.collection, edgeKey(change.followerId, change.followeeId), change.version, {
      followerId: change.followerId,
      followeeId: change.followeeId,
      state,
      changedAt: new Date(change.occurredAt),
      appliedAt: new Date(),
    });
    return { outcome, edge: await this.get(change.followerId, change.followeeId) };
  }

  get(followerId: string, followeeId: string): Promise<FollowEdgeDoc | null> {
    return this.model.findById(edgeKey(followerId, followeeId)).lean<FollowEdgeDoc>().exec();
  }

  /** Every edge from a follower, in either state, with its version (to rebuild whom they follow). */
  edgesOf(followerId: string): Promise<FollowEdgeDoc[]> {
    return this.model.find({ followerId }, { followeeId: 1, state: 1, version: 1 }).lean<FollowEdgeDoc[]>().exec();
  }

  /** Every edge to an author, in either state, with its version (to rebuild who follows them). */
  edgesTo(followeeId: string): Promise<FollowEdgeDoc[]> {
    return this.model.find({ followeeId }, { followerId: 1, state: 1, version: 1 }).lean<FollowEdgeDoc[]>().exec();
  }

  /** Every edge (the rebuild of every feed reads them once). */
  async *allEdges(batchSize = 5000): AsyncGenerator<Pick<FollowEdgeDoc, 'followerId' | 'followeeId' | 'state' | 'version'>> {
    const cursor = this.model.collection.find({}, { projection: { followerId: 1, followeeId: 1, state: 1, version: 1 }, batchSize });
    try {
      for await (const doc of cursor) yield doc as unknown as FollowEdgeDoc;
    } finally {
      await cursor.close();
    }
  }

  /** The active followers of an author, a batch at a time. */
  async *activeFollowerBatches(authorId: string, batchSize: number): AsyncGenerator<string[]> {
    const cursor = this.model.collection.find({ followeeId: authorId, state: 'active' }, { projection: { followerId: 1 }, batchSize });
    let batch: string[] = [];
    try {
      for await (const doc of cursor) {
        batch.push(doc.followerId as string);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      await cursor.close();
    }
  }

  /** Which of these users follow the author now. */
  async activeFollowersAmong(authorId: string, userIds: string[]): Promise<string[]> {
    return this.edgesAmong(
      userIds.map((u) => edgeKey(u, authorId)),
      'active',
      (e) => e.followerId,
    );
  }

  /** Which of these authors the viewer follows now. */
  async activeFolloweesAmong(viewerId: string, authorIds: string[]): Promise<string[]> {
    return this.edgesAmong(
      authorIds.map((a) => edgeKey(viewerId, a)),
      'active',
      (e) => e.followeeId,
    );
  }

  private async edgesAmong(keys: string[], state: EdgeState, pick: (e: FollowEdgeDoc) => string): Promise<string[]> {
    if (keys.length === 0) return [];
    const docs = await findAmong(collectionOf(this.model), '_id', keys, {
      filter: { state },
      projection: { followerId: 1, followeeId: 1 },
    });
    return (docs as FollowEdgeDoc[]).map(pick);
  }
}
