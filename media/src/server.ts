/**
 * Starts the media service as the configuration says: the API (routes, the usage listeners, the
 * outbox relay), the worker (processing jobs, the sweeper, the outbox relay) or both in one
 * process. index.ts, the tests and the one-machine launcher all start it through here.
 */
import type { Connection } from 'mongoose';
import {
  closeEventBus,
  busOptionsFrom,
  connectEventBus,
  connectMongo,
  createLogger,
  Events,
  MongoOutboxRelay,
  pingMongo,
  provisionStreams,
  streamSettingsFrom,
  streamsOf,
  Listener,
  StreamLimitsMonitor,
  type EventDefinition,
  publicKeysFrom,
  Publisher,
  startService,
  type BackgroundWorker,
  type EventBus,
  type Logger,
  type RunningService,
  pingNats,
} from '@lumina/common';
import { buildApp } from './app';
import { runsApi, runsWorker, type Config } from './config';
import { usageListeners } from './events';
import { ProcessMediaListener } from './events/process-media-listener';
import { removeStaleUploads } from './intake';
import { MAX_ALT_LENGTH, MediaService, type DeletionHooks } from './media';
import { MediaProcessor, type ProcessingHooks } from './processing';
import { createStorage, type BlobStorage } from './storage';
import { MediaStore } from './store/media-store';
import { MongoRateLimitStore } from './store/rate-limit-store';
import { UsageStore } from './store/usage-store';
import { UnattachedMediaSweeper } from './sweeper';
import { MediaUsage } from './usage';

export interface StartOptions {
  log?: Logger;
  /** Another store than the configuration names (tests). */
  storage?: BlobStorage;
  hooks?: ProcessingHooks & DeletionHooks;
  /** Shorter waits between processing tries (tests). */
  retryDelaysMs?: number[];
}

export interface StartedMediaService {
  running: RunningService;
  config: Config;
  conn: Connection;
  bus: EventBus;
  store: MediaStore;
  usage: UsageStore;
  rateLimits: MongoRateLimitStore;
  storage: BlobStorage;
  media: MediaService;
  processor: MediaProcessor;
  relay: MongoOutboxRelay;
  sweeper?: UnattachedMediaSweeper;
}

export async function startMediaService(config: Config, options: StartOptions = {}): Promise<StartedMediaService> {
  const log = options.log ?? createLogger('media', config.LOG_LEVEL);
  const publicKeys = publicKeysFrom(config);
  const storage = options.storage ?? createStorage(config);
  const conn = await connectMongo(config.MONGO_URL);
  let bus: EventBus | undefined;
  try {
    const [store, usage, rateLimits] = await Promise.all([MediaStore.open(conn), UsageStore.open(conn), MongoRateLimitStore.open(conn)]);
    if (runsApi(config)) await removeStaleUploads(config.MEDIA_TMP_DIR, 3600_000);
    bus = await connectEventBus(busOptionsFrom(config, `media-${config.MEDIA_ROLE}`, log));
    await provisionStreams(bus, streamsOf('media'), streamSettingsFrom(config, 'media'));

    const relay = new MongoOutboxRelay([store.collection], bus, { log });
    const notifyRelay = () => relay.notify();
    const media = new MediaService({
      store,
      usage,
      storage,
      limits: {
        maxBytes: config.MEDIA_MAX_BYTES,
        maxPixels: config.MEDIA_MAX_PIXELS,
        maxAltLength: MAX_ALT_LENGTH,
        uploadsPerMinute: config.MEDIA_UPLOADS_PER_MINUTE,
        maxProcessingPerOwner: config.MEDIA_MAX_PROCESSING_PER_USER,
      },
      jobs: new Publisher(bus, Events.mediaProcessRequested),
      notifyRelay,
      log,
      hooks: options.hooks,
    });
    const processor = new MediaProcessor({
      store,
      storage,
      maxPixels: config.MEDIA_MAX_PIXELS,
      notifyRelay,
      log,
      hooks: options.hooks,
      // Renewed every third of it, a dead worker's claim has run out by the time JetStream hands
      // its job's message (kept alive every half ack wait) to another worker.
      leaseMs: config.MEDIA_JOB_ACK_WAIT_MS / 2,
      retryDelaysMs: options.retryDelaysMs,
    });

    // Started in this order and stopped in reverse: the relay stops last, after every writer.
    const workers: BackgroundWorker[] = [relay];
    if (runsApi(config)) {
      const usageRules = new MediaUsage(store, usage);
      workers.push(...usageListeners(bus, usageRules));
    }
    let sweeper: UnattachedMediaSweeper | undefined;
    if (runsWorker(config)) {
      sweeper = new UnattachedMediaSweeper(
        { media, store, usage, log },
        { ttlMs: config.MEDIA_UNATTACHED_TTL_HOURS * 3600_000, intervalMs: config.MEDIA_SWEEP_INTERVAL_MS },
      );
      workers.push(
        new ProcessMediaListener(bus, processor, { concurrency: config.MEDIA_WORKER_CONCURRENCY, ackWaitMs: config.MEDIA_JOB_ACK_WAIT_MS }),
        sweeper,
      );
    }

    workers.push(
      new StreamLimitsMonitor(bus, {
        streams: streamsOf('media'),
        consumers: workers.filter((w): w is Listener<EventDefinition> => w instanceof Listener),
        log,
        intervalMs: config.STREAM_LIMITS_CHECK_INTERVAL_MS,
      }),
    );

    const connectedBus = bus;
    const app = buildApp({
      log,
      publicKeys,
      media: runsApi(config) ? media : undefined,
      rateLimits,
      tmpDir: config.MEDIA_TMP_DIR,
      cookieSecure: config.COOKIE_SECURE,
      trustProxyHops: config.TRUST_PROXY_HOPS,
      readiness: {
        mongodb: () => pingMongo(conn),
        nats: () => pingNats(connectedBus),
        storage: async () => void (await storage.stat('readiness-probe')),
      },
    });

    const running = await startService({
      name: `media (${config.MEDIA_ROLE})`,
      port: config.PORT,
      log,
      app,
      workers,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      close: async () => {
        await closeEventBus(connectedBus);
        await conn.close();
        (storage as { close?: () => void }).close?.();
      },
    });
    return { running, config, conn, bus, store, usage, rateLimits, storage, media, processor, relay, sweeper };
  } catch (err) {
    if (bus) await closeEventBus(bus);
    await conn.close().catch(() => undefined);
    throw err;
  }
}
