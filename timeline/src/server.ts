/**
 * Starts the whole timeline service in this process: MongoDB and its indexes, Redis, NATS and streams,
 * the listeners, the live feed, the stream hub and HTTP. index.ts calls it; so do tests, the
 * benchmark and the one-machine launcher.
 */
import {
  closeEventBus,
  busOptionsFrom,
  connectEventBus,
  connectMongo,
  createLogger,
  RedisRateLimitStore,
  pingMongo,
  provisionStreams,
  streamSettingsFrom,
  streamsOf,
  StreamLimitsMonitor,
  publicKeysFrom,
  startService,
  type EventBus,
  type ListenerOptions,
  type Logger,
  type RunningService,
  pingNats,
  connectRedis,
  pingRedis,
  type RedisClient,
} from '@lumina/common';
import type { Connection } from 'mongoose';
import { buildApp } from './app';
import type { Config } from './config';
import { createDomain, type TimelineDomain } from './domain';
import { createListeners } from './events';
import { LiveFeed } from './live/live-feed';
import { StreamHub } from './live/stream-hub';
import { createStores, syncIndexes } from './store';
import { redisLimitsFrom } from './domain';

export interface RunningTimeline {
  running: RunningService;
  conn: Connection;
  redis: RedisClient;
  bus: EventBus;
  domain: TimelineDomain;
  streams: StreamHub;
  log: Logger;
}

export interface StartOptions {
  log?: Logger;
  /** Listener settings (tests shorten the backoff). */
  listeners?: Partial<ListenerOptions>;
}

export async function startTimelineService(config: Config, options: StartOptions = {}): Promise<RunningTimeline> {
  const log = options.log ?? createLogger('timeline', config.LOG_LEVEL);
  const publicKeys = publicKeysFrom(config);
  const conn = await connectMongo(config.MONGO_URL);
  let bus: EventBus | undefined;
  let redis: RedisClient | undefined;
  try {
    redis = await connectRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX });
    const connectedRedis = redis;
    const stores = createStores(conn, redis, redisLimitsFrom(config));
    await syncIndexes(stores.models);

    bus = await connectEventBus(busOptionsFrom(config, 'timeline', log));
    // Every stream timeline touches: it consumes USERS and POSTS and dead-letters to DLQ.
    await provisionStreams(bus, streamsOf('timeline'), streamSettingsFrom(config, 'timeline'));
    const connectedBus = bus;

    const feed = new LiveFeed(connectedBus);
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
    const listeners = createListeners(connectedBus, domain, { concurrency: config.LISTENER_CONCURRENCY, ...options.listeners });

    const app = buildApp({
      log,
      publicKeys,
      domain,
      streams,
      rateLimits: new RedisRateLimitStore(connectedRedis),
      notificationsReadPerMinute: config.NOTIFICATIONS_READ_MAX_PER_MINUTE,
      cookieSecure: config.COOKIE_SECURE,
      allowedOrigins: config.ALLOWED_ORIGINS,
      trustProxyHops: config.TRUST_PROXY_HOPS,
      readiness: {
        mongo: () => pingMongo(conn),
        redis: () => pingRedis(connectedRedis),
        nats: () => pingNats(connectedBus),
      },
    });

    const service = await startService({
      name: 'timeline',
      port: config.PORT,
      log,
      app,
      // Started in this order, stopped in reverse: listeners stop first, the feed last.
      workers: [
        feed,
        streams,
        ...listeners,
        new StreamLimitsMonitor(connectedBus, {
          streams: streamsOf('timeline'),
          consumers: listeners,
          log,
          intervalMs: config.STREAM_LIMITS_CHECK_INTERVAL_MS,
        }),
      ],
      close: async () => {
        await closeEventBus(connectedBus);
        await conn.close();
        connectedRedis.destroy();
      },
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    // Open streams never end by themselves, and the HTTP server waits for every connection to end
    // before the workers stop: so end them first.
    const running: RunningService = {
      server: service.server,
      port: service.port,
      shutdown: (reason) => {
        streams.closeAll();
        return service.shutdown(reason);
      },
    };
    return { running, conn, redis: connectedRedis, bus: connectedBus, domain, streams, log };
  } catch (err) {
    if (bus) await closeEventBus(bus).catch(() => undefined);
    await conn.close().catch(() => undefined);
    redis?.destroy();
    throw err;
  }
}
