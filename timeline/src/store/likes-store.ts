/** Who likes what, from post.liked / post.unliked (by engagement version), for `likedByViewer`. */
import { applyIfNewerMongo, type ApplyOutcome } from '@lumina/common';
import type { Model } from 'mongoose';
import { likeKey } from '../ids';
import type { LikeDoc } from './models';

export class LikesStore {
  constructor(private readonly model: Model<LikeDoc>) {}

  apply(postId: string, userId: string, liked: boolean, version: number): Promise<ApplyOutcome> {
    return applyIfNewerMongo(this.model.collection, likeKey(postId, userId), version, { postId, userId, liked });
  }

  /** Every like and unlike of a user, with versions (to rebuild what they like in Redis). */
  allOf(userId: string): Promise<LikeDoc[]> {
    return this.model.find({ userId }, { postId: 1, liked: 1, version: 1 }).lean<LikeDoc[]>().exec();
  }

  /** Every like (the rebuild of every feed reads them once). */
  async *all(batchSize = 5000): AsyncGenerator<LikeDoc> {
    const cursor = this.model.collection.find({}, { batchSize });
    try {
      for await (const doc of cursor) yield doc as unknown as LikeDoc;
    } finally {
      await cursor.close();
    }
  }
}
