/**
 * The database work behind a read, done with the bare drivers against the same servers and
 * data, without the service around it (no HTTP, auth, validation, rendering or gateway). Each
 * mirrors the queries the service makes for one page (lookups by a list of ids go through
 * common's findAmong, as in the services); the service's code is the reference:
 *
 * - home page (timeline/src/home-timeline.ts page + render.ts): the pulled authors, one page of
 *   the viewer's entries, then the posts, their authors and the viewer's likes by id;
 * - user's posts (posts/src/posts.ts listByAuthor + views.ts): one page of the author's live
 *   posts, then the users and media copies and the viewer's likes;
 * - post search (search/src/store/search-reader.ts postsByText): the ranked FULLTEXT query.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { mongo } from 'mongoose';
import { findAmong } from '@lumina/common';
import { edgeKey, likeKey } from '../../../timeline/src/ids';

type Doc = mongo.Document & { _id: string };

const PAGE = 20;

export function timelinePage(db: mongo.Db): (viewerId: string) => Promise<number> {
  const authors = db.collection<Doc>('authors');
  const entries = db.collection<Doc>('timeline_entries');
  const posts = db.collection<Doc>('posts');
  const likes = db.collection<Doc>('likes');
  const follows = db.collection<Doc>('follows');
  return async (viewerId) => {
    // Which followed authors are merged at read time (over the fan-out threshold)?
    const pulled = (await authors.find({ pulled: true }, { projection: { _id: 1 } }).toArray())
      .map((a) => a._id)
      .filter((id) => id !== viewerId);
    const followed =
      pulled.length === 0
        ? []
        : (
            await findAmong(
              follows,
              '_id',
              pulled.map((a) => edgeKey(viewerId, a)),
              { filter: { state: 'active' }, projection: { followeeId: 1 } },
            )
          ).map((e) => String(e.followeeId));
    const [page, merged] = await Promise.all([
      entries
        .find({ ownerId: viewerId }, { projection: { postId: 1, createdAt: 1, seq: 1, _id: 0 } })
        .sort({ createdAt: -1, postId: -1 })
        .limit(PAGE + 1)
        .toArray(),
      // One query per merged author, as the service does.
      Promise.all(
        followed.map((authorId) =>
          posts
            .find({ authorId, state: 'live', fanout: 'pulled' }, { projection: { authorId: 1, createdAt: 1, seq: 1, fanout: 1 } })
            .sort({ createdAt: -1, _id: -1 })
            .limit(PAGE + 1)
            .toArray(),
        ),
      ).then((perAuthor) => perAuthor.flat()),
    ]);
    const ids = [...new Set([...page.map((e) => String(e.postId)), ...merged.map((p) => p._id)])].slice(0, PAGE + 1);
    if (ids.length === 0) return 0;
    const found = await findAmong(posts, '_id', ids);
    const authorIds = found.map((p) => String(p.authorId));
    await Promise.all([
      findAmong(authors, '_id', authorIds),
      findAmong(
        likes,
        '_id',
        ids.map((id) => likeKey(id, viewerId)),
        { filter: { liked: true }, projection: { postId: 1 } },
      ),
    ]);
    return found.length;
  };
}

export function userPostsPage(db: mongo.Db): (authorId: string, viewerId: string) => Promise<number> {
  const posts = db.collection<Doc>('posts');
  const users = db.collection<Doc>('users');
  const media = db.collection<Doc>('media');
  const likes = db.collection<Doc>('likes');
  return async (authorId, viewerId) => {
    const page = await posts
      .find({ authorId, deletedAt: null })
      .sort({ createdAt: -1, _id: -1 })
      .limit(PAGE + 1)
      .toArray();
    const ids = page.map((p) => p._id);
    const userIds = [
      ...new Set(page.flatMap((p) => [String(p.authorId), ...((p.mentions as Array<{ id: string }>) ?? []).map((m) => m.id)])),
    ];
    const mediaIds = [...new Set(page.flatMap((p) => ((p.media as Array<{ id: string }>) ?? []).map((m) => m.id)))];
    await Promise.all([
      findAmong(users, '_id', userIds),
      findAmong(media, '_id', mediaIds),
      findAmong(likes, 'postId', ids, { filter: { userId: viewerId, liked: true }, projection: { postId: 1 } }),
    ]);
    return page.length;
  };
}

/** search-reader.ts's postsByText for a one-word query, first page, as the service sends it. */
export function searchPosts(pool: Pool): (word: string) => Promise<number> {
  const columns = 'p.caption, p.alt_text, p.hashtags_text, p.author_username, p.author_display_name';
  const relevance = `LEAST(MATCH(${columns}) AGAINST (? IN BOOLEAN MODE), 1000000) + LEAST(MATCH(${columns}) AGAINST (? IN NATURAL LANGUAGE MODE), 1000000)`;
  const engagement = '(1 + 0.25 * LN(1 + p.like_count + 2 * p.comment_count))';
  const freshness = '(1 / SQRT(1 + GREATEST(TIMESTAMPDIFF(SECOND, p.created_at, ?), 0) / 604800))';
  const sql = `SELECT ranked.*, u.avatar AS author_avatar FROM (
      SELECT p.id, p.author_id, p.author_username, p.author_display_name, p.caption, p.hashtags_text,
        p.media, p.like_count, p.comment_count, p.created_at, p.updated_at,
        CAST((${relevance}) * ${engagement} * ${freshness} AS DECIMAL(30,10)) AS score
      FROM posts p
      WHERE MATCH(${columns}) AGAINST (? IN BOOLEAN MODE) AND p.version > 0 AND p.deleted = 0 AND p.author_deleted = 0
    ) ranked LEFT JOIN users u ON u.id = ranked.author_id
    ORDER BY ranked.score DESC, ranked.id DESC LIMIT ?`;
  return async (word) => {
    const [rows] = await pool.query<RowDataPacket[]>(sql, [`+${word}*`, word, new Date(), `+${word}*`, PAGE + 1]);
    return rows.length;
  };
}
