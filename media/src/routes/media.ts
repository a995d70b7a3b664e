/** `/api/v1/media`: a handler parses, authorises, calls the media service and answers. */
import { pipeline } from 'node:stream/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import {
  BadRequestError,
  enforceRateLimit,
  NotAuthorizedError,
  NotFoundError,
  requireAuth,
  signedInUser,
  type RateLimitRule,
  type RateLimitStore,
} from '@lumina/common';
import { IDEMPOTENCY_KEY_PATTERN } from '@lumina/contract';
import { closeAfterAnswer, receiveUpload } from '../intake';
import { renderMedia, type MediaService } from '../media';
import { MEDIA_ID_PATTERN } from '../store/media-store';

export interface MediaRouterDeps {
  media: MediaService;
  rateLimits: RateLimitStore;
  tmpDir: string;
}

/** A published variant never changes: its bytes are fixed, and a new image is a new media. */
export const VARIANT_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/**
 * An unpublished variant is its owner's alone, and a 404 may turn into the image once a post
 * shows it: neither may be kept by a shared cache (nor by the browser, for a shared computer).
 */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

function mediaIdOf(req: Request): string {
  const id = req.params.id;
  // Ids are opaque to clients; one that cannot be ours names nothing.
  if (typeof id !== 'string' || !MEDIA_ID_PATTERN.test(id)) throw new NotFoundError('Media not found');
  return id;
}

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new BadRequestError('Idempotency-Key is 1–128 of A-Z a-z 0-9 . _ : -', 'Idempotency-Key');
  return key;
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored, `*` matches anything. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** An upload refused before its body was read must not be read afterwards either. */
function requireAuthBeforeUpload(req: Request, res: Response, next: NextFunction): void {
  if (!req.currentUser) {
    closeAfterAnswer(req, res);
    next(new NotAuthorizedError());
    return;
  }
  next();
}

export function mediaRouter({ media, rateLimits, tmpDir }: MediaRouterDeps): Router {
  const router = Router();
  const uploadsPerUser: RateLimitRule = {
    name: 'media-uploads',
    windowMs: 60_000,
    max: media.limits.uploadsPerMinute,
    key: (req) => req.currentUser?.id,
  };

  router.get('/limits', (_req, res) => {
    res.json(media.describeLimits());
  });

  router.post('/', requireAuthBeforeUpload, async (req, res) => {
    const user = signedInUser(req);
    let uploadKey: string | undefined;
    try {
      uploadKey = idempotencyKeyOf(req);
      const earlier = uploadKey ? await media.answerForUploadKey(user.id, uploadKey) : null;
      if (earlier) {
        closeAfterAnswer(req, res);
        res.status(earlier.status).json({ media: renderMedia(earlier.media) });
        return;
      }
      // A retried request (above) costs nothing and is not counted; every other one is, and it
      // waits while too many of this user's images are still processing.
      await enforceRateLimit(rateLimits, uploadsPerUser, req);
      await media.ensureProcessingRoom(user.id);
    } catch (err) {
      closeAfterAnswer(req, res);
      throw err;
    }

    let upload;
    try {
      upload = await receiveUpload(req, { maxBytes: media.limits.maxBytes, maxAltLength: media.limits.maxAltLength, tmpDir });
    } catch (err) {
      closeAfterAnswer(req, res);
      throw err;
    }
    let outcome;
    try {
      outcome = await media.acceptUpload(user.id, upload, uploadKey);
    } finally {
      await upload.discard();
    }
    res.status(outcome.status).json({ media: renderMedia(outcome.media) });
  });

  router.get('/:id', async (req, res) => {
    // Its status changes, and who may see it too.
    res.set('Cache-Control', PRIVATE_CACHE_CONTROL);
    const found = await media.getVisible(mediaIdOf(req), req.currentUser?.id);
    res.json({ media: renderMedia(found) });
  });

  router.get('/:id/:variant', async (req, res) => {
    // Set first, so a 404 (not yet published, or not yet ready) is not cached either.
    res.set('Cache-Control', PRIVATE_CACHE_CONTROL);
    const variant = await media.openVariant(mediaIdOf(req), String(req.params.variant), req.currentUser?.id);
    res.set({
      ETag: variant.etag,
      'Cache-Control': variant.published ? VARIANT_CACHE_CONTROL : PRIVATE_CACHE_CONTROL,
      'Content-Type': 'image/webp',
      'X-Content-Type-Options': 'nosniff',
    });
    if (matchesIfNoneMatch(req.get('if-none-match'), variant.etag)) {
      res.status(304).end();
      return;
    }
    res.set('Content-Length', String(variant.size));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = await variant.open();
    await pipeline(body, res);
  });

  router.delete('/:id', requireAuth, async (req, res) => {
    await media.deleteByOwner(mediaIdOf(req), signedInUser(req).id);
    res.status(204).end();
  });

  return router;
}
