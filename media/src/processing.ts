/**
 * The worker's jobs. A job names one media, but a worker takes the waiting media whose turn is
 * lowest (start-time fair queuing, see MediaStore.nextTurn), so one owner's 300 queued jobs do not
 * keep another owner's upload behind them; the job's message is acknowledged only once its own
 * media is done, so a worker that dies loses nothing. Processing one media: decode the original,
 * render and store the variants, and move the media to `ready` (or `failed`) with its event in the
 * same write. Safe to run twice: a media no longer processing is left alone, and the variants'
 * keys and bytes are the same on every run, so work redone after a worker died overwrites nothing
 * of value.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { buffer } from 'node:stream/consumers';
import type { Logger } from '@lumina/common';
import * as publishing from './events/publishing';
import { ImageDecodeError, renderImage, VARIANT_NAMES } from './images/image-processor';
import { publicVariants } from './media';
import { blobKeys, BlobNotFoundError, type BlobStorage } from './storage';
import type { MediaRecord, MediaStore, StoredVariants } from './store/media-store';

export type ProcessOutcome = 'ready' | 'failed' | 'skipped';
/** `interrupted`: the worker is stopping before the job's own media was done; the job comes back. */
export type JobOutcome = 'done' | 'interrupted';

/** Waits before another try after a failure that was not the image's (the last one repeats). */
const RETRY_DELAYS_MS = [1_000, 5_000, 15_000, 30_000, 60_000];
/** Tries before such a media is given up as failed, rather than waiting forever. */
const MAX_ATTEMPTS = 6;

/** Test seams around the final write, where a worker dying matters most. */
export interface ProcessingHooks {
  beforeCommit?: (mediaId: string) => Promise<void>;
  afterCommit?: (mediaId: string) => Promise<void>;
}

export interface MediaProcessorDeps {
  store: MediaStore;
  storage: BlobStorage;
  maxPixels: number;
  /** Wakes the outbox relay after a write, naming the media written. */
  notifyRelay: (mediaId: string) => void;
  log: Logger;
  hooks?: ProcessingHooks;
  /** How long a claim on a media lasts unless renewed: a dead worker's media is free after it. */
  leaseMs: number;
  /** How often a job whose media another worker has looks again for work. */
  pollMs?: number;
  /** Waits between tries after a failure that was not the image's (tests shorten them). */
  retryDelaysMs?: number[];
}

export class MediaProcessor {
  private stopping = false;

  constructor(private readonly deps: MediaProcessorDeps) {}

  resume(): void {
    this.stopping = false;
  }

  /** Jobs in progress end after the media they are on. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * Works, lowest turn first, until the job's own media is no longer processing. Each round costs
   * reads by `_id` only (its own media, the candidate claimed): the fair order comes from the
   * store's in-memory queue, which the job's own media joins at once, so waiting handlers polling
   * do not each re-read the whole backlog (see store/waiting-queue.ts).
   */
  async handleJob(mediaId: string): Promise<JobOutcome> {
    const { store, leaseMs, pollMs = 500 } = this.deps;
    while (!this.stopping) {
      const own = await store.findById(mediaId);
      if (!own) return 'done';
      store.noteWaiting(own);
      if (own.status !== 'processing') return 'done';
      const next = await store.claimNext(leaseMs);
      // Nothing to claim: our media is another worker's now, or waits out a failed try.
      if (next) await this.processClaimed(next);
      else await sleep(pollMs);
    }
    return 'interrupted';
  }

  /** One claimed media, its claim renewed while the work goes on. */
  private async processClaimed(media: MediaRecord): Promise<ProcessOutcome> {
    const { store, leaseMs, log } = this.deps;
    const renew = setInterval(() => void store.renewClaim(media._id, leaseMs).catch(() => undefined), Math.max(250, leaseMs / 3));
    try {
      return await this.process(media);
    } catch (err) {
      // Not the image's fault (the blob store unreachable…): try again later, and in the end give up.
      const attempts = media.attempts + 1;
      log.warn({ err, mediaId: media._id, attempts }, 'processing failed; will retry');
      if (attempts >= MAX_ATTEMPTS) return this.fail(media, `The image could not be processed: ${(err as Error).message}`);
      const delays = this.deps.retryDelaysMs ?? RETRY_DELAYS_MS;
      const delay = delays[Math.min(attempts, delays.length) - 1]!;
      await store.deferAfterFailedTry(media._id, new Date(Date.now() + delay));
      return 'skipped';
    } finally {
      clearInterval(renew);
    }
  }

  private async fail(media: MediaRecord, why: string): Promise<ProcessOutcome> {
    const { store, log, hooks } = this.deps;
    const reason = why.slice(0, 500);
    await hooks?.beforeCommit?.(media._id);
    const event = publishing.mediaFailed(media, reason);
    const failed = await store.markFailed(media._id, media.version, reason, event);
    if (failed) this.deps.notifyRelay(media._id);
    await hooks?.afterCommit?.(media._id);
    log.info({ mediaId: media._id, reason }, 'media failed');
    return failed ? 'failed' : 'skipped';
  }

  private async process(media: MediaRecord): Promise<ProcessOutcome> {
    const { store, storage, log, hooks } = this.deps;
    const mediaId = media._id;

    let rendered;
    try {
      const original = await buffer(await storage.get(media.originalKey));
      rendered = await renderImage(original, this.deps.maxPixels);
    } catch (err) {
      // Anything else (the store unreachable…) is worth a retry; these never get better.
      if (!(err instanceof ImageDecodeError) && !(err instanceof BlobNotFoundError)) throw err;
      return this.fail(
        media,
        err instanceof BlobNotFoundError ? 'The original file is missing' : `The image could not be decoded: ${err.message}`,
      );
    }

    const variants = {} as StoredVariants;
    for (const name of VARIANT_NAMES) {
      const v = rendered.variants[name];
      const key = blobKeys.variant(media._id, name);
      await storage.put(key, v.data, { contentType: 'image/webp' });
      variants[name] = { key, width: v.width, height: v.height, sha256: v.sha256, bytes: v.data.length };
    }

    await hooks?.beforeCommit?.(mediaId);
    const fields = { width: rendered.width, height: rendered.height, blurhash: rendered.blurhash, variants };
    const event = publishing.mediaReady(media, { ...fields, variants: publicVariants(media._id, variants) });
    const ready = await store.markReady(media._id, media.version, fields, event);
    if (!ready) {
      // Someone else moved it on. If it was deleted meanwhile, what we just stored is garbage.
      const now = await store.findById(media._id);
      if (!now || now.status === 'deleted') await Promise.all(VARIANT_NAMES.map((v) => storage.delete(blobKeys.variant(media._id, v))));
      return 'skipped';
    }
    this.deps.notifyRelay(mediaId);
    await hooks?.afterCommit?.(mediaId);
    log.info({ mediaId }, 'media ready');
    return 'ready';
  }
}
