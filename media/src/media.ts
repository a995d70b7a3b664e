/**
 * The rules of media: taking an upload (de-duplicated by content and by Idempotency-Key),
 * who sees what, serving variants, and deletion. Image work is in processing.ts; which posts
 * and avatars use a media is in usage.ts.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnprocessableEntityError,
  type Events,
  type Logger,
  type Publisher,
  type Variants,
} from '@lumina/common';
import { ALT_TEXT_MAX, mediaRoutes, pathFor, type Media, type MediaLimits as PublicMediaLimits } from '@lumina/contract';
import * as publishing from './events/publishing';
import { ImageRejectedError, readImageHeader, VARIANT_NAMES, type VariantName } from './images/image-processor';
import { IMAGE_TYPES } from './images/sniff';
import type { ReceivedUpload } from './intake';
import { blobKeys, BlobNotFoundError, type BlobStorage } from './storage';
import { newMediaId, type MediaRecord, type MediaStore, type StoredVariants } from './store/media-store';
import type { UsageStore } from './store/usage-store';

export interface MediaLimits {
  maxBytes: number;
  maxPixels: number;
  maxAltLength: number;
  /** Uploads one user may start in a minute (429 with Retry-After past it). */
  uploadsPerMinute: number;
  /** Media of one owner still processing at once (429 past it, until some are done). */
  maxProcessingPerOwner: number;
}

/** A guess at when one of the owner's images is done: a job takes a second or two. */
const PROCESSING_RETRY_AFTER_SECONDS = 5;

/** Alt text's limit is the contract's (ALT_TEXT_MAX). */
export const MAX_ALT_LENGTH = ALT_TEXT_MAX;

/** Reads and conditional writes a deletion tries before giving up: each loss means the media moved on. */
const DELETE_ATTEMPTS = 5;

/** A test seam: holds a deletion between its read and its conditional write. */
export interface DeletionHooks {
  beforeDeleteWrite?: (mediaId: string) => Promise<void>;
}

/** Where a variant's bytes are read: its v1 route's path (`/api/v1/media/:id/:variant`). */
export function variantUrl(mediaId: string, variant: VariantName): string {
  return pathFor(mediaRoutes.variant, { params: { id: mediaId, variant } });
}

export function publicVariants(mediaId: string, variants: StoredVariants): Variants {
  return {
    thumb: { url: variantUrl(mediaId, 'thumb'), width: variants.thumb.width, height: variants.thumb.height },
    feed: { url: variantUrl(mediaId, 'feed'), width: variants.feed.width, height: variants.feed.height },
  };
}

/**
 * Renders what a client sees of a media (the contract's Media): an allow-list, never the stored
 * document. For a live media: deleted ones are answered 404 before anything is rendered.
 */
export function renderMedia(media: MediaRecord): Media {
  if (media.status === 'deleted') throw new NotFoundError('Media not found');
  const view: Media = {
    id: media._id,
    ownerId: media.ownerId,
    status: media.status,
    width: media.width,
    height: media.height,
    blurhash: media.status === 'ready' ? media.blurhash : null,
    alt: media.alt,
    variants: media.status === 'ready' && media.variants ? publicVariants(media._id, media.variants) : null,
    createdAt: new Date(media.createdAt).toISOString(),
  };
  if (media.status === 'failed' && media.error) view.error = media.error;
  return view;
}

export interface UploadOutcome {
  /** 202 for a new media, 200 for one this owner already had. */
  status: 200 | 202;
  media: MediaRecord;
}

export interface OpenedVariant {
  etag: string;
  size: number;
  /** Public (a post or an avatar shows it) or still its owner's alone. */
  published: boolean;
  open: () => Promise<Readable>;
}

export interface MediaServiceDeps {
  store: MediaStore;
  usage: UsageStore;
  storage: BlobStorage;
  limits: MediaLimits;
  /** Publishes processing jobs right away; the outbox relay is the guarantee, this is the fast path. */
  jobs: Publisher<typeof Events.mediaProcessRequested>;
  /** Wakes the outbox relay after a write, naming the media written (it looks that one up by _id). */
  notifyRelay: (mediaId: string) => void;
  log: Logger;
  hooks?: DeletionHooks;
}

export class MediaService {
  constructor(private readonly deps: MediaServiceDeps) {}

  get limits(): MediaLimits {
    return this.deps.limits;
  }

  describeLimits(): PublicMediaLimits {
    return { maxBytes: this.limits.maxBytes, maxPixels: this.limits.maxPixels, types: Object.values(IMAGE_TYPES) };
  }

  /** The answer an earlier request with this Idempotency-Key got, if there was one. */
  async answerForUploadKey(ownerId: string, key: string): Promise<UploadOutcome | null> {
    const media = await this.deps.store.findByUploadKey(ownerId, key);
    if (!media) return null;
    const first = media.uploadKeys.find((k) => k.key === key);
    return { status: first?.status ?? 200, media };
  }

  /**
   * Refuses another upload while this owner has `maxProcessingPerOwner` media still processing:
   * each costs a decode, and one owner must not fill the workers. Checked before the body is
   * read, and again after the insert (concurrent uploads could all pass the first check).
   */
  async ensureProcessingRoom(ownerId: string, alreadyCounted = 0): Promise<void> {
    const processing = await this.deps.store.countProcessing(ownerId);
    if (processing - alreadyCounted >= this.limits.maxProcessingPerOwner) {
      throw new TooManyRequestsError(
        PROCESSING_RETRY_AFTER_SECONDS,
        `You have ${this.limits.maxProcessingPerOwner} images still processing; try again once some are ready`,
      );
    }
  }

  /**
   * Takes a received upload: checks its header (no pixels decoded), de-duplicates by content,
   * stores the original and records the media with its processing job in one write.
   */
  async acceptUpload(ownerId: string, upload: ReceivedUpload, uploadKey?: string): Promise<UploadOutcome> {
    const { store, storage } = this.deps;
    let header;
    try {
      header = await readImageHeader(upload.path, upload.kind, this.limits.maxPixels);
    } catch (err) {
      if (err instanceof ImageRejectedError) throw new UnprocessableEntityError(err.message);
      throw err;
    }

    const existing = await store.findLiveByContent(ownerId, upload.sha256);
    if (existing) return this.answerExisting(existing, uploadKey);

    const id = newMediaId();
    const turn = await store.nextTurn(ownerId);
    const originalKey = blobKeys.original(id);
    await storage.put(originalKey, createReadStream(upload.path), { contentType: IMAGE_TYPES[upload.kind], contentLength: upload.bytes });
    const job = publishing.processingRequested(id);
    let inserted: boolean;
    try {
      inserted = await store.insertProcessing(
        {
          _id: id,
          ownerId,
          alt: upload.alt,
          type: IMAGE_TYPES[upload.kind],
          sha256: upload.sha256,
          contentKey: `${ownerId}:${upload.sha256}`,
          bytes: upload.bytes,
          originalKey,
          width: header.width,
          height: header.height,
          uploadKeys: uploadKey ? [{ key: uploadKey, status: 202 }] : [],
          turn,
        },
        job,
      );
    } catch (err) {
      await storage.delete(originalKey).catch(() => undefined);
      throw err;
    }
    if (!inserted) {
      // The same bytes from the same owner arrived at the same time; the other upload won.
      await storage.delete(originalKey).catch(() => undefined);
      const winner = await store.findLiveByContent(ownerId, upload.sha256);
      if (!winner) throw new ConflictError('The same file is being uploaded; try again');
      return this.answerExisting(winner, uploadKey);
    }
    try {
      await this.ensureProcessingRoom(ownerId, 1);
    } catch (err) {
      // Concurrent uploads all passed the first check: take this one back (its job, if the relay
      // published it meanwhile, finds nothing and does nothing).
      if (await store.discardUnstarted(id)) await storage.delete(originalKey).catch(() => undefined);
      throw err;
    }

    await this.deps.jobs.publish(job.data, { id: job.id }).catch((err: unknown) => {
      this.deps.log.warn({ err, mediaId: id }, 'could not publish the job now; the outbox relay will');
    });
    this.deps.notifyRelay(id);
    const media = await store.findById(id);
    if (!media) throw new Error(`media ${id} vanished after insert`);
    return { status: 202, media };
  }

  private async answerExisting(media: MediaRecord, uploadKey?: string): Promise<UploadOutcome> {
    if (uploadKey) await this.deps.store.rememberUploadKey(media._id, { key: uploadKey, status: 200 });
    return { status: 200, media };
  }

  /**
   * A media as a viewer may see it. It is its owner's alone until it is published (a post shows
   * it, or a user has it as avatar): anyone else gets 404, as for a media that does not exist.
   */
  async getVisible(id: string, viewerId: string | undefined): Promise<MediaRecord> {
    return (await this.findVisible(id, viewerId)).media;
  }

  /**
   * The bytes of a served variant, to its owner and, once published, to anyone; 404 until the
   * media is ready. `published` decides how the answer may be cached. Originals are never served.
   */
  async openVariant(id: string, variant: string, viewerId: string | undefined): Promise<OpenedVariant> {
    if (!(VARIANT_NAMES as string[]).includes(variant)) throw new NotFoundError('No such variant');
    const { media, published } = await this.findVisible(id, viewerId);
    const stored = media.status === 'ready' ? media.variants?.[variant as VariantName] : undefined;
    if (!stored) throw new NotFoundError('Media not found or not ready');
    return {
      etag: `"${stored.sha256}"`,
      size: stored.bytes,
      published,
      open: async () => {
        try {
          return await this.deps.storage.get(stored.key);
        } catch (err) {
          if (err instanceof BlobNotFoundError) throw new NotFoundError('Media not found');
          throw err;
        }
      },
    };
  }

  /** The one access check every read goes through. */
  private async findVisible(id: string, viewerId: string | undefined): Promise<{ media: MediaRecord; published: boolean }> {
    const media = await this.deps.store.findById(id);
    if (!media || media.status === 'deleted') throw new NotFoundError('Media not found');
    const published = media.status === 'ready' && (await this.isPublished(media));
    if (!published && media.ownerId !== viewerId) throw new NotFoundError('Media not found');
    return { media, published };
  }

  /** Shown by a post, or someone's avatar (profiles show it to everyone). */
  private async isPublished(media: MediaRecord): Promise<boolean> {
    if (media.usedByPosts.length > 0) return true;
    return (await this.deps.usage.avatarsAmong([media._id])).size > 0;
  }

  /**
   * DELETE by the owner: refused while a post shows the media or a user has it as avatar. The
   * write is conditional on the version read, and the worker may move the media on (processing →
   * ready) in between: that race is ours to settle, so read again and retry instead of a 409.
   */
  async deleteByOwner(id: string, userId: string): Promise<void> {
    for (let attempt = 1; attempt <= DELETE_ATTEMPTS; attempt += 1) {
      const media = await this.deps.store.findById(id);
      if (!media || media.status === 'deleted') throw new NotFoundError('Media not found');
      if (media.ownerId !== userId) throw new ForbiddenError('Only the owner may delete this media');
      if (media.usedByPosts.length > 0) throw new ConflictError('A post uses this media; delete the post first');
      if ((await this.deps.usage.avatarsAmong([id])).size > 0)
        throw new ConflictError('This media is an avatar; choose another avatar first');
      if (await this.remove(media)) return;
    }
    throw new ConflictError('The media kept changing while it was being deleted; try again');
  }

  /**
   * Marks the media deleted (with media.deleted in the same write), then removes its blobs.
   * Answers false when it changed meanwhile or a post started using it.
   */
  async remove(media: MediaRecord): Promise<boolean> {
    const event = publishing.mediaDeleted(media);
    await this.deps.hooks?.beforeDeleteWrite?.(media._id);
    if (!(await this.deps.store.markDeleted(media._id, media.version, event))) return false;
    this.deps.notifyRelay(media._id);
    await this.removeBlobs(media);
    return true;
  }

  /** Removes every blob of a deleted media, then clears its flag; safe to repeat. */
  async removeBlobs(media: Pick<MediaRecord, '_id' | 'originalKey'>): Promise<void> {
    const keys = [media.originalKey, ...VARIANT_NAMES.map((v) => blobKeys.variant(media._id, v))];
    await Promise.all(keys.map((key) => this.deps.storage.delete(key)));
    await this.deps.store.clearBlobsPending(media._id);
  }
}
