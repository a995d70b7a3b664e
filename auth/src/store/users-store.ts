/** The users table: accounts, credentials and profiles. */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Avatar } from '@lumina/common';
import type { User } from '../users';
import type { Tx } from './db';

interface UserRow extends RowDataPacket {
  id: string;
  username: string;
  email: string;
  display_name: string;
  bio: string;
  avatar_media_id: string | null;
  avatar_url: string | null;
  avatar_blurhash: string | null;
  version: number;
  follower_count: number;
  following_count: number;
  created_at: Date;
}

interface CredentialRow extends UserRow {
  password_hash: string;
}

export const USER_COLUMNS = [
  'id',
  'username',
  'email',
  'display_name',
  'bio',
  'avatar_media_id',
  'avatar_url',
  'avatar_blurhash',
  'version',
  'follower_count',
  'following_count',
  'created_at',
]
  .map((c) => `u.${c}`)
  .join(', ');

export function userFromRow(row: UserRow): User {
  const avatar: Avatar =
    row.avatar_media_id && row.avatar_url
      ? { mediaId: row.avatar_media_id, url: row.avatar_url, blurhash: row.avatar_blurhash ?? '' }
      : null;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    bio: row.bio,
    avatar,
    version: Number(row.version),
    followerCount: Number(row.follower_count),
    followingCount: Number(row.following_count),
    createdAt: row.created_at,
  };
}

export interface NewUser {
  id: string;
  username: string;
  email: string;
  emailNormalized: string;
  passwordHash: string;
  displayName: string;
  createdAt: Date;
}

export interface ProfileChanges {
  displayName: string;
  bio: string;
  avatar: Avatar;
}

type Runner = Pick<Pool | Tx, 'query'>;

export class UsersStore {
  constructor(private readonly pool: Pool) {}

  async findById(id: string, db: Runner = this.pool): Promise<User | undefined> {
    const [rows] = await db.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ?`, [id]);
    return rows[0] && userFromRow(rows[0]);
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const [rows] = await this.pool.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.username = ?`, [username]);
    return rows[0] && userFromRow(rows[0]);
  }

  /** The account and its password hash, for sign-in only. */
  async findCredentialsByEmail(emailNormalized: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const [rows] = await this.pool.query<CredentialRow[]>(
      `SELECT ${USER_COLUMNS}, u.password_hash FROM users u WHERE u.email_normalized = ?`,
      [emailNormalized],
    );
    const row = rows[0];
    return row && { user: userFromRow(row), passwordHash: row.password_hash };
  }

  /** Which of the two is already used (a cheap check before hashing; the unique keys decide). */
  async taken(username: string, emailNormalized: string): Promise<{ username: boolean; email: boolean }> {
    const [rows] = await this.pool.query<RowDataPacket[]>(
      'SELECT username = ? AS same_username, email_normalized = ? AS same_email FROM users WHERE username = ? OR email_normalized = ?',
      [username, emailNormalized, username, emailNormalized],
    );
    return { username: rows.some((r) => Number(r.same_username) === 1), email: rows.some((r) => Number(r.same_email) === 1) };
  }

  async idsWithAvatar(mediaId: string): Promise<string[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>('SELECT id FROM users WHERE avatar_media_id = ?', [mediaId]);
    return rows.map((r) => String(r.id));
  }

  /** Which of these ids name a user. */
  async existing(db: Runner, ids: string[]): Promise<Set<string>> {
    const [rows] = await db.query<RowDataPacket[]>('SELECT id FROM users WHERE id IN (?)', [ids]);
    return new Set(rows.map((r) => String(r.id)));
  }

  async insert(tx: Tx, user: NewUser): Promise<void> {
    await tx.query(
      `INSERT INTO users (id, username, email, email_normalized, password_hash, display_name, bio, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, '', 1, ?, ?)`,
      [user.id, user.username, user.email, user.emailNormalized, user.passwordHash, user.displayName, user.createdAt, user.createdAt],
    );
  }

  /** Reads a user and holds its row until the transaction ends. */
  async lockById(tx: Tx, id: string): Promise<User | undefined> {
    const [rows] = await tx.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ? FOR UPDATE`, [id]);
    return rows[0] && userFromRow(rows[0]);
  }

  /** Writes new profile fields and the next version (the caller holds the row lock). */
  async updateProfile(tx: Tx, id: string, changes: ProfileChanges, version: number): Promise<void> {
    await tx.query(
      `UPDATE users SET display_name = ?, bio = ?, avatar_media_id = ?, avatar_url = ?, avatar_blurhash = ?, version = ?, updated_at = CURRENT_TIMESTAMP(3)
       WHERE id = ?`,
      [
        changes.displayName,
        changes.bio,
        changes.avatar?.mediaId ?? null,
        changes.avatar?.url ?? null,
        changes.avatar?.blurhash ?? null,
        version,
        id,
      ],
    );
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.pool.query('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, id]);
  }

  /** Moves the follow counters of two users; rows are touched in id order so writers never deadlock. */
  async adjustFollowCounts(tx: Tx, followerId: string, followeeId: string, delta: 1 | -1): Promise<void> {
    const updates: Array<[string, string]> = [
      [followerId, 'following_count'],
      [followeeId, 'follower_count'],
    ];
    updates.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [id, column] of updates) {
      await tx.query(`UPDATE users SET ${column} = GREATEST(CAST(${column} AS SIGNED) + ?, 0) WHERE id = ?`, [delta, id]);
    }
  }
}
