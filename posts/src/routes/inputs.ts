/** Input shapes shared by the routes: ids and the text fields of posts and comments. */
import { z } from 'zod';
import { parseWith } from '@lumina/common';

/** Ids are opaque to clients, but always this shape: never an object (no `{"$gt": ""}`). */
export const idSchema = z.string({ error: 'must be an id string' }).regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id');

const noNul = (value: string) => !value.includes('\u0000');

/** Lengths count UTF-16 code units, as the event schemas do. */
export const captionSchema = z
  .string({ error: 'must be a string' })
  .max(2200, 'at most 2,200 characters')
  .refine(noNul, 'must not contain NUL characters');

export const altSchema = z
  .string({ error: 'must be a string' })
  .max(1000, 'at most 1,000 characters')
  .refine(noNul, 'must not contain NUL characters');

export const commentBodySchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(1000, 'at most 1,000 characters')
  .refine(noNul, 'must not contain NUL characters');

/** A path parameter that must be an id; anything else is a 400 naming the parameter. */
export function idParam(params: Record<string, unknown>, name: string): string {
  return parseWith(z.object({ [name]: idSchema }), params)[name] as string;
}
