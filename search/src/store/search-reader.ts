/**
 * Every read of the index. Values are always bound as parameters; the only text spliced into SQL
 * is table names (from TableSet, never from a request) and fragments chosen by code.
 *
 * Post ranking (the score every ranked post list is ordered by):
 *
 *   relevance  = MATCH(…) AGAINST(boolean query IN BOOLEAN MODE)
 *              + MATCH(…) AGAINST(whole words IN NATURAL LANGUAGE MODE)
 *                (the boolean term decides what matches, prefixes included; the natural-language
 *                term adds InnoDB's TF-IDF weight for whole-word matches, so `cafe` ranks a post
 *                saying "café" above one saying "cafeteria")
 *   engagement = 1 + 0.25 × ln(1 + likes + 2 × comments)
 *   freshness  = 1 / sqrt(1 + age / 7 days)        (1 today, 0.71 a week old, 0.14 a year old)
 *   score      = relevance × engagement × freshness
 *
 * `age` is measured from an `asOf` instant fixed by the first page and carried in the cursor, so
 * the scores, and the pages, do not shift while a client pages through. Scores are cast to
 * DECIMAL so a cursor can carry one exactly.
 *
 * Users: relevance (same two MATCH terms over username, display name and bio) + 5 when the
 * username is exactly the query. Hashtags: an exact tag first, then by post count.
 */
import type { Avatar, PostMedia } from '@lumina/common';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { LIVE_TABLES, type TableSet } from './schema';

export const RANKING = {
  engagementWeight: 0.25,
  commentWeight: 2,
  freshnessHalfScaleSeconds: 7 * 24 * 3600,
  exactUsernameBonus: 5,
} as const;

/** Where a ranked list stopped: the last score and id returned. */
export interface RankedPosition {
  score: string;
  id: string;
}

export interface HashtagPosition {
  exact: number;
  count: number;
  tag: string;
}

export interface TimePosition {
  at: Date;
  id: string;
}

export interface UserRow {
  id: string;
  username: string;
  displayName: string;
  bio: string;
  avatar: Avatar;
  score: string;
}

export interface PostRow {
  id: string;
  authorId: string;
  authorUsername: string;
  authorDisplayName: string;
  authorAvatar: Avatar;
  caption: string;
  hashtags: string[];
  media: PostMedia[];
  likeCount: number;
  commentCount: number;
  createdAt: Date;
  updatedAt: Date | null;
  score: string;
}

export interface HashtagRow {
  tag: string;
  postCount: number;
  exact: number;
}

/** mysql2 gives JSON columns back parsed on MySQL and as text on MariaDB (JSON is LONGTEXT there). */
function jsonColumn<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return value as T;
}

const SCORE_TYPE = 'DECIMAL(30,10)';

/**
 * InnoDB's relevance divides by the table's row count from its statistics. When those say 0
 * (a table just renamed into place before ANALYZE, or right after a restart) MATCH yields
 * infinity and adding two of them is an error. Capping each term keeps a query answering
 * (ranked by engagement and recency alone) instead of failing.
 */
const MAX_RELEVANCE = 1_000_000;
function capped(match: string): string {
  return `LEAST(${match}, ${MAX_RELEVANCE})`;
}

/** How well a row's columns match the query: boolean mode, plus natural language when the query has words for it (each capped). */
function relevanceOf(columns: string, query: { boolean: string; natural: string }): { sql: string; params: unknown[] } {
  const boolean = capped(`MATCH(${columns}) AGAINST (? IN BOOLEAN MODE)`);
  if (!query.natural) return { sql: boolean, params: [query.boolean] };
  return {
    sql: `${boolean} + ${capped(`MATCH(${columns}) AGAINST (? IN NATURAL LANGUAGE MODE)`)}`,
    params: [query.boolean, query.natural],
  };
}

export class SearchReader {
  private minToken?: number;

  constructor(
    private readonly pool: Pool,
    private readonly tables: TableSet = LIVE_TABLES,
  ) {}

  /** The server's innodb_ft_min_token_size: shorter words are not in the FULLTEXT index. */
  async minTokenSize(): Promise<number> {
    if (this.minToken === undefined) {
      const [[row]] = await this.pool.query<RowDataPacket[]>('SELECT @@innodb_ft_min_token_size AS size');
      this.minToken = Number(row?.size ?? 3);
    }
    return this.minToken;
  }

  // ---- users -----------------------------------------------------------------------------

  async usersByText(
    query: { boolean: string; natural: string; exact: string },
    after: RankedPosition | undefined,
    limit: number,
  ): Promise<UserRow[]> {
    const t = this.tables;
    const columns = 'u.username, u.display_name, u.bio';
    const relevance = relevanceOf(columns, query);
    const params = [...relevance.params, query.exact, query.boolean];
    const inner = `SELECT u.id, u.username, u.display_name, u.bio, u.avatar,
        CAST(${relevance.sql} + IF(u.username = ?, ${RANKING.exactUsernameBonus}, 0) AS ${SCORE_TYPE}) AS score
      FROM \`${t.users}\` u
      WHERE MATCH(${columns}) AGAINST (? IN BOOLEAN MODE) AND u.deleted = 0`;
    return this.rankedUsers(inner, params, after, limit);
  }

  /** For queries with only one-letter words: usernames and display names starting with it. */
  async usersByPrefix(
    query: { prefixPattern: string; exact: string },
    after: RankedPosition | undefined,
    limit: number,
  ): Promise<UserRow[]> {
    const t = this.tables;
    const inner = `SELECT u.id, u.username, u.display_name, u.bio, u.avatar,
        CAST(IF(u.username = ?, 3, IF(u.username LIKE ? ESCAPE '!', 2, 1)) AS ${SCORE_TYPE}) AS score
      FROM \`${t.users}\` u
      WHERE (u.username LIKE ? ESCAPE '!' OR u.display_name LIKE ? ESCAPE '!') AND u.deleted = 0`;
    return this.rankedUsers(inner, [query.exact, query.prefixPattern, query.prefixPattern, query.prefixPattern], after, limit);
  }

  private async rankedUsers(inner: string, params: unknown[], after: RankedPosition | undefined, limit: number): Promise<UserRow[]> {
    const keyset = after
      ? `WHERE ranked.score < CAST(? AS ${SCORE_TYPE}) OR (ranked.score = CAST(? AS ${SCORE_TYPE}) AND ranked.id < ?)`
      : '';
    const sql = `SELECT * FROM (${inner}) ranked ${keyset} ORDER BY ranked.score DESC, ranked.id DESC LIMIT ?`;
    const all = [...params, ...(after ? [after.score, after.score, after.id] : []), limit];
    const [rows] = await this.pool.query<RowDataPacket[]>(sql, all);
    return rows.map((r) => ({
      id: String(r.id),
      username: String(r.username),
      displayName: String(r.display_name),
      bio: String(r.bio),
      avatar: jsonColumn<Avatar>(r.avatar, null),
      score: String(r.score),
    }));
  }

  /** Autocomplete: usernames, then display names, starting with the prefix (B-tree range scans). */
  async usersStartingWith(prefixPattern: string, limit: number): Promise<UserRow[]> {
    const t = this.tables;
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `(SELECT id, username, display_name, bio, avatar, 0 AS via FROM \`${t.users}\`
          WHERE username LIKE ? ESCAPE '!' AND deleted = 0 ORDER BY username LIMIT ?)
       UNION ALL
       (SELECT id, username, display_name, bio, avatar, 1 AS via FROM \`${t.users}\`
          WHERE display_name LIKE ? ESCAPE '!' AND deleted = 0 ORDER BY display_name LIMIT ?)`,
      [prefixPattern, limit, prefixPattern, limit],
    );
    const seen = new Set<string>();
    const users: UserRow[] = [];
    for (const r of [...rows].sort((a, b) => Number(a.via) - Number(b.via))) {
      const id = String(r.id);
      if (seen.has(id)) continue;
      seen.add(id);
      users.push({
        id,
        username: String(r.username),
        displayName: String(r.display_name),
        bio: String(r.bio),
        avatar: jsonColumn<Avatar>(r.avatar, null),
        score: '0',
      });
    }
    return users.slice(0, limit);
  }

  // ---- posts -----------------------------------------------------------------------------

  private static readonly POST_COLUMNS = `p.id, p.author_id, p.author_username, p.author_display_name, p.caption, p.hashtags_text,
    p.media, p.like_count, p.comment_count, p.created_at, p.updated_at`;
  private static readonly VISIBLE = 'p.version > 0 AND p.deleted = 0 AND p.author_deleted = 0';
  private static readonly ENGAGEMENT = `(1 + ${RANKING.engagementWeight} * LN(1 + p.like_count + ${RANKING.commentWeight} * p.comment_count))`;
  private static readonly FRESHNESS = `(1 / SQRT(1 + GREATEST(TIMESTAMPDIFF(SECOND, p.created_at, ?), 0) / ${RANKING.freshnessHalfScaleSeconds}))`;

  async postsByText(
    query: { boolean: string; natural: string },
    asOf: Date,
    after: RankedPosition | undefined,
    limit: number,
  ): Promise<PostRow[]> {
    const t = this.tables;
    const columns = 'p.caption, p.alt_text, p.hashtags_text, p.author_username, p.author_display_name';
    const relevance = relevanceOf(columns, query);
    const params = [...relevance.params, asOf, query.boolean];
    const inner = `SELECT ${SearchReader.POST_COLUMNS},
        CAST((${relevance.sql}) * ${SearchReader.ENGAGEMENT} * ${SearchReader.FRESHNESS} AS ${SCORE_TYPE}) AS score
      FROM \`${t.posts}\` p
      WHERE MATCH(${columns}) AGAINST (? IN BOOLEAN MODE) AND ${SearchReader.VISIBLE}`;
    return this.rankedPosts(inner, params, after, limit);
  }

  /** For queries with only one-letter words: posts with exactly that hashtag or author username. */
  async postsByExactWords(words: string[], asOf: Date, after: RankedPosition | undefined, limit: number): Promise<PostRow[]> {
    if (words.length === 0) return [];
    const t = this.tables;
    const inner = `SELECT ${SearchReader.POST_COLUMNS},
        CAST(${SearchReader.ENGAGEMENT} * ${SearchReader.FRESHNESS} AS ${SCORE_TYPE}) AS score
      FROM (
        SELECT ph.post_id AS id FROM \`${t.postHashtags}\` ph WHERE ph.tag IN (?)
        UNION
        SELECT a.id FROM \`${t.posts}\` a WHERE a.author_username IN (?)
      ) matched
      JOIN \`${t.posts}\` p ON p.id = matched.id
      WHERE ${SearchReader.VISIBLE}`;
    return this.rankedPosts(inner, [asOf, words, words], after, limit);
  }

  private async rankedPosts(inner: string, params: unknown[], after: RankedPosition | undefined, limit: number): Promise<PostRow[]> {
    const keyset = after
      ? `WHERE ranked.score < CAST(? AS ${SCORE_TYPE}) OR (ranked.score = CAST(? AS ${SCORE_TYPE}) AND ranked.id < ?)`
      : '';
    const sql = `SELECT ranked.*, u.avatar AS author_avatar
      FROM (${inner}) ranked
      LEFT JOIN \`${this.tables.users}\` u ON u.id = ranked.author_id
      ${keyset}
      ORDER BY ranked.score DESC, ranked.id DESC LIMIT ?`;
    const all = [...params, ...(after ? [after.score, after.score, after.id] : []), limit];
    const [rows] = await this.pool.query<RowDataPacket[]>(sql, all);
    return rows.map(toPostRow);
  }

  /** A hashtag's posts, newest first (an index range scan on (tag, created_at, post_id)). */
  async postsWithHashtag(tag: string, after: TimePosition | undefined, limit: number): Promise<PostRow[]> {
    const t = this.tables;
    const keyset = after ? 'AND (ph.created_at < ? OR (ph.created_at = ? AND ph.post_id < ?))' : '';
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${SearchReader.POST_COLUMNS}, u.avatar AS author_avatar, '0' AS score
       FROM \`${t.postHashtags}\` ph
       JOIN \`${t.posts}\` p ON p.id = ph.post_id
       LEFT JOIN \`${t.users}\` u ON u.id = p.author_id
       WHERE ph.tag = ? ${keyset} AND ${SearchReader.VISIBLE}
       ORDER BY ph.created_at DESC, ph.post_id DESC LIMIT ?`,
      [tag, ...(after ? [after.at, after.at, after.id] : []), limit],
    );
    return rows.map(toPostRow);
  }

  // ---- hashtags --------------------------------------------------------------------------

  /** Hashtags starting with any of the words; an exact tag first, then the most used. */
  async hashtagsMatching(
    words: string[],
    prefixPatterns: string[],
    after: HashtagPosition | undefined,
    limit: number,
  ): Promise<HashtagRow[]> {
    if (prefixPatterns.length === 0) return [];
    const t = this.tables;
    const likes = prefixPatterns.map(() => "h.tag LIKE ? ESCAPE '!'").join(' OR ');
    const keyset = after
      ? 'WHERE m.exact < ? OR (m.exact = ? AND m.post_count < ?) OR (m.exact = ? AND m.post_count = ? AND m.tag > ?)'
      : '';
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT * FROM (
         SELECT h.tag, h.post_count, IF(h.tag IN (?), 1, 0) AS exact
         FROM \`${t.hashtags}\` h WHERE (${likes}) AND h.post_count > 0
       ) m ${keyset}
       ORDER BY m.exact DESC, m.post_count DESC, m.tag ASC LIMIT ?`,
      [words, ...prefixPatterns, ...(after ? [after.exact, after.exact, after.count, after.exact, after.count, after.tag] : []), limit],
    );
    return rows.map((r) => ({ tag: String(r.tag), postCount: Number(r.post_count), exact: Number(r.exact) }));
  }

  /**
   * Autocomplete: hashtags starting with the prefix, the most used first. The B-tree range scan
   * is capped (the first 200 tags in order) so a one-letter prefix costs the same as a long one.
   */
  async hashtagsStartingWith(prefixPattern: string, limit: number): Promise<HashtagRow[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT c.tag, c.post_count FROM (
         SELECT tag, post_count FROM \`${this.tables.hashtags}\`
         WHERE tag LIKE ? ESCAPE '!' AND post_count > 0 ORDER BY tag LIMIT 200
       ) c ORDER BY c.post_count DESC, c.tag ASC LIMIT ?`,
      [prefixPattern, limit],
    );
    return rows.map((r) => ({ tag: String(r.tag), postCount: Number(r.post_count), exact: 0 }));
  }
}

function toPostRow(r: RowDataPacket): PostRow {
  const hashtagsText = String(r.hashtags_text ?? '');
  return {
    id: String(r.id),
    authorId: String(r.author_id),
    authorUsername: String(r.author_username),
    authorDisplayName: String(r.author_display_name),
    authorAvatar: jsonColumn<Avatar>(r.author_avatar, null),
    caption: String(r.caption),
    hashtags: hashtagsText ? hashtagsText.split(' ') : [],
    media: jsonColumn<PostMedia[]>(r.media, []),
    likeCount: Number(r.like_count),
    commentCount: Number(r.comment_count),
    createdAt: r.created_at as Date,
    updatedAt: (r.updated_at as Date | null) ?? null,
    score: String(r.score),
  };
}
