/**
 * The database work behind a read, done with the bare drivers (node-redis, the MongoDB driver,
 * mysql2) against the same servers and
 * data, without the service around it (no HTTP, auth, validation, rendering or gateway). Each
 * mirrors the queries the service makes for one page (lookups by a list of ids go through
 * common's findAmong, as in the services); the service's code is the reference:
 *
 * - home page (timeline/src/home-timeline.ts page + render.ts): Redis only — the viewer's feed
 *   (and merged authors' posts), then the cards and the viewer's likes;
 * - user's posts (posts/src/posts.ts listByAuthor + views.ts): one page of the author's live
 *   posts, then the users and media copies and the viewer's likes;
 * - post search (search/src/store/search-reader.ts postsByText): the ranked FULLTEXT query.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { mongo } from 'mongoose';
import { findAmong, type RedisClient } from '@lumina/common';
import { compareEntryDesc, keys, rangeAfter } from '@lumina/timeline/testing';

type Doc = mongo.Document & { _id: string };

const PAGE = 20;

/**
 * The home page's Redis commands, as timeline/src/home-timeline.ts page() and render.ts make them:
 * renew the feed and read its first entries (and, for a follower of merged-at-read authors, whom
 * of them the viewer follows and their newest posts), then the cards and the viewer's likes.
 */
export function timelinePage(redis: RedisClient): (viewerId: string) => Promise<number> {
  let pulled: string[] = [];
  let pulledAt = 0;
  return async (viewerId) => {
    if (Date.now() - pulledAt > 2000) {
      // The service holds this list in memory and refreshes it every two seconds.
      pulled = (await redis.sMembers(keys.pulled())).filter((id) => id !== '!' && id !== viewerId);
      pulledAt = Date.now();
    }
    const [, page, following] = await Promise.all([
      redis.pExpire(keys.feed(viewerId), 30 * 24 * 3600_000),
      rangeAfter(redis, keys.feed(viewerId), undefined, PAGE + 1),
      pulled.length > 0 ? redis.hmGet(keys.following(viewerId), ['!', ...pulled]) : Promise.resolve([]),
    ]);
    const followed = pulled.filter((_, i) => Number(following[i + 1] ?? 0) > 0);
    const merged = await Promise.all(followed.map((a) => rangeAfter(redis, keys.authored(a), undefined, PAGE + 1)));
    const ids = [...new Set([...page, ...merged.flat()].sort(compareEntryDesc).map((e) => e.postId))].slice(0, PAGE + 1);
    if (ids.length === 0) return 0;
    const [cards] = await Promise.all([
      Promise.all(ids.map((id) => redis.hmGet(keys.card(id), ['state', 'post', 'likes', 'comments', 'author']))),
      redis.hmGet(keys.liked(viewerId), ['!', ...ids]),
    ]);
    return cards.filter((c) => c[0] === 'live').length;
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
