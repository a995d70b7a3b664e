/**
 * posts' Redis: a cache in front of MongoDB that rebuilds itself (flushing it loses nothing).
 * Every key is under REDIS_KEY_PREFIX and carries a hash tag, so it shards in a Redis Cluster:
 *
 *   post:{<postId>}      the post as clients see it, less what other aggregates render (author,
 *                        media variants, likedByViewer); a deleted post is a tombstone
 *   user:{<userId>}      the users copy of one user, as an author or a mention renders
 *   media:{<mediaId>}    the media copy of one image
 *   author:{<authorId>}  the author's live post ids, newest first (a sorted set, below)
 *   like:{<postId>}:<userId>  whether that user likes that post (likedByViewer), yes or no
 *
 * A page reads one sorted set (one shard), then the entries it names with pipelined GETs (one
 * round trip, each GET routed to its own shard; an MGET across slots is refused by a cluster).
 *
 * Entries are written only through the APPLY_IF_NEWER script: an entry carries the versions of
 * the document it was made from, and a write that is not newer than what Redis holds changes
 * nothing. So a reader filling from a read that a writer has since overtaken, a duplicated or
 * reordered event, or a refresh racing another cannot put an older state over a newer one.
 */
import { LuaScript, type Avatar, type RedisClient, type Variants } from '@lumina/common';
import type { PostDoc } from './models';

/** A post's versions, compared in order: edits and deletion, then likes and comments. */
export type PostVersions = [version: number, engagementVersion: number];

/** A live post as Redis holds it: the document's shown fields, its id as `id` and its times as ISO strings. */
export interface CachedPost extends Pick<
  PostDoc,
  'authorId' | 'caption' | 'hashtags' | 'mentions' | 'media' | 'likeCount' | 'commentCount'
> {
  _v: PostVersions;
  id: string;
  createdAt: string;
  updatedAt: string;
}

export interface PostTombstone {
  _v: PostVersions;
  id: string;
  authorId: string;
  /** Kept so a reader that meets the tombstone can take its member out of the author list. */
  createdAt: string;
  deleted: true;
}

export type PostEntry = CachedPost | PostTombstone;

/** A users copy; version 0 and absent when this service has none (yet). */
export interface CachedUser {
  _v: [version: number];
  username: string;
  displayName: string;
  avatar: Avatar;
  deleted: boolean;
}

/** A media copy; version 0 and no status when this service has none (yet). */
export interface CachedMedia {
  _v: [version: number];
  /** Whose it is (entries cached before it was kept lack it: composing then asks MongoDB). */
  ownerId?: string;
  status?: string;
  width?: number;
  height?: number;
  blurhash?: string;
  variants?: Variants;
}

/** A like row: its engagement version (0 when there is none) and whether it is a like. */
export interface CachedLike {
  _v: [ev: number];
  liked: boolean;
}

/**
 * Entries live a day after their last write; a miss is a MongoDB read by _id and a fill.
 * (A tombstone that expired is rebuilt the same way, from the deleted post MongoDB keeps.)
 */
export const CACHE_TTL_SECONDS = 24 * 60 * 60;

/**
 * SET the value if its versions (ARGV[2], a JSON array) are newer, compared in order, than the
 * `_v` of what the key holds. Answers 1 if it wrote.
 */
const APPLY_IF_NEWER = new LuaScript(`
  local held = redis.call('GET', KEYS[1])
  if held then
    local heldVersions = cjson.decode(held)._v
    local incoming = cjson.decode(ARGV[2])
    local newer = false
    for i = 1, #incoming do
      local h = heldVersions[i] or 0
      if incoming[i] > h then newer = true break end
      if incoming[i] < h then break end
    end
    if not newer then return 0 end
  end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
  return 1`);

export type PostCacheRedis = RedisClient;

/**
 * An author list's members sort by (createdAt, id) as strings, all at score 0, so ZRANGE BYLEX
 * REV walks them newest first and a cursor is an exclusive lexicographic bound: exact, ties
 * included. Times are zero-padded milliseconds (13 digits last until the year 2286).
 */
export function authorListMember(createdAtMs: number, id: string): string {
  return `${String(createdAtMs).padStart(13, '0')}:${id}`;
}

export function idOfMember(member: string): string {
  return member.slice(member.indexOf(':') + 1);
}

/**
 * Present in an author list once it was filled from MongoDB: from then on it holds every live
 * post of the author (writers add and remove members whether or not the list exists). It sorts
 * after every member ('~' > digits), so ranges below it never return it, and it lives and
 * expires with the list (one key).
 */
const COMPLETE = '~';

export class PostCache {
  constructor(private readonly redis: PostCacheRedis) {}

  private apply(key: string, entry: { _v: number[] }): Promise<number> {
    return APPLY_IF_NEWER.run(this.redis, [key], [JSON.stringify(entry), JSON.stringify(entry._v), CACHE_TTL_SECONDS]).then(Number);
  }

  private async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    // Issued in one tick: node-redis pipelines them (one round trip), each to its own shard.
    const values = await Promise.all(keys.map((key) => this.redis.get(key)));
    return values.map((v) => (v === null ? undefined : (JSON.parse(v) as T)));
  }

  // ---- posts ----------------------------------------------------------------------------

  async posts(ids: string[]): Promise<Array<PostEntry | undefined>> {
    return this.getMany<PostEntry>(ids.map(postKey));
  }

  /** Answers whether the entry was newer than what Redis held (and so written). */
  async applyPost(entry: PostEntry): Promise<boolean> {
    return (await this.apply(postKey(entry.id), entry)) === 1;
  }

  // ---- copies ---------------------------------------------------------------------------

  async users(ids: string[]): Promise<Array<CachedUser | undefined>> {
    return this.getMany<CachedUser>(ids.map(userKey));
  }

  async applyUser(id: string, user: CachedUser): Promise<void> {
    await this.apply(userKey(id), user);
  }

  async media(ids: string[]): Promise<Array<CachedMedia | undefined>> {
    return this.getMany<CachedMedia>(ids.map(mediaKey));
  }

  async applyMedia(id: string, media: CachedMedia): Promise<void> {
    await this.apply(mediaKey(id), media);
  }

  // ---- likes ----------------------------------------------------------------------------

  async likes(postIds: string[], userId: string): Promise<Array<CachedLike | undefined>> {
    return this.getMany<CachedLike>(postIds.map((postId) => likeKey(postId, userId)));
  }

  async applyLike(postId: string, userId: string, like: CachedLike): Promise<void> {
    await this.apply(likeKey(postId, userId), like);
  }

  // ---- author lists ---------------------------------------------------------------------

  /**
   * Up to `count` members of the author's list after the member `after` (newest first), or null
   * when the list was never filled (or expired): then only MongoDB knows.
   */
  async authorMembers(authorId: string, after: string | undefined, count: number): Promise<string[] | null> {
    const key = authorKey(authorId);
    const [complete, members] = await Promise.all([
      this.redis.zScore(key, COMPLETE),
      this.redis.zRange(key, after ? `(${after}` : `(${COMPLETE}`, '-', { BY: 'LEX', REV: true, LIMIT: { offset: 0, count } }),
    ]);
    return complete === null ? null : members;
  }

  /** The author's whole list as MongoDB has it, merged with what writers added meanwhile. */
  async fillAuthor(authorId: string, members: string[]): Promise<void> {
    const key = authorKey(authorId);
    const all = [...members, COMPLETE].map((value) => ({ score: 0, value }));
    await this.redis.multi().zAdd(key, all).expire(key, CACHE_TTL_SECONDS).exec();
  }

  /** A new post: added whether or not the list exists (a fill merges with it). */
  async addToAuthor(authorId: string, member: string): Promise<void> {
    const key = authorKey(authorId);
    await this.redis.multi().zAdd(key, { score: 0, value: member }).expire(key, CACHE_TTL_SECONDS).exec();
  }

  /**
   * A deleted post. A fill that read MongoDB before the deletion may add it back; readers skip
   * it by its tombstone and remove it again.
   */
  async removeFromAuthor(authorId: string, member: string): Promise<void> {
    await this.redis.zRem(authorKey(authorId), member);
  }
}

const postKey = (id: string) => `post:{${id}}`;
const userKey = (id: string) => `user:{${id}}`;
const mediaKey = (id: string) => `media:{${id}}`;
const authorKey = (id: string) => `author:{${id}}`;
const likeKey = (postId: string, userId: string) => `like:{${postId}}:${userId}`;
