/**
 * One processing job: decode the original, render and store the variants, and move the media to
 * `ready` (or `failed`) with its event in the same write. Safe to run twice: a job for a media
 * that is no longer processing does nothing, and the variants' keys and bytes are the same on
 * every run, so a job redone after a worker died overwrites nothing of value.
 */
import { buffer } from 'node:stream/consumers';
import { Events, outboxEvent, type Logger } from '@lumina/common';
import { ImageDecodeError, renderImage, VARIANT_NAMES } from './images/image-processor';
import { publicVariants } from './media';
import { blobKeys, BlobNotFoundError, type BlobStorage } from './storage';
import type { MediaStore, StoredVariants } from './store/media-store';

export type ProcessOutcome = 'ready' | 'failed' | 'skipped';

/** Test seams around the final write, where a worker dying matters most. */
export interface ProcessingHooks {
  beforeCommit?: (mediaId: string) => Promise<void>;
  afterCommit?: (mediaId: string) => Promise<void>;
}

export interface MediaProcessorDeps {
  store: MediaStore;
  storage: BlobStorage;
  maxPixels: number;
  notifyRelay: () => void;
  log: Logger;
  hooks?: ProcessingHooks;
}

export class MediaProcessor {
  constructor(private readonly deps: MediaProcessorDeps) {}

  async process(mediaId: string): Promise<ProcessOutcome> {
    const { store, storage, log, hooks } = this.deps;
    const media = await store.findById(mediaId);
    if (!media || media.status !== 'processing') return 'skipped';

    let rendered;
    try {
      const original = await buffer(await storage.get(media.originalKey));
      rendered = await renderImage(original, this.deps.maxPixels);
    } catch (err) {
      // Anything else (the store unreachable…) is worth a retry; these never get better.
      if (!(err instanceof ImageDecodeError) && !(err instanceof BlobNotFoundError)) throw err;
      const reason = (
        err instanceof BlobNotFoundError ? 'The original file is missing' : `The image could not be decoded: ${err.message}`
      ).slice(0, 500);
      await hooks?.beforeCommit?.(mediaId);
      const event = outboxEvent(Events.mediaFailed, { id: media._id, ownerId: media.ownerId, reason, version: media.version + 1 });
      const failed = await store.markFailed(media._id, media.version, reason, event);
      if (failed) this.deps.notifyRelay();
      await hooks?.afterCommit?.(mediaId);
      log.info({ mediaId, reason }, 'media failed');
      return failed ? 'failed' : 'skipped';
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
    const event = outboxEvent(Events.mediaReady, {
      id: media._id,
      ownerId: media.ownerId,
      width: fields.width,
      height: fields.height,
      blurhash: fields.blurhash,
      variants: publicVariants(media._id, variants),
      version: media.version + 1,
    });
    const ready = await store.markReady(media._id, media.version, fields, event);
    if (!ready) {
      // Someone else moved it on. If it was deleted meanwhile, what we just stored is garbage.
      const now = await store.findById(media._id);
      if (!now || now.status === 'deleted') await Promise.all(VARIANT_NAMES.map((v) => storage.delete(blobKeys.variant(media._id, v))));
      return 'skipped';
    }
    this.deps.notifyRelay();
    await hooks?.afterCommit?.(mediaId);
    log.info({ mediaId }, 'media ready');
    return 'ready';
  }
}
