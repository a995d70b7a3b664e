/**
 * Builds what clients see from the copies, through an allow-list of fields: a post with its
 * author {id, username, displayName, avatar}, media, counts and whether the viewer likes it.
 */
import type { Avatar, PostMedia } from '@lumina/common';
import type { AuthorDoc, PostDoc, Stores } from './store';

export interface AuthorView {
  id: string;
  username: string;
  displayName: string;
  avatar: Avatar;
}

export interface PostView {
  id: string;
  author: AuthorView;
  caption: string;
  hashtags: string[];
  mentions: Array<{ id: string; username: string }>;
  media: PostMedia[];
  likeCount: number;
  commentCount: number;
  likedByViewer: boolean;
  createdAt: string;
  updatedAt?: string;
}

export function authorView(id: string, author: AuthorDoc | undefined): AuthorView {
  // An author whose user.created has not arrived yet still renders, with what we know.
  return {
    id,
    username: author?.username ?? '',
    displayName: author?.displayName ?? '',
    avatar: author?.avatar ?? null,
  };
}

export class Renderer {
  constructor(private readonly stores: Pick<Stores, 'posts' | 'authors' | 'likes'>) {}

  /**
   * Renders the posts with these ids, in the given order, leaving out those that cannot be shown
   * (deleted, not arrived yet, or by a deleted user).
   */
  async posts(ids: string[], viewerId?: string, known?: Map<string, PostDoc>): Promise<Map<string, PostView>> {
    const posts = known ?? (await this.stores.posts.byIds(ids));
    const live = ids.map((id) => posts.get(id)).filter((p): p is PostDoc => !!p && p.state === 'live' && !!p.authorId && !!p.createdAt);
    const [authors, liked] = await Promise.all([
      this.stores.authors.byIds(live.map((p) => p.authorId as string)),
      viewerId
        ? this.stores.likes.likedAmong(
            viewerId,
            live.map((p) => p._id),
          )
        : Promise.resolve(new Set<string>()),
    ]);
    const views = new Map<string, PostView>();
    for (const post of live) {
      const authorId = post.authorId as string;
      const author = authors.get(authorId);
      if (author?.deleted) continue;
      views.set(post._id, {
        id: post._id,
        author: authorView(authorId, author),
        caption: post.caption,
        hashtags: post.hashtags ?? [],
        mentions: post.mentions ?? [],
        media: post.media ?? [],
        likeCount: post.likeCount,
        commentCount: post.commentCount,
        likedByViewer: liked.has(post._id),
        createdAt: (post.createdAt as Date).toISOString(),
        ...(post.updatedAt instanceof Date ? { updatedAt: post.updatedAt.toISOString() } : {}),
      });
    }
    return views;
  }
}
