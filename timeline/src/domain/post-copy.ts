/**
 * How events change this service's copy of a post. The post's own fields follow the post
 * version; each count follows the engagement version of the event that carried it. The counter is
 * shared by likes and comments, but a like event carries only likeCount and a comment event only
 * commentCount, so each count keeps the version it came from: a comment at engagement version 6
 * must not block the likeCount of a like at version 5 that arrives after it.
 */
import type { PostState as PostEventData } from '@lumina/common';
import { sequences } from '../ids';
import { hotScore } from './ranking';
import type { PostDoc } from '../store';
import type { PostMutation } from '../store/posts-store';

type Fields = Omit<PostDoc, 'rev'>;

function blank(id: string): Fields {
  return {
    _id: id,
    state: 'stub',
    caption: '',
    hashtags: [],
    mentions: [],
    media: [],
    version: 0,
    likeCount: 0,
    commentCount: 0,
    likeVersion: 0,
    commentVersion: 0,
    fanout: 'push',
  };
}

function withScore(post: Fields): Fields {
  if (post.state !== 'live' || !post.createdAt) return post;
  return { ...post, hot: hotScore(post.likeCount, post.commentCount, post.createdAt) };
}

/** post.created / post.updated: the full post at its version. */
export function applyPostEvent(data: PostEventData): PostMutation {
  return (current) => {
    if (current && current.version >= data.version) return null;
    const base = current ?? blank(data.id);
    return withScore({
      ...base,
      state: 'live',
      authorId: data.authorId,
      caption: data.caption,
      hashtags: data.hashtags,
      mentions: data.mentions,
      media: data.media,
      createdAt: new Date(data.createdAt),
      updatedAt: data.updatedAt ? new Date(data.updatedAt) : undefined,
      version: data.version,
      // Counts in a post event are only a starting point: engagement events, once seen, win.
      likeCount: base.likeVersion > 0 ? base.likeCount : data.likeCount,
      commentCount: base.commentVersion > 0 ? base.commentCount : data.commentCount,
      seq: base.seq ?? sequences.next(),
    });
  };
}

/** post.deleted: a tombstone with the version, its content dropped. */
export function applyPostDeletion(id: string, authorId: string, version: number): PostMutation {
  return (current) => {
    if (current && current.version >= version) return null;
    const base = current ?? blank(id);
    return { ...base, state: 'deleted', authorId, version, caption: '', hashtags: [], mentions: [], media: [], hot: undefined };
  };
}

/** post.liked/unliked (likeCount) and comment.created/deleted (commentCount) at an engagement version. */
export function applyEngagement(kind: 'like' | 'comment', count: number, version: number, authorId?: string): PostMutation {
  return (current) => {
    const base = current ?? { ...blank(''), authorId };
    const held = kind === 'like' ? base.likeVersion : base.commentVersion;
    if (version <= held) return null;
    const counts = kind === 'like' ? { likeCount: count, likeVersion: version } : { commentCount: count, commentVersion: version };
    return withScore({ ...base, ...counts, authorId: base.authorId ?? authorId });
  };
}
