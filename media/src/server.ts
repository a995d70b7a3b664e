/**
 * Starts the media service as the configuration says (common's bootService does the rest): the
 * API (routes, the usage listeners, the outbox relay), the worker (processing jobs, the sweeper,
 * the outbox relay) or both in one process. index.ts, the tests and the one-machine launcher all
 * start it through here.
 */
import {
  bootService,
  Events,
  mongoStore,
  MongoOutboxRelay,
  Publisher,
  type BackgroundWorker,
  type EventDefinition,
  type Listener,
  type Logger,
  type StoreSpec,
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

export type StartedMediaService = Awaited<ReturnType<typeof startMediaService>>;

/** The blob store as a store of the service: /readyz checks it, shutdown closes it. */
function blobStore(open: () => BlobStorage & { close?: () => void }): StoreSpec<BlobStorage & { close?: () => void }> {
  return {
    check: 'storage',
    open: async () => open(),
    ping: async (storage) => void (await storage.stat('readiness-probe')),
    close: (storage) => storage.close?.(),
  };
}

export async function startMediaService(config: Config, options: StartOptions = {}) {
  return bootService({
    service: 'media',
    instance: `media-${config.MEDIA_ROLE}`,
    config,
    log: options.log,
    stores: {
      storage: blobStore(() => options.storage ?? createStorage(config)),
      conn: mongoStore({ url: config.MONGO_URL }),
    },
    async build({ conn, storage, bus, log, http, relayOptions }) {
      const [store, usage, rateLimits] = await Promise.all([MediaStore.open(conn), UsageStore.open(conn), MongoRateLimitStore.open(conn)]);
      if (runsApi(config)) await removeStaleUploads(config.MEDIA_TMP_DIR, 3600_000);

      const relay = new MongoOutboxRelay([store.collection], bus, relayOptions);
      const notifyRelay = (mediaId: string) => relay.notify(mediaId);
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

      const listeners: Array<Listener<EventDefinition>> = [];
      const workers: BackgroundWorker[] = [];
      if (runsApi(config)) listeners.push(...usageListeners(bus, new MediaUsage(store, usage)));
      let sweeper: UnattachedMediaSweeper | undefined;
      if (runsWorker(config)) {
        sweeper = new UnattachedMediaSweeper(
          { media, store, usage, log },
          { ttlMs: config.MEDIA_UNATTACHED_TTL_HOURS * 3600_000, intervalMs: config.MEDIA_SWEEP_INTERVAL_MS },
        );
        workers.push(sweeper);
        listeners.push(
          new ProcessMediaListener(bus, processor, {
            concurrency: config.MEDIA_WORKER_CONCURRENCY,
            ackWaitMs: config.MEDIA_JOB_ACK_WAIT_MS,
          }),
        );
      }

      const app = buildApp({
        ...http,
        media: runsApi(config) ? media : undefined,
        rateLimits,
        tmpDir: config.MEDIA_TMP_DIR,
      });
      return {
        app,
        relay,
        workers,
        listeners,
        handles: { config, store, usage, rateLimits, media, processor, relay, sweeper },
      };
    },
  });
}
