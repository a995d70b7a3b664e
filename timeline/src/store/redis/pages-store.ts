/**
 * First pages, assembled: the JSON of each viewer's first home page, kept so that the read people
 * make most (opening the app) is one Redis round trip and no rendering. A page is a cache of the
 * feed, the cards and the viewer's likes, and must never outlive a change to them:
 *
 * - the viewer's feed, likes or follows change: the viewer's page is dropped (`drop`), in the
 *   same script as the feed write where there is one;
 * - a card's content changes (caption, state, author): every page listing the post is dropped.
 *   A page registers with each post it lists (`onpage:{post}`, on the card's shard) before it
 *   reads the cards, so a change either is seen by the assembly or drops its result;
 * - a card's counts change: the same, unless the post is on more than `countDropLimit` pages
 *   (a popular post, liked many times a second): those pages show counts at most `ttlMs` old;
 * - an author merged at read time posts: `pulled-gen` moves on, and every page assembled before
 *   it is stale (such posts are rare; their authors are few).
 *
 * A drop deletes the viewer's page hash, stamp (`#`) and all; an assembly writes its page only if
 * the stamp is still the one it read before reading anything else, so an assembly that raced a
 * change throws its result away instead of keeping it. (Fan-out drops a page with one DEL.)
 */
import { randomBytes } from 'node:crypto';
import { answeringBytes, type RedisClient } from '@lumina/common';
import { keys } from './keys';
import { pagePut, pageRead } from './scripts';

export interface PageLimits {
  /** How long an assembled page is kept; 0: pages are not kept. */
  ttlMs: number;
  /** A post on more pages than this does not drop them when only its counts change. */
  countDropLimit: number;
  /** The activity window: reading renews the feed's TTL, as every home read does. */
  activeMs: number;
}

export type PageRead =
  /** The viewer has no feed: build it. */
  | { kind: 'missing' }
  /** The page's JSON as UTF-8, as Redis sent it: sent on without decoding it to a string and back. */
  | { kind: 'hit'; body: Buffer }
  /** Assemble the page; keep it with `put(…, stamp)`. */
  | { kind: 'miss'; stamp: PageStamp };

/** What an assembly read before anything else: the viewer's page stamp and the pulled authors' generation. */
export interface PageStamp {
  stamp: string;
  pulledGen: string;
}

/** Stamps unique across replicas and restarts: this process's random prefix and a counter. */
const STAMP_PREFIX = randomBytes(9).toString('base64url');
let stamps = 0;
const freshStamp = (): string => `${STAMP_PREFIX}.${(stamps += 1).toString(36)}`;

/** A kept page: the pulled generation it was assembled at, a newline, the JSON. */
const encode = (pulledGen: string, body: string): string => `${pulledGen}\n${body}`;

/** The newline that ends a kept page's generation. */
const NEWLINE = 0x0a;

export class PagesStore {
  /** The same connection, answering strings as bytes: a kept page goes out as Redis sent it. */
  private readonly bytes: ReturnType<typeof answeringBytes>;

  constructor(
    private readonly redis: RedisClient,
    readonly limits: PageLimits,
  ) {
    this.bytes = answeringBytes(redis);
  }

  get enabled(): boolean {
    return this.limits.ttlMs > 0;
  }

  /** The viewer's kept first page of `limit` items, renewing the feed's activity window. One round trip. */
  async read(viewerId: string, limit: number): Promise<PageRead> {
    const [answer, pulledGen] = await Promise.all([
      pageRead.run(this.bytes, [keys.feed(viewerId), keys.page(viewerId)], [this.limits.activeMs, limit, freshStamp(), this.limits.ttlMs]),
      this.redis.get(keys.pulledGen()),
    ]);
    const [present, kept, stamp] = answer as [number, Buffer, Buffer];
    if (present === 0) return { kind: 'missing' };
    const current = pulledGen ?? '0';
    const cut = kept.indexOf(NEWLINE);
    // A page assembled before a merged-at-read author last posted is assembled again.
    if (cut > 0 && kept.toString('latin1', 0, cut) === current) return { kind: 'hit', body: kept.subarray(cut + 1) };
    return { kind: 'miss', stamp: { stamp: stamp.toString('utf8'), pulledGen: current } };
  }

  /**
   * Registers the viewer's page-to-be with each post it will list. Call it in the same tick as the
   * cards are read, before them: each registration goes to the card's shard ahead of its read.
   */
  listing(viewerId: string, postIds: string[]): Promise<unknown> {
    if (!this.enabled || postIds.length === 0) return Promise.resolve();
    const ttlSeconds = Math.ceil(this.limits.ttlMs / 1000) + 1;
    return Promise.all(
      postIds.flatMap((postId) => [this.redis.sAdd(keys.onPage(postId), viewerId), this.redis.expire(keys.onPage(postId), ttlSeconds)]),
    );
  }

  /** Keeps an assembled page, unless something changed since `stamp` was read. */
  async put(viewerId: string, limit: number, stamp: PageStamp, body: string): Promise<boolean> {
    if (!this.enabled) return false;
    const kept = await pagePut.run(
      this.redis,
      [keys.page(viewerId)],
      [stamp.stamp, limit, encode(stamp.pulledGen, body), this.limits.ttlMs],
    );
    return kept === 1;
  }

  /** These viewers' pages are stale: dropped, and assemblies under way will not keep theirs. */
  async drop(viewerIds: string[]): Promise<void> {
    await Promise.all(viewerIds.map((viewerId) => this.redis.del(keys.page(viewerId))));
  }

  /** A post's card changed: the pages listing it are dropped (only small audiences for a count). */
  async dropListing(postId: string, what: 'content' | 'counts'): Promise<void> {
    if (!this.enabled) return;
    const key = keys.onPage(postId);
    if (what === 'counts' && (await this.redis.sCard(key)) > this.limits.countDropLimit) return;
    const viewers = await this.redis.sMembers(key);
    if (viewers.length > 0) await this.drop(viewers);
  }

  /** A merged-at-read author posted: every page assembled before now is stale. */
  async pulledChanged(): Promise<void> {
    await this.redis.incr(keys.pulledGen());
  }
}
