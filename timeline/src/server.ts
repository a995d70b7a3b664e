/**
 * Starts the whole timeline service in this process (common's bootService does the rest):
 * MongoDB and its indexes, Redis, the listeners, the live feed, the stream hub and HTTP.
 * index.ts calls it; so do tests, the benchmark and the one-machine launcher.
 */
import { bootService, mongoStore, RedisRateLimitStore, redisStore, type ListenerOptions, type Logger } from '@lumina/common';
import { buildApp } from './app';
import type { Config } from './config';
import { createDomain, redisLimitsFrom } from './domain';
import { createListeners } from './events';
import { LiveFeed } from './live/live-feed';
import { StreamHub } from './live/stream-hub';
import { openStores } from './store';

export interface StartOptions {
  log?: Logger;
  /** Listener settings (tests shorten the backoff). */
  listeners?: Partial<ListenerOptions>;
}

export type RunningTimeline = Awaited<ReturnType<typeof startTimelineService>>;

export async function startTimelineService(config: Config, options: StartOptions = {}) {
  return bootService({
    service: 'timeline',
    config,
    log: options.log,
    stores: {
      conn: mongoStore({ url: config.MONGO_URL, check: 'mongo' }),
      redis: redisStore({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }),
    },
    async build({ conn, redis, bus, log, http }) {
      const stores = await openStores(conn, redis, redisLimitsFrom(config));
      const feed = new LiveFeed(bus);
      const domain = createDomain(stores, config, feed, log);
      const streams = new StreamHub(
        domain.home,
        stores.follows,
        feed,
        {
          heartbeatMs: config.STREAM_HEARTBEAT_MS,
          maxConnections: config.STREAM_MAX_CONNECTIONS,
          maxPerViewer: config.STREAM_MAX_PER_VIEWER,
          maxAgeMs: config.STREAM_MAX_AGE_MS,
        },
        log,
      );
      const app = buildApp({
        ...http,
        domain,
        streams,
        rateLimits: new RedisRateLimitStore(redis),
        notificationsReadPerMinute: config.NOTIFICATIONS_READ_MAX_PER_MINUTE,
      });
      return {
        app,
        // Started in this order, stopped in reverse: listeners stop first, the feed last.
        workers: [feed, streams],
        listeners: createListeners(bus, domain, { concurrency: config.LISTENER_CONCURRENCY, ...options.listeners }),
        // Open streams never end by themselves, and the HTTP server waits for every connection
        // to end before the workers stop: so end them first.
        beforeShutdown: () => streams.closeAll(),
        handles: { domain, streams },
      };
    },
  });
}
