/**
 * Starts the whole posts service in this process: MongoDB (indexes synced), Redis (the read
 * cache), NATS (streams provisioned), the listeners that keep the copies, the outbox relay, the
 * pending-op sweeper and HTTP. index.ts calls it; so do tests and the one-machine launcher.
 */
import {
  closeEventBus,
  busOptionsFrom,
  connectEventBus,
  connectMongo,
  createLogger,
  MongoOutboxRelay,
  MongoRateLimitStore,
  type RateLimitWindowDoc,
  pingMongo,
  provisionStreams,
  streamSettingsFrom,
  StreamLimitsMonitor,
  publicKeysFrom,
  startService,
  type EventBus,
  type ListenerOptions,
  type RunningService,
  documentLock,
  type KeyedLock,
  pingNats,
  pingRedis,
} from '@lumina/common';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { buildApp } from './app';
import { writeLimitsFrom, type Config } from './config';
import { EngagementService, type EngagementHooks } from './engagement';
import { createListeners } from './events';
import { PendingSweeper } from './pending-sweeper';
import { PostsService } from './posts';
import { ReadCache, type ReadCacheHooks } from './read-cache';
import { CopiesStore } from './store/copies-store';
import { EngagementStore } from './store/engagement-store';
import { createModels, syncIndexes, type Models } from './store/models';
import { connectPostCache, PostCache, type PostCacheRedis } from './store/post-cache';
import { PostStore } from './store/post-store';
import { Renderer } from './render';

/** The streams posts publishes to (POSTS) and consumes from (USERS, MEDIA), and the DLQ. */
export const POSTS_STREAMS = ['POSTS', 'USERS', 'MEDIA', 'DLQ'] as const;

export interface StartOptions {
  log?: Logger;
  /** Overrides PORT; 0 picks a free port (tests). */
  port?: number;
  listenerOptions?: Partial<ListenerOptions>;
  hooks?: EngagementHooks;
  readHooks?: ReadCacheHooks;
}

export interface PostsServiceHandle {
  running: RunningService;
  bus: EventBus;
  conn: Connection;
  redis: PostCacheRedis;
  models: Models;
  reads: ReadCache;
  lock: KeyedLock;
  relay: MongoOutboxRelay;
  sweeper: PendingSweeper;
  posts: PostsService;
  engagement: EngagementService;
}

export async function startPostsService(config: Config, options: StartOptions = {}): Promise<PostsServiceHandle> {
  const log = options.log ?? createLogger('posts', config.LOG_LEVEL);
  const publicKeys = publicKeysFrom(config);

  const conn = await connectMongo(config.MONGO_URL);
  let bus: EventBus | undefined;
  let redis: PostCacheRedis | undefined;
  try {
    redis = await connectPostCache(config.REDIS_URL, config.REDIS_KEY_PREFIX);
    const models = createModels(conn);
    await syncIndexes(models);

    bus = await connectEventBus(busOptionsFrom(config, 'posts', log));
    await provisionStreams(bus, [...POSTS_STREAMS], streamSettingsFrom(config, 'posts'));

    // The process-wide document lock: the relay's clear takes it too (FerretDB, see README).
    const lock = documentLock;
    const postStore = new PostStore(models);
    const engagementStore = new EngagementStore(models);
    const copies = new CopiesStore(models);
    const reads = new ReadCache({
      cache: new PostCache(redis),
      posts: postStore,
      copies,
      engagement: engagementStore,
      hooks: options.readHooks,
    });
    const relay = new MongoOutboxRelay([models.Post.collection], bus, {
      log,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      // A writer that died before refreshing Redis left its event here: refresh before clearing it.
      beforeClear: (_collection, id) => reads.refreshPost(String(id)),
    });
    const notify = () => relay.notify();
    const renderer = new Renderer(reads, copies);
    const posts = new PostsService({ posts: postStore, copies, renderer, reads, lock, notify, log });
    const engagement = new EngagementService({
      posts: postStore,
      engagement: engagementStore,
      copies,
      renderer,
      reads,
      lock,
      notify,
      log,
      hooks: options.hooks,
    });
    const sweeper = new PendingSweeper(engagement, { intervalMs: config.PENDING_SWEEP_INTERVAL_MS, graceMs: config.PENDING_GRACE_MS, log });
    const listeners = createListeners(bus, copies, reads, posts, options.listenerOptions);

    const eventBus = bus;
    const cache = redis;
    const app = buildApp({
      log,
      publicKeys,
      posts,
      engagement,
      rateLimits: new MongoRateLimitStore(conn.db!.collection<RateLimitWindowDoc>('rate_limits')),
      writeLimits: writeLimitsFrom(config),
      cookieSecure: config.COOKIE_SECURE,
      allowedOrigins: config.ALLOWED_ORIGINS,
      trustProxyHops: config.TRUST_PROXY_HOPS,
      readiness: {
        mongodb: () => pingMongo(conn),
        nats: () => pingNats(eventBus),
        redis: () => pingRedis(cache),
      },
    });

    const limitsMonitor = new StreamLimitsMonitor(eventBus, {
      streams: [...POSTS_STREAMS],
      consumers: listeners,
      log,
      intervalMs: config.STREAM_LIMITS_CHECK_INTERVAL_MS,
    });
    const running = await startService({
      name: 'posts',
      port: options.port ?? config.PORT,
      log,
      app,
      // Stopped in reverse: listeners first (they may write), then the sweeper, the relay last.
      workers: [relay, sweeper, ...listeners, limitsMonitor],
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      close: async () => {
        await closeEventBus(eventBus);
        await conn.close();
        cache.destroy();
      },
    });
    return { running, bus, conn, redis, models, reads, lock, relay, sweeper, posts, engagement };
  } catch (err) {
    if (bus) await closeEventBus(bus).catch(() => undefined);
    redis?.destroy();
    await conn.close().catch(() => undefined);
    throw err;
  }
}
