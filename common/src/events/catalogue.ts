/**
 * The event catalogue: every event Lumina publishes, defined once. From each definition come
 * the subject, the stream it lives in, its schema version, the zod schema that checks it at
 * run time and (by z.infer) its TypeScript type. This file is the source of truth that
 * ../shared/DESIGN.md's event table mirrors.
 */
import { z } from 'zod';

/** The streams, each owned by one producing service. Subjects are relative to the namespace prefix. */
export const STREAMS = {
  USERS: { subjects: ['user.>'], owner: 'auth', retention: 'limits' },
  POSTS: { subjects: ['post.>', 'comment.>'], owner: 'posts', retention: 'limits' },
  MEDIA: { subjects: ['media.>'], owner: 'media', retention: 'limits' },
  /** media's internal work queue: each job is taken by exactly one worker. */
  MEDIA_JOBS: { subjects: ['jobs.media.>'], owner: 'media', retention: 'workqueue' },
  /** Messages no handler could process, with the reason and the original. */
  DLQ: { subjects: ['dlq.>'], owner: 'common', retention: 'limits' },
} as const;
export type StreamName = keyof typeof STREAMS;

export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  /** `user.created`; the subject is `<prefix>.user.created`. */
  readonly type: T;
  readonly schemaVersion: number;
  readonly stream: StreamName;
  readonly schema: S;
}

function defineEvent<T extends string, S extends z.ZodType>(
  type: T,
  stream: StreamName,
  schemaVersion: number,
  schema: S,
): EventDefinition<T, S> {
  return { type, stream, schemaVersion, schema };
}

export type EventData<E extends EventDefinition> = z.infer<E['schema']>;

// ---- shared shapes -------------------------------------------------------------------------

const id = z.string().min(1).max(64);
const version = z.number().int().positive();
const isoDate = z.string().datetime({ offset: true });

export const imageVariantSchema = z.object({
  url: z.string().min(1).max(512),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const variantsSchema = z.object({ thumb: imageVariantSchema, feed: imageVariantSchema });
export type Variants = z.infer<typeof variantsSchema>;

/** A user's avatar as other services render it: the media id and its square thumbnail. */
export const avatarSchema = z.object({ mediaId: id, url: z.string().min(1).max(512), blurhash: z.string().max(128) }).nullable();
export type Avatar = z.infer<typeof avatarSchema>;

/** A resolved @mention: only users that exist become mentions, the rest stay plain text. */
export const mentionSchema = z.object({ id, username: z.string().min(1).max(30) });

export const postMediaSchema = z.object({
  id,
  alt: z.string().max(1000),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  blurhash: z.string().max(128),
  variants: variantsSchema,
});
export type PostMedia = z.infer<typeof postMediaSchema>;

export const userStateSchema = z.object({
  id,
  username: z.string().min(1).max(30),
  displayName: z.string().max(50),
  bio: z.string().max(160),
  avatar: avatarSchema,
  version,
});
export type UserState = z.infer<typeof userStateSchema>;

export const postStateSchema = z.object({
  id,
  authorId: id,
  caption: z.string().max(2200),
  hashtags: z.array(z.string().min(1).max(100)).max(100),
  mentions: z.array(mentionSchema).max(100),
  media: z.array(postMediaSchema).min(1).max(10),
  likeCount: z.number().int().nonnegative(),
  commentCount: z.number().int().nonnegative(),
  createdAt: isoDate,
  updatedAt: isoDate.optional(),
  version,
});
export type PostState = z.infer<typeof postStateSchema>;

const followEdge = z.object({ followerId: id, followeeId: id, version, occurredAt: isoDate });

// ---- the catalogue -------------------------------------------------------------------------

export const Events = {
  userCreated: defineEvent('user.created', 'USERS', 1, userStateSchema),
  userUpdated: defineEvent('user.updated', 'USERS', 1, userStateSchema),
  userDeleted: defineEvent('user.deleted', 'USERS', 1, z.object({ id, version })),
  /** `version` is the edge's own: it grows with every follow/unfollow of this pair. */
  userFollowed: defineEvent('user.followed', 'USERS', 1, followEdge),
  userUnfollowed: defineEvent('user.unfollowed', 'USERS', 1, followEdge),

  mediaReady: defineEvent(
    'media.ready',
    'MEDIA',
    1,
    z.object({
      id,
      ownerId: id,
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      blurhash: z.string().max(128),
      variants: variantsSchema,
      version,
    }),
  ),
  mediaFailed: defineEvent('media.failed', 'MEDIA', 1, z.object({ id, ownerId: id, reason: z.string().max(500), version })),
  mediaDeleted: defineEvent('media.deleted', 'MEDIA', 1, z.object({ id, ownerId: id, version })),

  postCreated: defineEvent('post.created', 'POSTS', 1, postStateSchema),
  postUpdated: defineEvent('post.updated', 'POSTS', 1, postStateSchema),
  postDeleted: defineEvent('post.deleted', 'POSTS', 1, z.object({ id, authorId: id, version })),
  /**
   * `version` is the post's engagement version: it grows with every like, unlike, comment and
   * comment deletion of that post, so a consumer keeps the count of the newest it has seen.
   */
  postLiked: defineEvent(
    'post.liked',
    'POSTS',
    1,
    z.object({ postId: id, postAuthorId: id, userId: id, likeCount: z.number().int().nonnegative(), version }),
  ),
  postUnliked: defineEvent(
    'post.unliked',
    'POSTS',
    1,
    z.object({ postId: id, postAuthorId: id, userId: id, likeCount: z.number().int().nonnegative(), version }),
  ),
  commentCreated: defineEvent(
    'comment.created',
    'POSTS',
    1,
    z.object({
      id,
      postId: id,
      postAuthorId: id,
      authorId: id,
      body: z.string().min(1).max(1000),
      mentions: z.array(mentionSchema).max(100),
      commentCount: z.number().int().nonnegative(),
      createdAt: isoDate,
      version,
    }),
  ),
  commentDeleted: defineEvent(
    'comment.deleted',
    'POSTS',
    1,
    z.object({ id, postId: id, commentCount: z.number().int().nonnegative(), version }),
  ),

  /** media's internal job: process one upload. */
  mediaProcessRequested: defineEvent('jobs.media.process', 'MEDIA_JOBS', 1, z.object({ mediaId: id })),
} as const;

export type EventName = keyof typeof Events;
