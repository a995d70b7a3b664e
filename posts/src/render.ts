/**
 * Renders what clients see: posts and comments in the shapes of @lumina/contract, built from an
 * allow-list of fields, with the author and the media rendered from this service's copies (so a
 * renamed user shows the new name on old posts) and likedByViewer for a signed-in viewer.
 */
import type { PostState } from '@lumina/common';
import type { Comment, Post, UserSummary } from '@lumina/contract';
import type { MediaCard, ReadCache, UserCard } from './read-cache';
import type { CopiesStore } from './store/copies-store';
import type { CommentDoc, Mention, PostDoc, PostMediaSnapshot } from './store/models';

/** A user this service has no live copy of (deleted, or their events are still on the way). */
function absentUser(id: string): UserSummary {
  return { id, username: '', displayName: 'Unknown user', avatar: null };
}

function authorView(id: string, users: Map<string, UserCard>): UserSummary {
  const user = users.get(id);
  if (!user || user.deleted || !user.username) return absentUser(id);
  return { id, username: user.username, displayName: user.displayName ?? '', avatar: user.avatar ?? null };
}

/** Mentions with today's usernames; a mentioned user who was deleted is no longer a mention. */
function mentionViews(mentions: Mention[], users: Map<string, UserCard>): Mention[] {
  return mentions.flatMap((m) => {
    const user = users.get(m.id);
    if (user?.deleted) return [];
    return [{ id: m.id, username: user?.username || m.username }];
  });
}

/** The post's media with what the media copy says now (a re-processed image has new variants). */
function mediaViews(snapshot: PostMediaSnapshot[], media: Map<string, MediaCard>): PostMediaSnapshot[] {
  return snapshot.map((item) => {
    const copy = media.get(item.id);
    if (!copy || copy.status !== 'ready' || !copy.width || !copy.height || !copy.variants) return item;
    return { id: item.id, alt: item.alt, width: copy.width, height: copy.height, blurhash: copy.blurhash ?? '', variants: copy.variants };
  });
}

export function postState(post: PostDoc, media: PostMediaSnapshot[]): PostState {
  return {
    id: post._id,
    authorId: post.authorId,
    caption: post.caption,
    hashtags: post.hashtags,
    mentions: post.mentions,
    media,
    likeCount: post.likeCount,
    commentCount: post.commentCount,
    createdAt: post.createdAt.toISOString(),
    updatedAt: post.updatedAt.toISOString(),
    version: post.version,
  };
}

export class Renderer {
  constructor(
    /** Users and media copies and the viewer's likes through Redis, for rendering. */
    private readonly cards: Pick<ReadCache, 'users' | 'media' | 'likedAmong'>,
    /** The copies in MongoDB, for what goes into events. */
    private readonly copies: CopiesStore,
  ) {}

  async posts(posts: PostDoc[], viewerId?: string): Promise<Post[]> {
    return this.render(posts, () =>
      viewerId
        ? this.cards.likedAmong(
            posts.map((p) => p._id),
            viewerId,
          )
        : Promise.resolve(new Set<string>()),
    );
  }

  async post(post: PostDoc, viewerId?: string): Promise<Post> {
    return (await this.posts([post], viewerId))[0]!;
  }

  /** A post its author has just created: nobody can have liked it yet, so no like is looked up. */
  async createdPost(post: PostDoc): Promise<Post> {
    return (await this.render([post], () => Promise.resolve(new Set<string>())))[0]!;
  }

  private async render(posts: PostDoc[], likedByViewer: () => Promise<Set<string>>): Promise<Post[]> {
    const userIds = posts.flatMap((p) => [p.authorId, ...p.mentions.map((m) => m.id)]);
    const [users, media, liked] = await Promise.all([
      this.cards.users(userIds),
      this.cards.media(posts.flatMap((p) => p.media.map((m) => m.id))),
      likedByViewer(),
    ]);
    return posts.map((p) => ({
      id: p._id,
      author: authorView(p.authorId, users),
      caption: p.caption,
      hashtags: p.hashtags,
      mentions: mentionViews(p.mentions, users),
      media: mediaViews(p.media, media),
      likeCount: p.likeCount,
      commentCount: p.commentCount,
      likedByViewer: liked.has(p._id),
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    }));
  }

  async comments(comments: CommentDoc[]): Promise<Comment[]> {
    const users = await this.cards.users(comments.flatMap((c) => [c.authorId, ...c.mentions.map((m) => m.id)]));
    return comments.map((c) => ({
      id: c._id,
      postId: c.postId,
      author: authorView(c.authorId, users),
      body: c.body,
      mentions: mentionViews(c.mentions, users),
      createdAt: c.createdAt.toISOString(),
    }));
  }

  async comment(comment: CommentDoc): Promise<Comment> {
    return (await this.comments([comment]))[0]!;
  }

  /** The media of a post as its events carry them: the same as clients see. */
  async currentMedia(post: Pick<PostDoc, 'media'>): Promise<PostMediaSnapshot[]> {
    return mediaViews(post.media, await this.copies.mediaByIds(post.media.map((m) => m.id)));
  }
}
