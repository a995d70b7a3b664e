/** Who likes what, from post.liked / post.unliked (by engagement version), for `likedByViewer`. */
import { applyIfNewerMongo, findAmong, type ApplyOutcome } from '@lumina/common';
import type { Model } from 'mongoose';
import { likeKey } from '../ids';
import { rawCollection, type LikeDoc } from './models';

export class LikesStore {
  constructor(private readonly model: Model<LikeDoc>) {}

  apply(postId: string, userId: string, liked: boolean, version: number): Promise<ApplyOutcome> {
    return applyIfNewerMongo(this.model.collection, likeKey(postId, userId), version, { postId, userId, liked });
  }

  /** Of these posts, the ones the user likes. */
  async likedAmong(userId: string, postIds: string[]): Promise<Set<string>> {
    if (postIds.length === 0) return new Set();
    const docs = await findAmong(
      rawCollection(this.model),
      '_id',
      postIds.map((p) => likeKey(p, userId)),
      { filter: { liked: true }, projection: { postId: 1 } },
    );
    return new Set(docs.map((d) => d.postId));
  }
}
