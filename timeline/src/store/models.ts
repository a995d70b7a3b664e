/**
 * The timeline database: copies fed by events (authors, follow edges, posts, likes) and what this
 * service owns durably (notifications). Home feeds and cards live in Redis and are rebuilt from these. Every index below is one a query in this
 * folder relies on; all of them work on MongoDB 7 and FerretDB 1.24 (no partial or TTL indexes).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Avatar, PostMedia } from '@lumina/common';

export interface AuthorDoc {
  _id: string;
  username: string;
  displayName: string;
  avatar: Avatar;
  version: number;
  deleted: boolean;
  /** Set once a post of theirs was not fanned out (too many followers): readers merge their posts in. */
  pulled?: boolean;
}

export type EdgeState = 'active' | 'inactive';
export interface FollowEdgeDoc {
  _id: string;
  followerId: string;
  followeeId: string;
  state: EdgeState;
  /** The edge's own version: grows with every follow/unfollow of this pair. */
  version: number;
  /** When the change happened (the event's occurredAt). */
  changedAt: Date;
  /** When this service applied it (a fan-out looks for unfollows applied while it ran). */
  appliedAt: Date;
}

/** stub: only engagement counts arrived so far; live: renderable; deleted: a tombstone. */
export type PostState = 'stub' | 'live' | 'deleted';
/**
 * How a live post reaches its author's followers. push: written into their timelines (every
 * delivery of its post.created writes what is missing, which is nothing after the first);
 * pulled: merged at read time (an author over the fan-out threshold). Copies written before
 * 2026-12 may say pending or done, which mean push.
 */
export type FanoutState = 'push' | 'pulled' | 'pending' | 'done';

export interface PostDoc {
  _id: string;
  state: PostState;
  authorId?: string;
  caption: string;
  hashtags: string[];
  mentions: Array<{ id: string; username: string }>;
  media: PostMedia[];
  createdAt?: Date;
  updatedAt?: Date;
  /** The post's version (post.* events). */
  version: number;
  likeCount: number;
  commentCount: number;
  /** The engagement version of the event each count came from (0: from a post.* event). */
  likeVersion: number;
  commentVersion: number;
  /** Explore's stored score (see ranking.ts); absent until the post is live. */
  hot?: number;
  /** When the post landed here, as a sortable sequence (the stream's `id:` for merged posts). */
  seq?: string;
  fanout: FanoutState;
  /** Compare-and-set token: every write of this document increments it. */
  rev: number;
}

export interface LikeDoc {
  _id: string;
  postId: string;
  userId: string;
  liked: boolean;
  version: number;
}

export type NotificationType = 'follow' | 'like' | 'comment' | 'mention';
export interface NotificationDoc {
  _id: string;
  recipientId: string;
  type: NotificationType;
  actorId: string;
  postId: string | null;
  createdAt: Date;
  read: boolean;
}

// Collections and indexes are made by common's syncModelIndexes at start-up, not as a side effect of compiling.
const options = { versionKey: false, autoIndex: false, autoCreate: false } as const;
const mixed = Schema.Types.Mixed;

const authorSchema = new Schema<AuthorDoc>(
  {
    _id: { type: String, required: true },
    username: String,
    displayName: String,
    avatar: { type: mixed, default: null },
    version: { type: Number, required: true },
    deleted: { type: Boolean, default: false },
    pulled: Boolean,
  },
  { ...options, collection: 'authors' },
);
authorSchema.index({ pulled: 1 });

const edgeSchema = new Schema<FollowEdgeDoc>(
  {
    _id: { type: String, required: true },
    followerId: { type: String, required: true },
    followeeId: { type: String, required: true },
    state: { type: String, required: true },
    version: { type: Number, required: true },
    changedAt: Date,
    appliedAt: Date,
  },
  { ...options, collection: 'follows' },
);
// Fan-out: the active followers of an author (and their count, bounded); and the unfollows of an
// author applied while a fan-out ran.
edgeSchema.index({ followeeId: 1, state: 1, appliedAt: 1 });
// Building a viewer's feed: whom they follow.
edgeSchema.index({ followerId: 1 });

const postSchema = new Schema<PostDoc>(
  {
    _id: { type: String, required: true },
    state: { type: String, required: true },
    authorId: String,
    caption: String,
    hashtags: [String],
    mentions: { type: mixed },
    media: { type: mixed },
    createdAt: Date,
    updatedAt: Date,
    version: Number,
    likeCount: Number,
    commentCount: Number,
    likeVersion: Number,
    commentVersion: Number,
    hot: Number,
    seq: String,
    fanout: String,
    rev: Number,
  },
  { ...options, collection: 'posts' },
);
// Backfill on follow and the read-time merge of celebrities: an author's posts, newest first.
postSchema.index({ authorId: 1, createdAt: -1, _id: -1 });
// Explore: ranked by the stored score.
postSchema.index({ hot: -1, _id: -1 });

const likeSchema = new Schema<LikeDoc>(
  {
    _id: { type: String, required: true },
    postId: String,
    userId: String,
    liked: Boolean,
    version: Number,
  },
  { ...options, collection: 'likes' },
);
// Building what a viewer likes in Redis.
likeSchema.index({ userId: 1 });

const notificationSchema = new Schema<NotificationDoc>(
  {
    _id: { type: String, required: true },
    recipientId: { type: String, required: true },
    type: { type: String, required: true },
    actorId: { type: String, required: true },
    postId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    read: { type: Boolean, default: false },
  },
  { ...options, collection: 'notifications' },
);
notificationSchema.index({ recipientId: 1, createdAt: -1, _id: -1 });
notificationSchema.index({ recipientId: 1, read: 1 });
notificationSchema.index({ postId: 1 });

export interface TimelineModels {
  authors: Model<AuthorDoc>;
  follows: Model<FollowEdgeDoc>;
  posts: Model<PostDoc>;
  likes: Model<LikeDoc>;
  notifications: Model<NotificationDoc>;
}

/** Registers the models on a connection (no I/O). */
export function timelineModels(conn: Connection): TimelineModels {
  const model = <T>(name: string, schema: Schema<T>): Model<T> =>
    (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    authors: model('Author', authorSchema),
    follows: model('FollowEdge', edgeSchema),
    posts: model('Post', postSchema),
    likes: model('Like', likeSchema),
    notifications: model('Notification', notificationSchema),
  };
}
