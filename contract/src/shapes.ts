/**
 * The public shapes, defined once: what every service answers and every client reads. Each is a
 * strict object, so an answer carrying a field its schema does not name (a stored field leaking
 * out, a stray `_id`) fails the response check the tests run (common's checkResponses).
 */
import { z } from 'zod';
import { ALT_TEXT_MAX, BIO_MAX, COMMENT_MAX, DISPLAY_NAME_MAX, HASHTAG_MAX, ID_PATTERN, MAX_MEDIA_PER_POST } from './limits';

/** An id: opaque to clients. */
export const Id = z.string().regex(ID_PATTERN).meta({ id: 'Id', description: 'Opaque id: 1–64 of A-Z a-z 0-9 _ -' });
export const IsoDate = z.iso.datetime({ offset: true }).meta({ description: 'An instant, ISO 8601' });
const count = z.number().int().nonnegative();
const url = z.string().min(1).max(512);

// ---- users ----------------------------------------------------------------------------------

export const Avatar = z
  .strictObject({ mediaId: Id, url, blurhash: z.string().max(128) })
  .nullable()
  .meta({ id: 'Avatar', description: "The media id and square thumbnail of the user's picture, or null" });
export type Avatar = z.infer<typeof Avatar>;

/**
 * A user as shown next to what they did: a post's or comment's author, a notification's actor.
 * A user the service has no copy of yet (or any more) has an empty username.
 */
export const UserSummary = z
  .strictObject({ id: Id, username: z.string().max(30), displayName: z.string().max(DISPLAY_NAME_MAX), avatar: Avatar })
  .meta({ id: 'UserSummary' });
export type UserSummary = z.infer<typeof UserSummary>;

/** What anyone may see of a user. */
export const PublicUser = z
  .strictObject({
    id: Id,
    username: z.string().min(1).max(30),
    displayName: z.string().max(DISPLAY_NAME_MAX),
    bio: z.string().max(BIO_MAX),
    avatar: Avatar,
    createdAt: IsoDate,
  })
  .meta({ id: 'PublicUser' });
export type PublicUser = z.infer<typeof PublicUser>;

/** What a signed-in user sees of themself: the public fields and their email. */
export const OwnUser = PublicUser.extend({ email: z.string() }).meta({ id: 'OwnUser' });
export type OwnUser = z.infer<typeof OwnUser>;

/** A profile page: the public fields (and the email, to its owner), counts, and the viewer's relation to it. */
export const Profile = PublicUser.extend({
  email: z.string().optional(),
  followerCount: count,
  followingCount: count,
  isFollowing: z.boolean().optional().meta({ description: 'Present for a signed-in viewer' }),
}).meta({ id: 'Profile' });
export type Profile = z.infer<typeof Profile>;

// ---- media ----------------------------------------------------------------------------------

export const ImageVariant = z.strictObject({ url, width: z.number().int().positive(), height: z.number().int().positive() });
export const Variants = z.strictObject({ thumb: ImageVariant, feed: ImageVariant }).meta({ id: 'Variants' });
export type Variants = z.infer<typeof Variants>;

export const MediaStatus = z.enum(['processing', 'ready', 'failed']);
export type MediaStatus = z.infer<typeof MediaStatus>;

/** An upload as its owner (or, once a post shows it, anyone) sees it. */
export const Media = z
  .strictObject({
    id: Id,
    ownerId: Id,
    status: MediaStatus,
    error: z.string().optional().meta({ description: 'Why processing failed; only when status is "failed"' }),
    width: count,
    height: count,
    blurhash: z.string().max(128).nullable(),
    alt: z.string().max(ALT_TEXT_MAX),
    variants: Variants.nullable(),
    createdAt: IsoDate,
  })
  .meta({ id: 'Media' });
export type Media = z.infer<typeof Media>;

export const MediaLimits = z
  .strictObject({ maxBytes: z.number().int().positive(), maxPixels: z.number().int().positive(), types: z.array(z.string()) })
  .meta({ id: 'MediaLimits', description: 'What an upload may be: size, pixels, MIME types' });
export type MediaLimits = z.infer<typeof MediaLimits>;

// ---- posts ----------------------------------------------------------------------------------

/** A resolved @mention: only users that exist become mentions, the rest stay plain text. */
export const Mention = z.strictObject({ id: Id, username: z.string().max(30) }).meta({ id: 'Mention' });
export type Mention = z.infer<typeof Mention>;

/** A photo of a post, with what the media service said about it. */
export const PostMedia = z
  .strictObject({
    id: Id,
    alt: z.string().max(ALT_TEXT_MAX),
    width: count,
    height: count,
    blurhash: z.string().max(128),
    variants: Variants,
  })
  .meta({ id: 'PostMedia' });
export type PostMedia = z.infer<typeof PostMedia>;

export const Hashtags = z.array(z.string().min(1).max(HASHTAG_MAX));

export const Post = z
  .strictObject({
    id: Id,
    author: UserSummary,
    caption: z.string(),
    hashtags: Hashtags,
    mentions: z.array(Mention),
    media: z.array(PostMedia).max(MAX_MEDIA_PER_POST),
    likeCount: count,
    commentCount: count,
    likedByViewer: z.boolean(),
    createdAt: IsoDate,
    /** posts always sends it; timeline's cards of posts written before it was carried may not have it. */
    updatedAt: IsoDate.optional(),
  })
  .meta({ id: 'Post' });
export type Post = z.infer<typeof Post>;

/**
 * A post as the search index holds it: no mentions and no viewer (search answers are the same for
 * everyone), and `updatedAt` null for a post never edited since it was indexed.
 */
export const SearchPost = Post.omit({ mentions: true, likedByViewer: true, updatedAt: true })
  .extend({ updatedAt: IsoDate.nullable() })
  .meta({ id: 'SearchPost' });
export type SearchPost = z.infer<typeof SearchPost>;

export const Comment = z
  .strictObject({
    id: Id,
    postId: Id,
    author: UserSummary,
    body: z.string().max(COMMENT_MAX),
    mentions: z.array(Mention),
    createdAt: IsoDate,
  })
  .meta({ id: 'Comment' });
export type Comment = z.infer<typeof Comment>;

export const LikeState = z.strictObject({ liked: z.boolean(), likeCount: count }).meta({ id: 'LikeState' });
export type LikeState = z.infer<typeof LikeState>;

// ---- timeline -------------------------------------------------------------------------------

export const NotificationType = z.enum(['follow', 'like', 'comment', 'mention']);
export type NotificationType = z.infer<typeof NotificationType>;

export const Notification = z
  .strictObject({
    id: Id,
    type: NotificationType,
    actor: UserSummary,
    post: z
      .strictObject({ id: Id, caption: z.string(), media: z.array(PostMedia) })
      .nullable()
      .optional()
      .meta({ description: 'For likes, comments and mentions: the post, or null once it is deleted' }),
    createdAt: IsoDate,
    read: z.boolean(),
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof Notification>;

// ---- search ---------------------------------------------------------------------------------

export const SearchUser = PublicUser.omit({ createdAt: true }).meta({ id: 'SearchUser' });
export type SearchUser = z.infer<typeof SearchUser>;

export const Hashtag = z.strictObject({ tag: z.string().min(1).max(HASHTAG_MAX), postCount: count }).meta({ id: 'Hashtag' });
export type Hashtag = z.infer<typeof Hashtag>;

export const Suggestion = z
  .discriminatedUnion('type', [UserSummary.extend({ type: z.literal('user') }), Hashtag.extend({ type: z.literal('hashtag') })])
  .meta({ id: 'Suggestion' });
export type Suggestion = z.infer<typeof Suggestion>;

// ---- envelopes ------------------------------------------------------------------------------

/** Every list: a page of items and the cursor of the next page (null on the last). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.strictObject({
    items: z.array(item),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  });
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const PostPage = pageOf(Post).meta({ id: 'PostPage' });

export const NotificationPage = pageOf(Notification).extend({ unread: count }).meta({ id: 'NotificationPage' });
export type NotificationPage = z.infer<typeof NotificationPage>;

/** Every error: one entry per problem; `field` names the input at fault (only for input errors). */
export const ErrorBody = z
  .strictObject({ errors: z.array(z.strictObject({ message: z.string(), field: z.string().optional() })).min(1) })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;
