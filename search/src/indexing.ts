/**
 * What goes into the index for a user or a post: the rules that turn an event's state into the
 * searchable document. The store writes these; it does not decide what they contain.
 */
import type { Avatar, PostMedia, PostState, UserState } from '@lumina/common';

export interface UserDocument {
  id: string;
  username: string;
  displayName: string;
  bio: string;
  avatar: Avatar;
  version: number;
}

export interface PostDocument {
  id: string;
  authorId: string;
  caption: string;
  /** Every media item's alt text, one per line: searchable like the caption. */
  altText: string;
  hashtags: string[];
  media: PostMedia[];
  likeCount: number;
  commentCount: number;
  createdAt: Date;
  updatedAt: Date | null;
  version: number;
}

const HASHTAG = /^[\p{L}\p{M}\p{N}_]{1,100}$/u;

/** A hashtag as the index keys it: NFC, lower-case, without `#`; null if it is not one. */
export function normalizeHashtag(raw: string): string | null {
  const tag = raw.normalize('NFC').replace(/^#/, '').toLowerCase();
  return HASHTAG.test(tag) ? tag : null;
}

export function userDocument(state: UserState): UserDocument {
  return {
    id: state.id,
    username: state.username.toLowerCase(),
    displayName: state.displayName,
    bio: state.bio,
    avatar: state.avatar,
    version: state.version,
  };
}

export function postDocument(state: PostState): PostDocument {
  const hashtags = [...new Set(state.hashtags.map(normalizeHashtag).filter((t): t is string => t !== null))];
  return {
    id: state.id,
    authorId: state.authorId,
    caption: state.caption,
    altText: state.media
      .map((m) => m.alt.trim())
      .filter((alt) => alt.length > 0)
      .join('\n'),
    hashtags,
    media: state.media,
    likeCount: state.likeCount,
    commentCount: state.commentCount,
    createdAt: new Date(state.createdAt),
    updatedAt: state.updatedAt ? new Date(state.updatedAt) : null,
    version: state.version,
  };
}
