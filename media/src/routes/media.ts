/** `/api/media`: a handler parses, authorises, calls the media service and answers. */
import { pipeline } from 'node:stream/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { BadRequestError, NotAuthorizedError, NotFoundError, requireAuth, signedInUser } from '@lumina/common';
import { closeAfterAnswer, receiveUpload } from '../intake';
import { toMediaView, type MediaService } from '../media';

export interface MediaRouterDeps {
  media: MediaService;
  tmpDir: string;
}

const MEDIA_ID = /^[a-f0-9]{24}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;
export const VARIANT_CACHE_CONTROL = 'public, max-age=31536000, immutable';

function mediaIdOf(req: Request): string {
  const id = req.params.id;
  // Ids are opaque to clients; one that cannot be ours names nothing.
  if (typeof id !== 'string' || !MEDIA_ID.test(id)) throw new NotFoundError('Media not found');
  return id;
}

function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw new BadRequestError('Idempotency-Key is 1–128 of A-Z a-z 0-9 . _ : -', 'Idempotency-Key');
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

export function mediaRouter({ media, tmpDir }: MediaRouterDeps): Router {
  const router = Router();

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
        res.status(earlier.status).json({ media: toMediaView(earlier.media) });
        return;
      }
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
    res.status(outcome.status).json({ media: toMediaView(outcome.media) });
  });

  router.get('/:id', async (req, res) => {
    const found = await media.getVisible(mediaIdOf(req), req.currentUser?.id);
    res.json({ media: toMediaView(found) });
  });

  router.get('/:id/:variant', async (req, res) => {
    const variant = await media.openVariant(mediaIdOf(req), String(req.params.variant));
    res.set({
      ETag: variant.etag,
      'Cache-Control': VARIANT_CACHE_CONTROL,
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
