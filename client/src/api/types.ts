/** The shapes of shared/DESIGN.md as the browser sees them. Ids are opaque strings. */

export interface Avatar {
  mediaId: string;
  url: string;
  blurhash: string;
}

export interface UserSummary {
  id: string;
  username: string;
  displayName: string;
  avatar: Avatar | null;
}

export interface User extends UserSummary {
  bio?: string;
  email?: string;
  followerCount?: number;
  followingCount?: number;
  isFollowing?: boolean;
}

export interface ImageVariant {
  url: string;
  width: number;
  height: number;
}

export interface Variants {
  thumb: ImageVariant;
  feed: ImageVariant;
}

export type MediaStatus = 'processing' | 'ready' | 'failed';

export interface Media {
  id: string;
  ownerId: string;
  status: MediaStatus;
  error?: string;
  width?: number;
  height?: number;
  blurhash?: string;
  alt?: string;
  variants?: Variants;
}

export interface MediaLimits {
  maxBytes: number;
  maxPixels: number;
  /** MIME types ("image/jpeg") or bare format names ("jpeg"); both are understood. */
  types: string[];
}

export interface PostMedia {
  id: string;
  alt: string;
  width: number;
  height: number;
  blurhash: string;
  variants: Variants;
}

export interface Mention {
  id: string;
  username: string;
}

export interface Post {
  id: string;
  author: UserSummary;
  caption: string;
  hashtags: string[];
  mentions: Mention[];
  media: PostMedia[];
  likeCount: number;
  commentCount: number;
  likedByViewer: boolean;
  createdAt: string;
  updatedAt?: string;
}

export interface Comment {
  id: string;
  postId?: string;
  author: UserSummary;
  body: string;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type NotificationType = 'follow' | 'like' | 'comment' | 'mention';

export interface NotificationPost {
  id: string;
  media?: Array<Partial<PostMedia>>;
  caption?: string;
}

export interface Notification {
  id: string;
  type: NotificationType;
  actor: UserSummary;
  post?: NotificationPost | null;
  createdAt: string;
  read: boolean;
}

export interface NotificationPage extends Page<Notification> {
  unread: number;
}

export interface HashtagHit {
  tag: string;
  postCount?: number;
}

export type Suggestion = ({ type: 'user' } & UserSummary) | ({ type: 'hashtag' } & HashtagHit);

export interface SearchResults {
  users: UserSummary[];
  posts: Post[];
  hashtags: HashtagHit[];
}

export interface FieldError {
  message: string;
  field?: string;
}
