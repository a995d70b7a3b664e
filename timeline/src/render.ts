/**
 * Renders what clients see, through an allow-list of fields, in the shapes of @lumina/contract: a
 * post with its author {id, username, displayName, avatar}, media, counts and whether the viewer
 * likes it — from the cards in Redis, filling any that are missing from MongoDB's copies (and
 * keeping them for next time).
 */
import type { Post, UserSummary } from '@lumina/contract';
import type { AuthorDoc, PostDoc, Stores } from './store';
import { cardPostOf, type Card } from './store/redis/cards-store';

export function renderAuthor(id: string, author: AuthorDoc | undefined): UserSummary {
  // An author whose user.created has not arrived yet still renders, with what we know.
  return {
    id,
    username: author?.username ?? '',
    displayName: author?.displayName ?? '',
    avatar: author?.avatar ?? null,
  };
}

type RenderStores = Pick<Stores, 'posts' | 'authors' | 'likes' | 'cards' | 'liked'>;

export class Renderer {
  constructor(private readonly stores: RenderStores) {}

  /**
   * Renders the posts with these ids, leaving out those that cannot be shown (deleted, not
   * arrived yet, or by a deleted user). One round trip to Redis when every card is there.
   */
  async posts(ids: string[], viewerId?: string): Promise<Map<string, Post>> {
    if (ids.length === 0) return new Map();
    const [cards, liked] = await Promise.all([this.stores.cards.get(ids), viewerId ? this.likedAmong(viewerId, ids) : new Set<string>()]);
    const missing = ids.filter((id) => !cards.has(id));
    if (missing.length > 0) for (const [id, card] of await this.fill(missing)) cards.set(id, card);
    const views = new Map<string, Post>();
    for (const id of ids) {
      const card = cards.get(id);
      if (!card || card.state !== 'live' || !card.author) continue;
      const { post } = card;
      views.set(id, {
        id,
        author: card.author,
        caption: post.caption,
        hashtags: post.hashtags,
        mentions: post.mentions,
        media: post.media,
        likeCount: card.likeCount,
        commentCount: card.commentCount,
        likedByViewer: liked.has(id),
        createdAt: post.createdAt,
        ...(post.updatedAt ? { updatedAt: post.updatedAt } : {}),
      });
    }
    return views;
  }

  /** Which of these posts the viewer likes; completes the viewer's likes from MongoDB once if needed. */
  private async likedAmong(viewerId: string, ids: string[]): Promise<Set<string>> {
    const among = await this.stores.liked.among(viewerId, ids);
    if (among.complete) return among.on;
    const all = await this.stores.likes.allOf(viewerId);
    await this.stores.liked.apply(
      viewerId,
      all.map((l) => ({ id: l.postId, on: l.liked, version: l.version })),
      true,
    );
    return (await this.stores.liked.among(viewerId, ids)).on;
  }

  /** Cards from MongoDB's copies, written to Redis for the next reader. */
  private async fill(ids: string[]): Promise<Map<string, Card>> {
    const posts = await this.stores.posts.byIds(ids);
    const shown = [...posts.values()].filter((p): p is PostDoc & { authorId: string } => !!p.authorId);
    const authors = await this.stores.authors.byIds([...new Set(shown.map((p) => p.authorId))]);
    const cards = new Map<string, Card>();
    await Promise.all(
      shown.map(async (post) => {
        const author = authors.get(post.authorId);
        const view = author?.deleted ? null : renderAuthor(post.authorId, author);
        await this.stores.cards.putPost(post);
        await this.stores.cards.putAuthor([post._id], view, author?.version ?? 0);
        if (post.state === 'stub' || !post.createdAt) return;
        cards.set(post._id, {
          state: post.state,
          post: cardPostOf(post),
          likeCount: post.likeCount,
          commentCount: post.commentCount,
          author: view,
        });
      }),
    );
    return cards;
  }
}
