/**
 * The posts service's collections: its own posts, likes and comments, and the copies of users
 * and media it keeps from their events. Indexes are declared here and built at start-up
 * (openModels), each with the reason it exists.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { outboxSchemaFields, syncModelIndexes, type Avatar, type Envelope, type Variants } from '@lumina/common';

export interface Mention {
  id: string;
  username: string;
}

/** A media item as a post holds it: what the media copy said when the post was written. */
export interface PostMediaSnapshot {
  id: string;
  alt: string;
  width: number;
  height: number;
  blurhash: string;
  variants: Variants;
}

export interface CommentDoc {
  _id: string;
  postId: string;
  authorId: string;
  body: string;
  mentions: Mention[];
  createdAt: Date;
  /** Tombstone: a deleted comment stays so a late re-insert of it cannot bring it back. */
  deletedAt?: Date | null;
}

/**
 * An engagement write the post has counted (inside the same single-document update as the count
 * and the event) but whose like/comment document may not be written yet. Whoever next holds the
 * post — the writer itself, the next writer, or the sweeper after a crash — writes it, which is
 * safe to repeat, and removes the op.
 */
export type PendingOp =
  | { id: string; kind: 'like' | 'unlike'; userId: string; ev: number; at: Date }
  | { id: string; kind: 'comment'; comment: CommentDoc; ev: number; at: Date }
  | { id: string; kind: 'uncomment'; commentId: string; ev: number; at: Date };

export interface PostDoc {
  _id: string;
  authorId: string;
  caption: string;
  hashtags: string[];
  mentions: Mention[];
  media: PostMediaSnapshot[];
  likeCount: number;
  commentCount: number;
  /** The post's version: 1 at creation, +1 on every edit and on deletion. */
  version: number;
  /** +1 on every like, unlike, comment and comment deletion; the version of those events. */
  engagementVersion: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt?: Date | null;
  _outbox?: Envelope[];
  _outboxPending?: true;
  _pending?: PendingOp[];
  /** Raised with every engagement op, lowered by the sweeper once none is left (see post-store.ts). */
  _pendingOps?: true;
}

export interface LikeDoc {
  /** `<postId>:<userId>` (engagement-store.ts's likeId). */
  _id: string;
  postId: string;
  userId: string;
  /** false once unliked: the row stays as a versioned tombstone (see PendingOp). */
  liked: boolean;
  /** The post's engagement version that last set this row; older writes are ignored. */
  ev: number;
  updatedAt: Date;
}

export interface UserCopyDoc {
  _id: string;
  username: string;
  displayName: string;
  avatar: Avatar;
  version: number;
  deleted?: boolean;
  /** When this copy last changed; breaks a tie between two copies briefly holding one username. */
  syncedAt: Date;
}

export type MediaStatus = 'ready' | 'failed' | 'deleted';

export interface MediaCopyDoc {
  _id: string;
  ownerId: string;
  status: MediaStatus;
  width?: number;
  height?: number;
  blurhash?: string;
  variants?: Variants;
  version: number;
}

const options = { versionKey: false, autoIndex: false } as const;

const mentionSchema = new Schema<Mention>({ id: String, username: String }, { _id: false });

const mediaSnapshotSchema = new Schema<PostMediaSnapshot>(
  { id: String, alt: String, width: Number, height: Number, blurhash: String, variants: Schema.Types.Mixed },
  { _id: false },
);

const postSchema = new Schema<PostDoc>(
  {
    _id: { type: String, required: true },
    authorId: { type: String, required: true },
    caption: { type: String, default: '' },
    hashtags: { type: [String], default: [] },
    mentions: { type: [mentionSchema], default: [] },
    media: { type: [mediaSnapshotSchema], default: [] },
    likeCount: { type: Number, default: 0 },
    commentCount: { type: Number, default: 0 },
    version: { type: Number, required: true },
    engagementVersion: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    deletedAt: { type: Date, default: undefined },
    ...outboxSchemaFields,
    _pending: { type: [Schema.Types.Mixed], default: undefined, select: false },
    _pendingOps: { type: Boolean, select: false },
  },
  { ...options, collection: 'posts' },
);
// Author lists (GET /api/v1/posts?authorId=…, newest first): the query walks one author's entries
// in this order from the cursor position (createdAt, _id) and stops after limit + 1, so a page
// costs the same whether the collection holds a thousand posts or millions. _id breaks ties
// between posts created in the same millisecond, matching the cursor.
postSchema.index({ authorId: 1, createdAt: -1, _id: -1 });
// The sweeper looks for posts with engagement writes a crashed process left half done, by a flag
// set with each op (top-level equality, which FerretDB pushes down; a range on '_pending.at' it
// answered by reading every post, every 5 s). Few posts carry it: the index is sparse.
postSchema.index({ _pendingOps: 1 }, { sparse: true });

const likeSchema = new Schema<LikeDoc>(
  {
    _id: { type: String, required: true },
    postId: { type: String, required: true },
    userId: { type: String, required: true },
    liked: { type: Boolean, required: true },
    ev: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { ...options, collection: 'likes' },
);
// One row per (post, user): its _id (likeId) makes it so; the unique index states it for MongoDB
// tools and guards against a writer that would use another _id.
likeSchema.index({ postId: 1, userId: 1 }, { unique: true });

const commentSchema = new Schema<CommentDoc>(
  {
    _id: { type: String, required: true },
    postId: { type: String, required: true },
    authorId: { type: String, required: true },
    body: { type: String },
    mentions: { type: [mentionSchema], default: [] },
    createdAt: { type: Date, required: true },
    deletedAt: { type: Date, default: undefined },
  },
  { ...options, collection: 'comments' },
);
// Comment lists (GET /api/v1/posts/:id/comments, oldest first): one post's comments in cursor order
// (createdAt, _id), read from the cursor position on, however many comments the post has.
commentSchema.index({ postId: 1, createdAt: 1, _id: 1 });

const userCopySchema = new Schema<UserCopyDoc>(
  {
    _id: { type: String, required: true },
    username: String,
    displayName: String,
    avatar: { type: Schema.Types.Mixed, default: null },
    version: { type: Number, required: true },
    deleted: Boolean,
    syncedAt: Date,
  },
  { ...options, collection: 'users' },
);
// @mention resolution looks users up by username. Not unique: during a rename two copies may
// briefly hold the same name (events of different users arrive in any order).
userCopySchema.index({ username: 1 });

const mediaCopySchema = new Schema<MediaCopyDoc>(
  {
    _id: { type: String, required: true },
    ownerId: { type: String, required: true },
    status: { type: String, required: true },
    width: Number,
    height: Number,
    blurhash: String,
    variants: Schema.Types.Mixed,
    version: { type: Number, required: true },
  },
  { ...options, collection: 'media' },
);
// Media are only read by _id; no further index.

export interface Models {
  Post: Model<PostDoc>;
  Like: Model<LikeDoc>;
  Comment: Model<CommentDoc>;
  UserCopy: Model<UserCopyDoc>;
  MediaCopy: Model<MediaCopyDoc>;
}

export function createModels(conn: Connection): Models {
  return {
    Post: conn.model<PostDoc>('Post', postSchema),
    Like: conn.model<LikeDoc>('Like', likeSchema),
    Comment: conn.model<CommentDoc>('Comment', commentSchema),
    UserCopy: conn.model<UserCopyDoc>('UserCopy', userCopySchema),
    MediaCopy: conn.model<MediaCopyDoc>('MediaCopy', mediaCopySchema),
  };
}

/** The models, once the collections and indexes they declare are made (safe on every start). */
export async function openModels(conn: Connection): Promise<Models> {
  const models = createModels(conn);
  await syncModelIndexes(models);
  return models;
}
