/**
 * The search rules: which reader query answers which request (full text, or the prefix fallback
 * for one-letter queries), the cursors, and what a result looks like to clients (an allow-list of
 * fields, never a raw row).
 */
import { BadRequestError, cursorId, cursorTime, toPage, type Page, type PageRequest, type TimeIdCursor } from '@lumina/common';
import { SEARCH_BEST_FEW, SUGGESTIONS, type Hashtag, type SearchPost, type SearchUser, type Suggestion } from '@lumina/contract';
import { z } from 'zod';
import { normalizeHashtag } from './indexing';
import { likePrefix, searchTerms, suggestTerms } from './query';
import type { HashtagRow, PostRow, SearchReader, UserRow } from './store/search-reader';

/** Ranked lists: the score and id of the last item, and for posts the instant ages are measured from. */
export const rankedCursor = z.object({
  a: cursorTime.optional(),
  s: z.string().regex(/^-?\d{1,20}(\.\d{1,10})?$/),
  id: cursorId,
});
export type RankedCursor = z.infer<typeof rankedCursor>;

export const hashtagCursor = z.object({
  e: z.union([z.literal(0), z.literal(1)]),
  c: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31 - 1),
  t: z.string().min(1).max(100),
});
export type HashtagCursor = z.infer<typeof hashtagCursor>;

/** How many of each kind the combined search and the suggestions answer (the contract's). */
export const BEST_FEW = SEARCH_BEST_FEW;
export { SUGGESTIONS };

function renderUser(row: UserRow): SearchUser {
  return { id: row.id, username: row.username, displayName: row.displayName, bio: row.bio, avatar: row.avatar };
}

function renderPost(row: PostRow): SearchPost {
  return {
    id: row.id,
    author: { id: row.authorId, username: row.authorUsername, displayName: row.authorDisplayName, avatar: row.authorAvatar },
    caption: row.caption,
    hashtags: row.hashtags,
    media: row.media,
    likeCount: row.likeCount,
    commentCount: row.commentCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt ? row.updatedAt.toISOString() : null,
  };
}

function renderHashtag(row: HashtagRow): Hashtag {
  return { tag: row.tag, postCount: row.postCount };
}

/** A hashtag from a URL: `#` optional, case-insensitive; anything else is a 400. */
export function readHashtag(raw: unknown): string {
  const tag = typeof raw === 'string' ? normalizeHashtag(raw) : null;
  if (!tag) throw new BadRequestError('tag must be 1 to 100 letters, digits or _', 'tag');
  return tag;
}

export class SearchService {
  constructor(
    private readonly reader: SearchReader,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async terms(text: string) {
    return searchTerms(text, await this.reader.minTokenSize());
  }

  async users(text: string, page: PageRequest<RankedCursor>): Promise<Page<SearchUser>> {
    const terms = await this.terms(text);
    const exact = terms.text.replace(/^@/, '');
    const after = page.after ? { score: page.after.s, id: page.after.id } : undefined;
    let rows: UserRow[] = [];
    if (terms.booleanQuery) {
      rows = await this.reader.usersByText({ boolean: terms.booleanQuery, natural: terms.naturalQuery, exact }, after, page.limit + 1);
    } else if (terms.words[0]) {
      rows = await this.reader.usersByPrefix({ prefixPattern: likePrefix(terms.words[0]), exact }, after, page.limit + 1);
    }
    return toPage(rows, page.limit, (r): RankedCursor => ({ s: r.score, id: r.id }), renderUser);
  }

  async posts(text: string, page: PageRequest<RankedCursor>): Promise<Page<SearchPost>> {
    const terms = await this.terms(text);
    // Whole seconds: the instant goes into the cursor and back into SQL unchanged.
    const asOf = new Date(page.after?.a ?? Math.floor(this.now().getTime() / 1000) * 1000);
    const after = page.after ? { score: page.after.s, id: page.after.id } : undefined;
    let rows: PostRow[] = [];
    if (terms.booleanQuery) {
      rows = await this.reader.postsByText({ boolean: terms.booleanQuery, natural: terms.naturalQuery }, asOf, after, page.limit + 1);
    } else if (terms.words.length > 0) {
      rows = await this.reader.postsByExactWords(terms.words, asOf, after, page.limit + 1);
    }
    return toPage(rows, page.limit, (r): RankedCursor => ({ a: asOf.getTime(), s: r.score, id: r.id }), renderPost);
  }

  async hashtags(text: string, page: PageRequest<HashtagCursor>): Promise<Page<Hashtag>> {
    const { words } = await this.terms(text);
    const after = page.after ? { exact: page.after.e, count: page.after.c, tag: page.after.t } : undefined;
    const rows = await this.reader.hashtagsMatching(words, words.map(likePrefix), after, page.limit + 1);
    return toPage(rows, page.limit, (r): HashtagCursor => ({ e: r.exact === 1 ? 1 : 0, c: r.postCount, t: r.tag }), renderHashtag);
  }

  /** The best few of each kind, for a results page's first screen. */
  async everything(text: string): Promise<{ users: SearchUser[]; posts: SearchPost[]; hashtags: Hashtag[] }> {
    const first = { limit: BEST_FEW, after: undefined };
    const [users, posts, hashtags] = await Promise.all([this.users(text, first), this.posts(text, first), this.hashtags(text, first)]);
    return { users: users.items, posts: posts.items, hashtags: hashtags.items };
  }

  /**
   * Autocomplete on each keystroke: usernames / display names and hashtags that start with what
   * was typed, from B-tree range scans only. `@…` asks for users only, `#…` for hashtags only.
   */
  async suggest(text: string): Promise<{ items: Suggestion[] }> {
    const { prefix, kinds } = suggestTerms(text);
    if (prefix.length === 0 || prefix.length > 100) return { items: [] };
    const pattern = likePrefix(prefix);
    const perKind = kinds.users && kinds.hashtags ? Math.ceil(SUGGESTIONS / 2) : SUGGESTIONS;
    const [users, hashtags] = await Promise.all([
      kinds.users ? this.reader.usersStartingWith(pattern, perKind) : Promise.resolve([]),
      kinds.hashtags ? this.reader.hashtagsStartingWith(pattern, perKind) : Promise.resolve([]),
    ]);
    return {
      items: [
        ...users.map((u): Suggestion => ({ type: 'user', id: u.id, username: u.username, displayName: u.displayName, avatar: u.avatar })),
        ...hashtags.map((h): Suggestion => ({ type: 'hashtag', tag: h.tag, postCount: h.postCount })),
      ],
    };
  }

  async hashtagPosts(tag: string, page: PageRequest<TimeIdCursor>): Promise<Page<SearchPost>> {
    const after = page.after ? { at: new Date(page.after.t), id: page.after.id } : undefined;
    const rows = await this.reader.postsWithHashtag(tag, after, page.limit + 1);
    return toPage(rows, page.limit, (r): TimeIdCursor => ({ t: r.createdAt.getTime(), id: r.id }), renderPost);
  }
}
