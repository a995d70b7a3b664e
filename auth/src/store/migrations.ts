/**
 * The auth database, one versioned step at a time. runMigrations applies each once under a named
 * lock, so replicas starting together take turns. Every statement is also idempotent on its own
 * (IF NOT EXISTS), because MySQL cannot roll DDL back: a step cut off half-way reruns cleanly.
 */
import { MYSQL_OUTBOX_DDL, runMigrations, type Migration } from '@lumina/common';
import type { Pool, RowDataPacket } from 'mysql2/promise';

const ASCII_ID = 'CHAR(36) CHARACTER SET ascii COLLATE ascii_bin';

export const migrations: Migration[] = [
  { id: 1, name: 'outbox', statements: [MYSQL_OUTBOX_DDL] },
  {
    id: 2,
    name: 'users',
    statements: [
      `CREATE TABLE IF NOT EXISTS users (
        id ${ASCII_ID} NOT NULL PRIMARY KEY,
        username VARCHAR(30) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        email VARCHAR(254) NOT NULL,
        email_normalized VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        display_name VARCHAR(50) NOT NULL DEFAULT '',
        bio VARCHAR(160) NOT NULL DEFAULT '',
        avatar_media_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
        avatar_url VARCHAR(512) NULL,
        avatar_blurhash VARCHAR(128) NULL,
        version INT UNSIGNED NOT NULL,
        follower_count INT UNSIGNED NOT NULL DEFAULT 0,
        following_count INT UNSIGNED NOT NULL DEFAULT 0,
        created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY uq_users_username (username),
        UNIQUE KEY uq_users_email (email_normalized)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    ],
  },
  {
    id: 3,
    name: 'follows',
    statements: [
      // One row per ordered pair, kept after an unfollow (active = 0) so the edge version keeps growing.
      `CREATE TABLE IF NOT EXISTS follows (
        follower_id ${ASCII_ID} NOT NULL,
        followee_id ${ASCII_ID} NOT NULL,
        active TINYINT(1) NOT NULL,
        version INT UNSIGNED NOT NULL,
        followed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        PRIMARY KEY (follower_id, followee_id),
        KEY ix_follows_followers (followee_id, active, followed_at, follower_id),
        KEY ix_follows_following (follower_id, active, followed_at, followee_id)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    id: 4,
    name: 'refresh tokens',
    statements: [
      `CREATE TABLE IF NOT EXISTS refresh_families (
        id ${ASCII_ID} NOT NULL PRIMARY KEY,
        user_id ${ASCII_ID} NOT NULL,
        created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        revoked_at TIMESTAMP(3) NULL,
        revoked_reason VARCHAR(20) CHARACTER SET ascii NULL,
        KEY ix_refresh_families_user (user_id)
      ) ENGINE=InnoDB`,
      // Only the SHA-256 of a token is stored; the token itself exists only in the client's cookie.
      `CREATE TABLE IF NOT EXISTS refresh_tokens (
        token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
        family_id ${ASCII_ID} NOT NULL,
        user_id ${ASCII_ID} NOT NULL,
        created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        expires_at TIMESTAMP(3) NOT NULL,
        used_at TIMESTAMP(3) NULL,
        KEY ix_refresh_tokens_family (family_id),
        KEY ix_refresh_tokens_expires (expires_at)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    id: 5,
    name: 'rate limits',
    statements: [
      `CREATE TABLE IF NOT EXISTS rate_limits (
        key_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
        hits INT UNSIGNED NOT NULL,
        reset_at BIGINT NOT NULL,
        KEY ix_rate_limits_reset (reset_at)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    id: 6,
    name: 'ready media (avatars)',
    statements: [
      // A small copy of media.ready events: which images are ready and whose they are.
      `CREATE TABLE IF NOT EXISTS ready_media (
        media_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
        owner_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        thumb_url VARCHAR(512) NOT NULL,
        blurhash VARCHAR(128) NOT NULL,
        version INT UNSIGNED NOT NULL
      ) ENGINE=InnoDB`,
    ],
  },
  {
    id: 7,
    name: 'deleted media',
    statements: [
      // Tombstones of media.deleted: a deleted image never becomes usable again, even if an older
      // media.ready arrives after the deletion.
      `CREATE TABLE IF NOT EXISTS deleted_media (
        media_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
        version INT UNSIGNED NOT NULL,
        deleted_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    id: 8,
    name: 'sign-in failures',
    statements: [
      // Failed sign-ins per (account, address) and per address, for the growing delay
      // (sign-in-throttle.ts). Keys are hashed: they contain emails and addresses.
      `CREATE TABLE IF NOT EXISTS signin_failures (
        key_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
        failures INT UNSIGNED NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        forget_at BIGINT NOT NULL,
        KEY ix_signin_failures_forget (forget_at)
      ) ENGINE=InnoDB`,
    ],
  },
];

/** Applies what is missing; answers the ids it applied. The lock is per database (GET_LOCK names are server-wide). */
export async function migrate(pool: Pool): Promise<number[]> {
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  const lockName = `auth-migrations:${String(row?.db ?? '')}`.slice(0, 64);
  return runMigrations(pool, migrations, lockName);
}
