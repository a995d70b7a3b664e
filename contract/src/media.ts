/** media, `/api/v1/media`: uploads and their image variants. */
import { z } from 'zod';
import { ALT_TEXT_MAX, IDEMPOTENCY_KEY_PATTERN } from './limits';
import { defineRoutes, json, noContent, type ServiceContract } from './route';
import { servicePrefix } from './version';
import { Media, MediaLimits } from './shapes';

/** Media ids that cannot be ours name nothing: 404, not 400. */
export const MediaParams = z.object({ id: z.string() });
export const VariantParams = z.object({ id: z.string(), variant: z.enum(['thumb', 'feed']) });

export const UploadFields = z.object({
  file: z.string().meta({ format: 'binary', description: 'JPEG, PNG, WebP, AVIF or GIF (first frame), told by its bytes' }),
  alt: z.string().max(ALT_TEXT_MAX).optional(),
});
export const UploadHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .optional()
    .meta({ description: 'A retried upload with the same key answers what the first one got, and is not counted' }),
});

const mediaAnswer = z.strictObject({ media: Media });

/** Every path of this table is under it: `/api/v1/media`. */
export const MEDIA_PREFIX = servicePrefix('media');

export const mediaRoutes = defineRoutes({
  limits: {
    method: 'get',
    path: `${MEDIA_PREFIX}/limits`,
    summary: 'What an upload may be',
    responses: { 200: json('The limits', MediaLimits) },
  },
  upload: {
    method: 'post',
    path: MEDIA_PREFIX,
    summary: 'Upload an image',
    description: 'Processed in the background: poll GET /api/v1/media/{id} until `status` is ready. Limited per user.',
    auth: 'required',
    request: { multipart: UploadFields, headers: UploadHeaders },
    responses: {
      202: json('Accepted, processing', mediaAnswer),
      200: json('The same bytes (or Idempotency-Key) again: the existing media', mediaAnswer),
    },
    errors: [400, 401, 413, 415, 422, 429],
  },
  getMedia: {
    method: 'get',
    path: `${MEDIA_PREFIX}/:id`,
    summary: 'One media',
    description: 'Media that no post uses is its owner’s alone (404 to anyone else).',
    auth: 'optional',
    request: { params: MediaParams },
    responses: { 200: json('The media', mediaAnswer) },
    errors: [404],
  },
  variant: {
    method: 'get',
    path: `${MEDIA_PREFIX}/:id/:variant`,
    summary: 'The image bytes of a variant (WebP)',
    description: 'Strong ETag; cached forever once a post uses it; 404 until ready.',
    auth: 'optional',
    request: { params: VariantParams },
    responses: {
      200: { description: 'The image', contentType: 'image/webp' },
      304: noContent('Not modified (If-None-Match)'),
    },
    errors: [404],
  },
  deleteMedia: {
    method: 'delete',
    path: `${MEDIA_PREFIX}/:id`,
    summary: 'Delete an upload no post uses (owner only)',
    auth: 'required',
    request: { params: MediaParams },
    responses: { 204: noContent('Deleted') },
    errors: [401, 404, 409],
  },
});

export const mediaContract: ServiceContract = {
  service: 'media',
  title: 'Lumina media',
  description: 'Uploads, image variants and blobs.',
  prefix: MEDIA_PREFIX,
  routes: mediaRoutes,
};
