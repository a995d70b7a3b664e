/**
 * Per-viewer facts kept by version in Redis hashes: whom a viewer follows (by edge version) and
 * what they like (by the post's engagement version). A field holds the version, negative once
 * the fact stopped being true, so an older event arriving later changes nothing. The `!` field
 * marks a hash that holds everything MongoDB knows; without it (new Redis, evicted, expired) the
 * hash is completed from MongoDB before it is trusted.
 */
import type { RedisClient } from '@lumina/common';
import { keys } from './keys';
import type { PagesStore } from './pages-store';
import { signedApply } from './scripts';

/** Fields per script call (id and version: 1,000 facts). */
const APPLY_SLICE = 2000;

export interface VersionedFact {
  id: string;
  on: boolean;
  version: number;
}

export interface Among {
  /** False: the hash is not complete, and the answer cannot be trusted. */
  complete: boolean;
  on: Set<string>;
}

export class MembershipsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyOf: (ownerId: string) => string,
    /** The TTL a completed hash gets: the activity window. */
    private readonly ttlMs: number,
    /** For facts a first page shows (likes) or depends on (follows): a change drops the owner's kept page. */
    private readonly pages?: PagesStore,
  ) {}

  static following(redis: RedisClient, ttlMs: number, pages: PagesStore): MembershipsStore {
    return new MembershipsStore(redis, keys.following, ttlMs, pages);
  }

  /** No TTL: an author's followers are read whenever they post, however long ago they last read. */
  static followers(redis: RedisClient): MembershipsStore {
    return new MembershipsStore(redis, keys.followers, 0);
  }

  static liked(redis: RedisClient, ttlMs: number, pages: PagesStore): MembershipsStore {
    return new MembershipsStore(redis, keys.liked, ttlMs, pages);
  }

  /** Applies facts (each if newer); with `complete`, they are everything there is, and the hash is marked so. */
  async apply(ownerId: string, facts: VersionedFact[], complete = false): Promise<void> {
    const pairs = facts.flatMap((f) => [f.id, f.on ? f.version : -f.version]);
    // A large rebuild goes in slices, so no one script call holds the server for long; the last
    // slice marks the hash complete.
    let i = 0;
    let changed = 0;
    do {
      const last = i + APPLY_SLICE >= pairs.length;
      const head = last && complete ? [1, this.ttlMs] : [0, 0];
      changed += Number(await signedApply.run(this.redis, [this.keyOf(ownerId)], [...head, ...pairs.slice(i, i + APPLY_SLICE)]));
      i += APPLY_SLICE;
    } while (i < pairs.length);
    if (changed > 0 && this.pages) await this.pages.drop([ownerId]);
  }

  /** Which of these ids are "on" for the owner, and whether the hash is complete. */
  async among(ownerId: string, ids: string[]): Promise<Among> {
    const values = await this.redis.hmGet(this.keyOf(ownerId), ['!', ...ids]);
    const on = new Set<string>();
    ids.forEach((id, i) => {
      const v = values[i + 1];
      if (v !== null && v !== undefined && Number(v) > 0) on.add(id);
    });
    return { complete: values[0] !== null, on };
  }

  /**
   * Up to `atMost` ids that are "on", walked with HSCAN (so a celebrity's hash is never sent
   * whole); null when the hash is not complete.
   */
  async someOn(ownerId: string, atMost: number): Promise<string[] | null> {
    const key = this.keyOf(ownerId);
    if ((await this.redis.hExists(key, '!')) === 0) return null;
    const on: string[] = [];
    for await (const entries of this.redis.hScanIterator(key, { COUNT: 1000 })) {
      for (const { field, value } of entries) if (field !== '!' && Number(value) > 0) on.push(field);
      if (on.length >= atMost) break;
    }
    return on.slice(0, atMost);
  }

  /** Every id that is "on" (a rebuild's list of followees). */
  async allOn(ownerId: string): Promise<Among> {
    const all = await this.redis.hGetAll(this.keyOf(ownerId));
    const on = new Set(Object.entries(all).flatMap(([id, v]) => (id !== '!' && Number(v) > 0 ? [id] : [])));
    return { complete: '!' in all, on };
  }
}
