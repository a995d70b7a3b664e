/**
 * Starts the whole posts service in this process (common's bootService does the rest): MongoDB
 * (indexes synced), Redis (the read cache), the listeners that keep the copies, the outbox relay,
 * the pending-op sweeper and HTTP. index.ts calls it; so do tests and the one-machine launcher.
 */
import {
  bootService,
  documentLock,
  mongoStore,
  MongoOutboxRelay,
  RedisRateLimitStore,
  redisStore,
  type ListenerOptions,
  type Logger,
} from '@lumina/common';
import { buildApp } from './app';
import { writeLimitsFrom, type Config } from './config';
import { EngagementService, type EngagementHooks } from './engagement';
import { createListeners } from './events';
import { PendingSweeper } from './sweeper';
import { PostsService } from './posts';
import { ReadCache, type ReadCacheHooks } from './read-cache';
import { CopiesStore } from './store/copies-store';
import { EngagementStore } from './store/engagement-store';
import { openModels, type PostDoc } from './store/models';
import { PostCache } from './store/post-cache';
import { PostStore } from './store/post-store';
import { Renderer } from './render';

export interface StartOptions {
  log?: Logger;
  /** Overrides PORT; 0 picks a free port (tests). */
  port?: number;
  listenerOptions?: Partial<ListenerOptions>;
  hooks?: EngagementHooks;
  readHooks?: ReadCacheHooks;
}

export type PostsServiceHandle = Awaited<ReturnType<typeof startPostsService>>;

export async function startPostsService(config: Config, options: StartOptions = {}) {
  return bootService({
    service: 'posts',
    config,
    log: options.log,
    port: options.port,
    stores: {
      conn: mongoStore({ url: config.MONGO_URL }),
      redis: redisStore({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX }),
    },
    async build({ conn, redis, bus, log, http, relayOptions }) {
      const models = await openModels(conn);
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
        ...relayOptions,
        // A writer that died before refreshing Redis left its event here: refresh before clearing
        // it, from the post as the relay read it (apply-if-newer: an older read changes nothing).
        beforeClear: (_collection, doc) => reads.refreshPost(String(doc._id), doc as PostDoc),
      });
      const notify = (postId: string, written?: PostDoc) => relay.notify(postId, written);
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
      const sweeper = new PendingSweeper(engagement, {
        intervalMs: config.PENDING_SWEEP_INTERVAL_MS,
        graceMs: config.PENDING_GRACE_MS,
        log,
      });
      const app = buildApp({
        ...http,
        posts,
        engagement,
        // Shared by the replicas, one round trip a write (the MongoDB store's upsert costs more).
        rateLimits: new RedisRateLimitStore(redis),
        writeLimits: writeLimitsFrom(config),
      });
      return {
        app,
        relay,
        workers: [sweeper],
        listeners: createListeners(bus, copies, reads, posts, options.listenerOptions),
        handles: { models, reads, lock, relay, sweeper, posts, engagement },
      };
    },
  });
}
