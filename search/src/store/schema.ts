/**
 * The index's tables and their migrations. Kept to SQL that both MySQL 8.4 and MariaDB 10.11
 * accept: InnoDB, utf8mb4_unicode_ci (case- and accent-insensitive, so `café` = `Cafe` in
 * comparisons, LIKE and FULLTEXT alike) and the built-in FULLTEXT parser (MariaDB has no
 * ngram parser, so neither side uses one).
 *
 * Stopwords: the built-in InnoDB list (`the`, `about`, `with`, …) makes `+the` in a BOOLEAN
 * query match nothing at all, and the two servers may ship different lists. Every FULLTEXT index
 * here is therefore created while the session's `innodb_ft_user_stopword_table` names an empty
 * table: no stopwords, the same on both servers. The setting is stored with the index when it is
 * created, so whoever creates one of these tables (migrations, the rebuild) must set it first:
 * see withStopwordsDisabled.
 */
import type { Migration } from '@lumina/common';
import type { PoolConnection } from 'mysql2/promise';

/** The names of one complete set of index tables (the live set, or one being rebuilt). */
export interface TableSet {
  users: string;
  posts: string;
  postHashtags: string;
  hashtags: string;
}

export const LIVE_TABLES: TableSet = { users: 'users', posts: 'posts', postHashtags: 'post_hashtags', hashtags: 'hashtags' };

/** The same tables with a suffix: where a rebuild writes before it switches over. */
export function suffixedTables(suffix: string): TableSet {
  if (!/^_[a-z0-9_]{1,20}$/.test(suffix)) throw new Error(`invalid table suffix ${suffix}`);
  return {
    users: `${LIVE_TABLES.users}${suffix}`,
    posts: `${LIVE_TABLES.posts}${suffix}`,
    postHashtags: `${LIVE_TABLES.postHashtags}${suffix}`,
    hashtags: `${LIVE_TABLES.hashtags}${suffix}`,
  };
}

export const STOPWORD_TABLE = 'search_ft_stopwords';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
/** Ids are opaque and compared exactly: `abc` and `ABC` are two ids. */
const ID = 'VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';

/** Statements that make the next FULLTEXT index created on this session stopword-free. */
export const DISABLE_STOPWORDS = `SET SESSION innodb_ft_user_stopword_table = CONCAT(DATABASE(), '/${STOPWORD_TABLE}')`;
export const RESTORE_STOPWORDS = 'SET SESSION innodb_ft_user_stopword_table = DEFAULT';

/** Runs DDL on one connection with stopwords disabled, restoring the session afterwards. */
export async function withStopwordsDisabled<T>(conn: PoolConnection, fn: () => Promise<T>): Promise<T> {
  await conn.query(DISABLE_STOPWORDS);
  try {
    return await fn();
  } finally {
    await conn.query(RESTORE_STOPWORDS);
  }
}

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'index tables: users, posts, post_hashtags, hashtags',
    statements: [
      // InnoDB requires exactly this shape for a stopword table; it stays empty on purpose.
      `CREATE TABLE IF NOT EXISTS ${STOPWORD_TABLE} (value VARCHAR(30) NOT NULL) ${TABLE_OPTIONS}`,
      DISABLE_STOPWORDS,
      `CREATE TABLE users (
        id ${ID} NOT NULL,
        username VARCHAR(30) NOT NULL DEFAULT '',
        display_name VARCHAR(50) NOT NULL DEFAULT '',
        bio VARCHAR(160) NOT NULL DEFAULT '',
        avatar JSON NULL,
        version BIGINT UNSIGNED NOT NULL,
        deleted TINYINT(1) NOT NULL DEFAULT 0,
        PRIMARY KEY (id),
        KEY users_username (username),
        KEY users_display_name (display_name),
        FULLTEXT KEY users_text (username, display_name, bio)
      ) ${TABLE_OPTIONS}`,
      // version 0 marks a placeholder row that only holds counts from engagement events that
      // arrived before the post itself; it is never shown.
      `CREATE TABLE posts (
        id ${ID} NOT NULL,
        author_id ${ID} NOT NULL DEFAULT '',
        author_username VARCHAR(30) NOT NULL DEFAULT '',
        author_display_name VARCHAR(50) NOT NULL DEFAULT '',
        author_deleted TINYINT(1) NOT NULL DEFAULT 0,
        caption TEXT NOT NULL,
        alt_text TEXT NOT NULL,
        hashtags_text TEXT NOT NULL,
        media JSON NULL,
        like_count INT UNSIGNED NOT NULL DEFAULT 0,
        comment_count INT UNSIGNED NOT NULL DEFAULT 0,
        like_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
        comment_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
        created_at DATETIME(3) NULL,
        updated_at DATETIME(3) NULL,
        version BIGINT UNSIGNED NOT NULL,
        deleted TINYINT(1) NOT NULL DEFAULT 0,
        PRIMARY KEY (id),
        KEY posts_author (author_id),
        KEY posts_author_username (author_username),
        KEY posts_created (created_at, id),
        FULLTEXT KEY posts_text (caption, alt_text, hashtags_text, author_username, author_display_name)
      ) ${TABLE_OPTIONS}`,
      // Only visible posts have rows here, so a hashtag's post count is a COUNT(*) of them.
      `CREATE TABLE post_hashtags (
        post_id ${ID} NOT NULL,
        tag VARCHAR(100) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (post_id, tag),
        KEY post_hashtags_tag_time (tag, created_at, post_id)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE hashtags (
        tag VARCHAR(100) NOT NULL,
        post_count INT UNSIGNED NOT NULL DEFAULT 0,
        PRIMARY KEY (tag),
        KEY hashtags_count (post_count)
      ) ${TABLE_OPTIONS}`,
      RESTORE_STOPWORDS,
    ],
  },
];

export const MIGRATION_LOCK = 'lumina-search-migrations';
