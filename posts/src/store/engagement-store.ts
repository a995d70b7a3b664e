/** Reads and writes of likes and comments, the documents engagement ops materialise into. */
import { collectionOf, findAmong, isDuplicateKeyError, type TimeIdCursor } from '@lumina/common';
import { type CommentDoc, type LikeDoc, type Models } from './models';

/**
 * A like row's _id is its (post, user) pair, so likedByViewer and isLiked are _id lookups: the
 * one filter FerretDB 1.24 serves from an index (its B-tree indexes cannot serve its equality
 * filters on other fields; those scan the collection in its backend).
 */
export function likeId(postId: string, userId: string): string {
  return `${postId}:${userId}`;
}

export class EngagementStore {
  constructor(private readonly models: Models) {}

  /**
   * Sets a like row to what the op at engagement version `ev` decided, unless a newer op already
   * wrote it. Repeating it, or running an older op late, changes nothing.
   */
  async writeLike(postId: string, userId: string, liked: boolean, ev: number): Promise<void> {
    const filter = { _id: likeId(postId, userId), ev: { $lt: ev } };
    const update = { $set: { postId, userId, liked, ev, updatedAt: new Date() } };
    try {
      await collectionOf(this.models.Like).updateOne(filter, update, { upsert: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // The row exists (perhaps created a moment ago by another writer): update it only if older.
      await collectionOf(this.models.Like).updateOne(filter, update);
    }
  }

  async isLiked(postId: string, userId: string): Promise<boolean> {
    const row = await collectionOf(this.models.Like).findOne({ _id: likeId(postId, userId) }, { projection: { liked: 1 } });
    return row?.liked === true;
  }

  /** The user's like rows among these posts (liked or unliked since), by post id. */
  async likesAmong(postIds: string[], userId: string): Promise<Map<string, Pick<LikeDoc, 'liked' | 'ev'>>> {
    if (postIds.length === 0) return new Map();
    const rows = await findAmong(
      collectionOf(this.models.Like),
      '_id',
      postIds.map((postId) => likeId(postId, userId)),
      { projection: { postId: 1, liked: 1, ev: 1 } },
    );
    return new Map(rows.map((r) => [r.postId, { liked: r.liked, ev: r.ev }]));
  }

  /** Inserts a comment; one that exists already (written before, or deleted since) is left alone. */
  async insertComment(comment: CommentDoc): Promise<void> {
    try {
      await collectionOf(this.models.Comment).insertOne(comment);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /** Turns a comment into a tombstone: its text goes, its id stays so it cannot come back. */
  async tombstoneComment(id: string, at: Date): Promise<void> {
    await collectionOf(this.models.Comment).updateOne({ _id: id }, { $set: { deletedAt: at, body: '', mentions: [] } });
  }

  async findLiveComment(postId: string, commentId: string): Promise<CommentDoc | null> {
    return this.models.Comment.findOne({ _id: commentId, postId, deletedAt: null }).lean<CommentDoc>().exec();
  }

  /** A post's live comments, oldest first, after the cursor position. */
  async listComments(postId: string, after: TimeIdCursor | undefined, limit: number): Promise<CommentDoc[]> {
    const position = after
      ? { $or: [{ createdAt: { $gt: new Date(after.t) } }, { createdAt: new Date(after.t), _id: { $gt: after.id } }] }
      : {};
    return this.models.Comment.find({ postId, deletedAt: null, ...position })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .lean<CommentDoc[]>()
      .exec();
  }
}
