/**
 * Reads through Redis, and keeps Redis right after writes. Every read asks Redis first, reads
 * MongoDB by _id for what Redis lacks (a point lookup FerretDB pushes down) and fills Redis from
 * what it read. Every write to a post or a copy is followed by a refresh: the document read back
 * from MongoDB and applied to Redis if newer. Because entries carry versions and are applied only
 * if newer (store/post-cache.ts), a fill that read before a write and lands after that write's
 * refresh changes nothing; "delete the key on write" would let it put the old post back.
 *
 * A writer that dies between its MongoDB write and its refresh leaves its event in the post's
 * outbox; the relay refreshes the post before clearing it (server.ts), so the entry is put
 * right by whichever relay publishes that event.
 */
import type { TimeIdCursor } from '@lumina/common';
import { countLookups, type CacheEntry } from './posts-metrics';
import type { CopiesStore } from './store/copies-store';
import type { EngagementStore } from './store/engagement-store';
import type { MediaCopyDoc, PostDoc, UserCopyDoc } from './store/models';
import {
  authorListMember,
  idOfMember,
  type CachedMedia,
  type CachedPost,
  type CachedUser,
  type PostCache,
  type PostEntry,
} from './store/post-cache';
import type { PostStore } from './store/post-store';

/** What rendering needs of a user or a media item (views.ts). */
export type UserCard = Pick<UserCopyDoc, 'username' | 'displayName' | 'avatar' | 'deleted'>;
export type MediaCard = Pick<MediaCopyDoc, 'status' | 'width' | 'height' | 'blurhash' | 'variants'> & { ownerId?: string };

/** Authors with more live posts than this are not listed in Redis: their pages read MongoDB. */
export const AUTHOR_LIST_CAP = 10_000;

export interface ReadCacheHooks {
  /** Test hook: runs after a read-miss read MongoDB and before it fills Redis. */
  beforeFill?: (kind: 'post' | 'author' | 'like', id: string) => Promise<void> | void;
}

export interface ReadCacheDeps {
  cache: PostCache;
  posts: PostStore;
  copies: CopiesStore;
  engagement: EngagementStore;
  hooks?: ReadCacheHooks;
}

export function postEntry(post: PostDoc): PostEntry {
  const _v: [number, number] = [post.version, post.engagementVersion];
  if (post.deletedAt) return { _v, id: post._id, authorId: post.authorId, createdAt: post.createdAt.toISOString(), deleted: true };
  return {
    _v,
    id: post._id,
    authorId: post.authorId,
    caption: post.caption,
    hashtags: post.hashtags,
    mentions: post.mentions,
    media: post.media,
    likeCount: post.likeCount,
    commentCount: post.commentCount,
    createdAt: post.createdAt.toISOString(),
    updatedAt: post.updatedAt.toISOString(),
  };
}

/** A live cached post in the shape views and pages use. */
export function postFromEntry(entry: CachedPost): PostDoc {
  return {
    _id: entry.id,
    authorId: entry.authorId,
    caption: entry.caption,
    hashtags: entry.hashtags,
    mentions: entry.mentions,
    media: entry.media,
    likeCount: entry.likeCount,
    commentCount: entry.commentCount,
    version: entry._v[0],
    engagementVersion: entry._v[1],
    createdAt: new Date(entry.createdAt),
    updatedAt: new Date(entry.updatedAt),
    deletedAt: null,
  };
}

const isLive = (entry: PostEntry | undefined): entry is CachedPost => entry !== undefined && !('deleted' in entry);

/** Cards by id (each id once): those Redis holds, and the rest built by fill, which writes them back. */
async function readThrough<C>(
  entry: CacheEntry,
  ids: string[],
  cached: (unique: string[]) => Promise<Array<C | undefined>>,
  fill: (id: string) => Promise<C>,
): Promise<Map<string, C>> {
  const unique = [...new Set(ids)];
  const hits = await cached(unique);
  countLookups(entry, unique.length, hits.filter((c) => !c).length);
  const cards = await Promise.all(unique.map(async (id, i) => hits[i] ?? (await fill(id))));
  return new Map(unique.map((id, i) => [id, cards[i]!]));
}

function userCard(copy: UserCopyDoc | null): CachedUser {
  if (!copy) return { _v: [0], username: '', displayName: '', avatar: null, deleted: false };
  return {
    _v: [copy.version],
    username: copy.username ?? '',
    displayName: copy.displayName ?? '',
    avatar: copy.avatar ?? null,
    deleted: copy.deleted === true,
  };
}

function mediaCard(copy: MediaCopyDoc | null): CachedMedia {
  if (!copy) return { _v: [0] };
  return {
    _v: [copy.version],
    ownerId: copy.ownerId,
    status: copy.status,
    width: copy.width,
    height: copy.height,
    blurhash: copy.blurhash,
    variants: copy.variants,
  };
}

export class ReadCache {
  constructor(private readonly deps: ReadCacheDeps) {}

  // ---- posts ----------------------------------------------------------------------------

  /** The live posts among these ids, by id; a deleted or unknown id is absent. */
  async livePosts(ids: string[]): Promise<Map<string, PostDoc>> {
    const unique = [...new Set(ids)];
    const cached = await this.deps.cache.posts(unique);
    const missing = unique.filter((_, i) => cached[i] === undefined);
    countLookups('post', unique.length, missing.length);
    const filled = await Promise.all(missing.map((id) => this.fillPost(id)));
    const entries = [...cached, ...filled];
    return new Map(entries.filter(isLive).map((e) => [e.id, postFromEntry(e)]));
  }

  private async fillPost(id: string): Promise<PostEntry | undefined> {
    const post = await this.deps.posts.findAny(id);
    if (!post) return undefined; // never existed: not cached, so made-up ids cannot fill Redis
    const entry = postEntry(post);
    await this.deps.hooks?.beforeFill?.('post', id);
    await this.deps.cache.applyPost(entry);
    return entry;
  }

  /**
   * After a write to the post (or by the relay, for a writer that died): MongoDB's state into
   * Redis. A writer that knows the state it wrote (a new post) passes it instead of a read back.
   */
  async refreshPost(id: string, written?: PostDoc): Promise<void> {
    const post = written ?? (await this.deps.posts.findAny(id));
    if (!post) return;
    await this.deps.cache.applyPost(postEntry(post));
    const member = authorListMember(post.createdAt.getTime(), post._id);
    if (post.deletedAt) await this.deps.cache.removeFromAuthor(post.authorId, member);
    else await this.deps.cache.addToAuthor(post.authorId, member);
  }

  /**
   * Up to `count` of the author's live posts after the cursor, newest first; null when the
   * author's list cannot be cached (more than AUTHOR_LIST_CAP posts) and MongoDB must answer.
   */
  async authorPosts(authorId: string, after: TimeIdCursor | undefined, count: number): Promise<PostDoc[] | null> {
    const { cache } = this.deps;
    let bound = after ? authorListMember(after.t, after.id) : undefined;
    const found: PostDoc[] = [];
    for (;;) {
      const asked = count - found.length;
      let members = await cache.authorMembers(authorId, bound, asked);
      countLookups('author', 1, members === null ? 1 : 0);
      if (members === null) {
        if (!(await this.fillAuthor(authorId))) return null;
        members = (await cache.authorMembers(authorId, bound, asked)) ?? [];
      }
      const live = await this.livePosts(members.map(idOfMember));
      for (const member of members) {
        const post = live.get(idOfMember(member));
        if (post) found.push(post);
        // A deleted post a fill put back (see PostCache.removeFromAuthor): out again.
        else await cache.removeFromAuthor(authorId, member);
      }
      if (found.length >= count || members.length < asked) return found;
      bound = members[members.length - 1];
    }
  }

  private async fillAuthor(authorId: string): Promise<boolean> {
    const rows = await this.deps.posts.liveKeysByAuthor(authorId, AUTHOR_LIST_CAP + 1);
    if (rows.length > AUTHOR_LIST_CAP) return false;
    await this.deps.hooks?.beforeFill?.('author', authorId);
    await this.deps.cache.fillAuthor(
      authorId,
      rows.map((r) => authorListMember(r.createdAt.getTime(), r._id)),
    );
    return true;
  }

  // ---- likes ----------------------------------------------------------------------------

  /** Which of these posts the user likes (likedByViewer); a post they never liked is cached as a no. */
  async likedAmong(postIds: string[], userId: string): Promise<Set<string>> {
    const unique = [...new Set(postIds)];
    const cached = await this.deps.cache.likes(unique, userId);
    const missing = unique.filter((_, i) => cached[i] === undefined);
    countLookups('like', unique.length, missing.length);
    const rows = await this.deps.engagement.likesAmong(missing, userId);
    const filled = await Promise.all(
      missing.map(async (postId) => {
        const row = rows.get(postId);
        const entry = { _v: [row?.ev ?? 0] as [number], liked: row?.liked === true };
        await this.deps.hooks?.beforeFill?.('like', `${postId}:${userId}`);
        await this.deps.cache.applyLike(postId, userId, entry);
        return entry;
      }),
    );
    const liked = new Set<string>();
    unique.forEach((postId, i) => {
      if (cached[i]?.liked) liked.add(postId);
    });
    missing.forEach((postId, i) => {
      if (filled[i]!.liked) liked.add(postId);
    });
    return liked;
  }

  /** After a like row's write: MongoDB's row into Redis. */
  async refreshLike(postId: string, userId: string): Promise<void> {
    const row = (await this.deps.engagement.likesAmong([postId], userId)).get(postId);
    await this.deps.cache.applyLike(postId, userId, { _v: [row?.ev ?? 0], liked: row?.liked === true });
  }

  // ---- copies ---------------------------------------------------------------------------

  async users(ids: string[]): Promise<Map<string, UserCard>> {
    const { cache, copies } = this.deps;
    return readThrough(
      'user',
      ids,
      (unique) => cache.users(unique),
      async (id) => {
        const card = userCard(await copies.findUser(id));
        await cache.applyUser(id, card);
        return card;
      },
    );
  }

  async media(ids: string[]): Promise<Map<string, MediaCard>> {
    const { cache, copies } = this.deps;
    const cards = await readThrough(
      'media',
      ids,
      (unique) => cache.media(unique),
      async (id) => {
        const card = mediaCard(await copies.findMedia(id));
        await cache.applyMedia(id, card);
        return card;
      },
    );
    return cards as Map<string, MediaCard>;
  }

  /** After a users-copy write (or a redelivered event whose write had been done): MongoDB's copy into Redis. */
  async refreshUser(id: string): Promise<void> {
    await this.deps.cache.applyUser(id, userCard(await this.deps.copies.findUser(id)));
  }

  async refreshMedia(id: string): Promise<void> {
    await this.deps.cache.applyMedia(id, mediaCard(await this.deps.copies.findMedia(id)));
  }
}
