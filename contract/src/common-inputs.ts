/** Inputs shared by many routes: ids in paths, the page query. */
import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, ID_PATTERN, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE } from './limits';

/** An id from a path or a body: a string of our id shape, never an object. */
export const idSchema = z.string({ error: 'must be an id string' }).regex(ID_PATTERN, 'must be an id');

/** `?cursor=…&limit=…` (common's readPageRequest reads it, decoding the cursor by the list's own schema). */
export const PageQuery = z.object({
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().meta({ description: 'The `nextCursor` of the page before' }),
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .optional()
    .meta({ description: `Items per page: 1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` }),
});

export const noNul = (value: string) => !value.includes('\u0000');
