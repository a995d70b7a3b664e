/**
 * The shapes the browser reads: @lumina/contract's, which the services answer and the tests check
 * (contract/src/shapes.ts). Only the views below are the client's own, and each is made of them.
 */
import type { ErrorEntry, OwnUser, Profile, UserSummary } from '@lumina/contract';

export type {
  Avatar,
  Comment,
  Hashtag,
  Media,
  MediaLimits,
  MediaStatus,
  Mention,
  Notification,
  NotificationPage,
  NotificationType,
  Page,
  Post,
  PostMedia,
  PublicUser,
  SearchPost,
  SearchUser,
  Suggestion,
  UserSummary,
  Variants,
} from '@lumina/contract';

/**
 * A user wherever the app shows one: the signed-in user (OwnUser), a profile (Profile), a row of
 * a follower list or of search results. What a screen may not have is optional.
 */
export type User = UserSummary &
  Partial<Pick<OwnUser & Profile, 'bio' | 'email' | 'createdAt' | 'followerCount' | 'followingCount' | 'isFollowing'>>;

/** One entry of the Error shape: a message, and the input at fault. */
export type FieldError = ErrorEntry;
