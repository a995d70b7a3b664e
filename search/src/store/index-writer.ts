/**
 * Writes to the index, one event at a time, so that events arriving twice or out of order leave
 * it right: every row carries the version it was built from and is only overwritten by a newer
 * one (common's upsertIfNewerMySql); deletions stay as tombstones with their version.
 *
 * Consistency between tables, under concurrent handlers (READ COMMITTED, deadlocks retried):
 *  - A post copies its author's username and display name (so FULLTEXT finds a post by its
 *    author). A post write upserts the post row first and then reads the author with a locking
 *    read; a user write upserts the user row first and then updates that user's posts. Whichever
 *    order two such transactions run in, one of them sees the other's row (or waits for it), so
 *    a post never keeps a stale author.
 *  - post_hashtags holds rows for visible posts only; hashtags.post_count moves by the rows a
 *    write deletes and inserts, after locking the hashtag rows it touches (in sorted order), so
 *    concurrent writes to the same tag take turns and the count stays exact.
 *  - Likes and comments carry the post's engagement version; like and comment counts keep the
 *    newest engagement version each has seen (separately, since a like event carries no comment
 *    count). A post's own events only set the counts until the first engagement event arrives.
 */
import { inTransaction, upsertIfNewerMySqlRow, type ApplyOutcome } from '@lumina/common';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { PostDocument, UserDocument } from '../indexing';
import type { TableSet } from './schema';

interface PostTags {
  id: string;
  createdAt: Date | null;
  /** The tags the post should have in post_hashtags: none unless it is visible. */
  tags: string[];
}

export class IndexWriter {
  constructor(
    private readonly pool: Pool,
    readonly tables: TableSet,
  ) {}

  /**
   * Writes the row if its version is newer than the one held; only then, in the same transaction,
   * what follows from it (told whether the row is new: a new post has no hashtags to replace).
   */
  private upsertThen(
    table: string,
    row: Record<string, unknown>,
    then: (conn: PoolConnection, inserted: boolean) => Promise<void>,
  ): Promise<ApplyOutcome> {
    return inTransaction(this.pool, async (conn) => {
      const outcome = await upsertIfNewerMySqlRow(conn, table, row, ['id']);
      if (outcome === 'stale') return 'stale';
      await then(conn, outcome === 'inserted');
      return 'applied';
    });
  }

  async applyUser(user: UserDocument): Promise<ApplyOutcome> {
    const t = this.tables;
    return this.upsertThen(
      t.users,
      {
        id: user.id,
        username: user.username,
        display_name: user.displayName,
        bio: user.bio,
        avatar: JSON.stringify(user.avatar),
        version: user.version,
        deleted: 0,
      },
      async (conn) => {
        // A deleted author stays deleted: their posts are not brought back.
        await conn.query(
          `UPDATE \`${t.posts}\` SET author_username = ?, author_display_name = ? WHERE author_id = ? AND author_deleted = 0 AND deleted = 0`,
          [user.username, user.displayName, user.id],
        );
      },
    );
  }

  /** A deleted user leaves the index, and so do their posts (and their posts' hashtag counts). */
  async removeUser(id: string, version: number): Promise<ApplyOutcome> {
    const t = this.tables;
    return this.upsertThen(t.users, { id, username: '', display_name: '', bio: '', avatar: null, version, deleted: 1 }, async (conn) => {
      const [posts] = await conn.query<RowDataPacket[]>(`SELECT id, created_at FROM \`${t.posts}\` WHERE author_id = ? FOR UPDATE`, [id]);
      await conn.query(`UPDATE \`${t.posts}\` SET author_deleted = 1, author_username = '', author_display_name = '' WHERE author_id = ?`, [
        id,
      ]);
      await this.replacePostHashtags(
        conn,
        posts.map((p) => ({ id: String(p.id), createdAt: (p.created_at as Date | null) ?? null, tags: [] })),
      );
    });
  }

  async applyPost(post: PostDocument): Promise<ApplyOutcome> {
    const t = this.tables;
    return this.upsertThen(
      t.posts,
      {
        id: post.id,
        author_id: post.authorId,
        caption: post.caption,
        alt_text: post.altText,
        hashtags_text: post.hashtags.join(' '),
        media: JSON.stringify(post.media),
        created_at: post.createdAt,
        updated_at: post.updatedAt,
        version: post.version,
        deleted: 0,
      },
      async (conn, inserted) => {
        // Locking read, after our own row is written: see the header comment.
        const [authors] = await conn.query<RowDataPacket[]>(
          `SELECT username, display_name, deleted FROM \`${t.users}\` WHERE id = ? LOCK IN SHARE MODE`,
          [post.authorId],
        );
        const author = authors[0];
        const authorDeleted = Boolean(author && Number(author.deleted) === 1);
        // The post's own counts hold until the first engagement event; the author as just read.
        const counts = 'like_count = IF(like_version = 0, ?, like_count), comment_count = IF(comment_version = 0, ?, comment_count)';
        if (author) {
          await conn.query(
            `UPDATE \`${t.posts}\` SET ${counts}, author_username = ?, author_display_name = ?, author_deleted = ? WHERE id = ?`,
            [post.likeCount, post.commentCount, String(author.username), String(author.display_name), authorDeleted ? 1 : 0, post.id],
          );
        } else {
          await conn.query(`UPDATE \`${t.posts}\` SET ${counts} WHERE id = ?`, [post.likeCount, post.commentCount, post.id]);
        }
        await this.replacePostHashtags(conn, [{ id: post.id, createdAt: post.createdAt, tags: authorDeleted ? [] : post.hashtags }], {
          fresh: inserted,
        });
      },
    );
  }

  async removePost(id: string, authorId: string, version: number): Promise<ApplyOutcome> {
    const t = this.tables;
    return this.upsertThen(
      t.posts,
      // Every searchable column emptied: a tombstone matches nothing.
      {
        id,
        author_id: authorId,
        author_username: '',
        author_display_name: '',
        caption: '',
        alt_text: '',
        hashtags_text: '',
        media: null,
        version,
        deleted: 1,
      },
      async (conn) => {
        await this.replacePostHashtags(conn, [{ id, createdAt: null, tags: [] }]);
      },
    );
  }

  /** post.liked / post.unliked: the like count as of engagement version `version`. */
  async applyLikeCount(postId: string, likeCount: number, version: number, authorId = ''): Promise<ApplyOutcome> {
    return this.applyEngagement(postId, authorId, 'like', likeCount, version);
  }

  /** comment.created / comment.deleted: the comment count as of engagement version `version`. */
  async applyCommentCount(postId: string, commentCount: number, version: number, authorId = ''): Promise<ApplyOutcome> {
    return this.applyEngagement(postId, authorId, 'comment', commentCount, version);
  }

  private async applyEngagement(
    postId: string,
    authorId: string,
    kind: 'like' | 'comment',
    count: number,
    version: number,
  ): Promise<ApplyOutcome> {
    const countColumn = kind === 'like' ? 'like_count' : 'comment_count';
    const versionColumn = kind === 'like' ? 'like_version' : 'comment_version';
    // If the post is not indexed yet, a placeholder (version 0, never shown) keeps the count
    // until post.created fills in the rest.
    const [result] = await this.pool.query<ResultSetHeader>(
      `INSERT INTO \`${this.tables.posts}\` (id, author_id, caption, alt_text, hashtags_text, ${countColumn}, ${versionColumn}, version)
       VALUES (?, ?, '', '', '', ?, ?, 0)
       ON DUPLICATE KEY UPDATE
         ${countColumn} = IF(VALUES(${versionColumn}) > ${versionColumn}, VALUES(${countColumn}), ${countColumn}),
         ${versionColumn} = GREATEST(${versionColumn}, VALUES(${versionColumn}))`,
      [postId, authorId, count, version],
    );
    return result.affectedRows > 0 ? 'applied' : 'stale';
  }

  /**
   * Makes post_hashtags hold exactly `tags` for each post and moves the counts of the tags
   * touched. The posts' rows must already be locked by the caller's transaction. `fresh`: the posts' rows were
   * just inserted, so they have no post_hashtags rows (those exist only beside a visible post's
   * row), and there is nothing old to read or delete.
   */
  private async replacePostHashtags(conn: PoolConnection, posts: PostTags[], { fresh = false } = {}): Promise<void> {
    if (posts.length === 0) return;
    const t = this.tables;
    const ids = posts.map((p) => p.id);
    const [old] = fresh
      ? [[] as RowDataPacket[]]
      : await conn.query<RowDataPacket[]>(`SELECT tag FROM \`${t.postHashtags}\` WHERE post_id IN (?)`, [ids]);
    const touched = [...new Set([...old.map((r) => String(r.tag)), ...posts.flatMap((p) => p.tags)])].sort();
    if (touched.length === 0) return;
    // Lock (creating if needed) every touched hashtag row, in one order for everyone.
    await conn.query(`INSERT INTO \`${t.hashtags}\` (tag, post_count) VALUES ? ON DUPLICATE KEY UPDATE post_count = post_count`, [
      touched.map((tag) => [tag, 0]),
    ]);
    // The counts move by these posts' rows, counted by the post_hashtags key (post_id, tag), not
    // by recounting each tag's posts: that read every post of a tag, so a write cost more the
    // more popular its tags were. Counted with the collation's equality, as the rows are keyed.
    const theirRows = (sign: '+' | '-') =>
      conn.query(
        `UPDATE \`${t.hashtags}\` h SET h.post_count = h.post_count ${sign}
           (SELECT COUNT(*) FROM \`${t.postHashtags}\` ph WHERE ph.post_id IN (?) AND ph.tag = h.tag)
         WHERE h.tag IN (?)`,
        [ids, touched],
      );
    if (!fresh) {
      await theirRows('-');
      await conn.query(`DELETE FROM \`${t.postHashtags}\` WHERE post_id IN (?)`, [ids]);
    }
    const rows = posts.flatMap((p) => (p.createdAt ? p.tags.map((tag) => [p.id, tag, p.createdAt]) : []));
    if (rows.length > 0) {
      // Tags equal under the collation (`café`, `cafe`) are one hashtag: the duplicate is dropped.
      await conn.query(
        `INSERT INTO \`${t.postHashtags}\` (post_id, tag, created_at) VALUES ? ON DUPLICATE KEY UPDATE created_at = VALUES(created_at)`,
        [rows],
      );
      await theirRows('+');
    }
  }
}
