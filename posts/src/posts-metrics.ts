/** This service's own Prometheus metrics, on the shared registry that /metrics serves. */
import { metrics } from '@lumina/common';
import { Counter } from 'prom-client';

/** The kinds of Redis entry the read cache keeps (read-cache.ts). */
export type CacheEntry = 'post' | 'author' | 'like' | 'user' | 'media';

export interface PostsMetrics {
  cacheLookups: Counter<'entry' | 'result'>;
}

let shared: PostsMetrics | undefined;

export function postsMetrics(): PostsMetrics {
  if (shared) return shared;
  shared = {
    cacheLookups: new Counter({
      name: 'posts_cache_lookups_total',
      help: 'Read-cache lookups by kind of entry and result (hit: Redis answered; miss: MongoDB read and Redis filled)',
      labelNames: ['entry', 'result'],
      registers: [metrics().registry],
    }),
  };
  return shared;
}

/** Counts one batch of lookups: `asked` entries looked up in Redis, `missed` of them absent. */
export function countLookups(entry: CacheEntry, asked: number, missed: number): void {
  const { cacheLookups } = postsMetrics();
  if (asked > missed) cacheLookups.inc({ entry, result: 'hit' }, asked - missed);
  if (missed > 0) cacheLookups.inc({ entry, result: 'miss' }, missed);
}
