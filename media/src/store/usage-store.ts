/**
 * Copies of other services' state that decide whether a media is in use: which media each post
 * shows (from post.created / post.deleted) and which media each user has as avatar (from
 * user.*). Each is applied by version, with deletions kept as tombstones, so duplicated and
 * reordered events are harmless.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { applyIfNewerMongo, type ApplyOutcome } from '@lumina/common';

export interface PostRef {
  _id: string;
  mediaIds: string[];
  deleted: boolean;
  version: number;
}

export interface AvatarRef {
  _id: string;
  mediaId: string | null;
  version: number;
}

const postRefSchema = new Schema<PostRef>(
  { _id: String, mediaIds: { type: [String], default: [] }, deleted: { type: Boolean, default: false }, version: Number },
  { collection: 'post_refs', versionKey: false },
);

const avatarRefSchema = new Schema<AvatarRef>(
  { _id: String, mediaId: { type: String, default: null }, version: Number },
  { collection: 'avatar_refs', versionKey: false },
);
avatarRefSchema.index({ mediaId: 1 });

export class UsageStore {
  private constructor(
    private readonly posts: Model<PostRef>,
    private readonly avatars: Model<AvatarRef>,
  ) {}

  static async open(conn: Connection): Promise<UsageStore> {
    const posts = conn.model<PostRef>('PostRef', postRefSchema);
    const avatars = conn.model<AvatarRef>('AvatarRef', avatarRefSchema);
    await Promise.all([posts.createIndexes(), avatars.createIndexes()]);
    return new UsageStore(posts, avatars);
  }

  async recordPostCreated(postId: string, mediaIds: string[], version: number): Promise<ApplyOutcome> {
    // A post.created is nearly always the first word of its post here: insert first.
    return applyIfNewerMongo(this.posts.collection, postId, version, { mediaIds, deleted: false }, { likelyNew: true });
  }

  /** A tombstone: keeps the media ids a post.created may have brought. */
  async recordPostDeleted(postId: string, version: number): Promise<ApplyOutcome> {
    return applyIfNewerMongo(this.posts.collection, postId, version, { deleted: true });
  }

  async findPost(postId: string): Promise<PostRef | null> {
    return this.posts.findById(postId).lean<PostRef>();
  }

  async recordAvatar(userId: string, mediaId: string | null, version: number): Promise<ApplyOutcome> {
    return applyIfNewerMongo(this.avatars.collection, userId, version, { mediaId });
  }

  /** The ones among these media that some user has as avatar. */
  async avatarsAmong(mediaIds: string[]): Promise<Set<string>> {
    if (mediaIds.length === 0) return new Set();
    const refs = await this.avatars.find({ mediaId: { $in: mediaIds } }, { mediaId: 1 }).lean<AvatarRef[]>();
    return new Set(refs.map((r) => r.mediaId).filter((id): id is string => id !== null));
  }
}
