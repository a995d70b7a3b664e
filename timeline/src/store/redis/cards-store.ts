/**
 * Rendered post cards in Redis, so a page reads no MongoDB: one hash per post with four field
 * groups — the post itself, its like count, its comment count, its author — each written with
 * the version it came from and only over an older one. Events update the groups they carry;
 * a page that finds a card incomplete fills it from MongoDB's copies, and a fill that raced a
 * newer event cannot overwrite it. Cards expire after a while and are filled again when read.
 */
import type { RedisClient } from '@lumina/common';
import type { UserSummary } from '@lumina/contract';
import type { PostDoc } from '../models';
import { keys } from './keys';
import type { PagesStore } from './pages-store';
import { cardPut } from './scripts';

/** The post's own fields as a card keeps them (counts and author apart). */
export interface CardPost {
  id: string;
  authorId: string;
  caption: string;
  hashtags: string[];
  mentions: Array<{ id: string; username: string }>;
  media: PostDoc['media'];
  createdAt: string;
  updatedAt?: string;
}

export interface Card {
  state: 'live' | 'deleted' | 'stub';
  post: CardPost;
  likeCount: number;
  commentCount: number;
  /** null: the author was deleted. */
  author: UserSummary | null;
}

/** The post's own fields from the copy (a tombstone keeps only its id and author). */
export function cardPostOf(doc: PostDoc): CardPost {
  return {
    id: doc._id,
    authorId: doc.authorId ?? '',
    caption: doc.caption,
    hashtags: doc.hashtags ?? [],
    mentions: doc.mentions ?? [],
    media: doc.media ?? [],
    createdAt: doc.createdAt ? doc.createdAt.toISOString() : '',
    ...(doc.updatedAt instanceof Date ? { updatedAt: doc.updatedAt.toISOString() } : {}),
  };
}

type Group = [versionField: string, version: number, fields: Record<string, string>];

/** How a card (and the kept author view) holds its author: JSON, or '' for a deleted author. */
const authorValue = (author: UserSummary | null): string => (author ? JSON.stringify(author) : '');
const authorOf = (value: string): UserSummary | null => (value === '' ? null : (JSON.parse(value) as UserSummary));

/** A count's version: its engagement version first, then the post version it was read at (counts
 * from post events count until an engagement event arrives). */
const countVersion = (engagementVersion: number, postVersion: number): number =>
  engagementVersion * 1_000_000 + Math.min(postVersion, 999_999);

const FIELDS = ['state', 'post', 'likes', 'comments', 'author'] as const;

export class CardsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    /** A changed card drops the kept first pages that list it. */
    private readonly pages: PagesStore,
  ) {}

  private async put(postId: string, groups: Group[]): Promise<void> {
    if (groups.length === 0) return;
    const args: Array<string | number> = [this.ttlSeconds];
    for (const [field, version, values] of groups) {
      const entries = Object.entries(values);
      args.push(field, version, entries.length, ...entries.flat());
    }
    const written = String(await cardPut.run(this.redis, [keys.card(postId)], args)).split(' ');
    if (written.includes('pv') || written.includes('av')) await this.pages.dropListing(postId, 'content');
    else if (written.includes('lv') || written.includes('cv')) await this.pages.dropListing(postId, 'counts');
  }

  /** Writes what the copy of a post says (after every change of it). */
  async putPost(doc: PostDoc): Promise<void> {
    const groups: Group[] = [
      ['lv', countVersion(doc.likeVersion, doc.version), { likes: String(doc.likeCount) }],
      ['cv', countVersion(doc.commentVersion, doc.version), { comments: String(doc.commentCount) }],
    ];
    if (doc.state !== 'stub' && doc.authorId) groups.push(['pv', doc.version, { state: doc.state, post: JSON.stringify(cardPostOf(doc)) }]);
    await this.put(doc._id, groups);
  }

  /** Writes an author's view (null: deleted) into the cards of these posts, at the user's version. */
  async putAuthor(postIds: string[], author: UserSummary | null, version: number): Promise<void> {
    const value = authorValue(author);
    await Promise.all(postIds.map((postId) => this.put(postId, [['av', version, { author: value }]])));
  }

  /**
   * An author's view as cards show it (null: deleted) at its user version, kept per author so a
   * new post's card gets its author without reading MongoDB; absent when not kept.
   */
  async authorView(authorId: string): Promise<{ author: UserSummary | null; version: number } | undefined> {
    const [version, value] = await this.redis.hmGet(keys.author(authorId), ['av', 'author']);
    if (version == null || value == null) return undefined;
    return { author: authorOf(value), version: Number(version) };
  }

  /** Keeps an author's view, only over an older version (a late fill cannot undo an event). */
  async putAuthorView(authorId: string, author: UserSummary | null, version: number): Promise<void> {
    await cardPut.run(this.redis, [keys.author(authorId)], [this.ttlSeconds, 'av', version, 1, 'author', authorValue(author)]);
  }

  /** A post's state as its card has it; absent without a card. */
  async state(postId: string): Promise<Card['state'] | undefined> {
    return ((await this.redis.hGet(keys.card(postId), 'state')) ?? undefined) as Card['state'] | undefined;
  }

  /** The cards of these posts, one command each (cards live on many shards); absent when incomplete. */
  async get(postIds: string[]): Promise<Map<string, Card>> {
    const rows = await Promise.all(postIds.map((id) => this.redis.hmGet(keys.card(id), [...FIELDS])));
    const cards = new Map<string, Card>();
    postIds.forEach((id, i) => {
      const [state, post, likes, comments, author] = rows[i] ?? [];
      if (!state || !post || likes == null || comments == null || author == null) return;
      cards.set(id, {
        state: state as Card['state'],
        post: JSON.parse(post) as CardPost,
        likeCount: Number(likes),
        commentCount: Number(comments),
        author: authorOf(author),
      });
    });
    return cards;
  }
}
