/**
 * Cursor pagination shared by every list: `?cursor=…&limit=…` → `{items, nextCursor}`.
 * A cursor is the sort key of the last item returned, so it stays correct while new items
 * arrive (they sort before it and never shift a later page).
 */
import { DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE, type Page } from '@lumina/contract';
import { z } from 'zod';
import { BadRequestError } from './http/errors';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page };

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor; anything else is a 400, never a crash. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> {
  if (cursor.length > MAX_CURSOR_LENGTH) throw new BadRequestError('Invalid cursor', 'cursor');
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the one error below
  }
  throw new BadRequestError('Invalid cursor', 'cursor');
}

export interface PageRequest<P> {
  limit: number;
  after: P | undefined;
}

/** Reads `limit` and `cursor` from a query string. */
export function readPageRequest<S extends z.ZodType>(query: Record<string, unknown>, cursorSchema: S): PageRequest<z.infer<S>> {
  let limit = DEFAULT_PAGE_SIZE;
  if (query.limit !== undefined) {
    const raw = query.limit;
    if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE_SIZE) {
      throw new BadRequestError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, 'limit');
    }
    limit = Number(raw);
  }
  let after: z.infer<S> | undefined;
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new BadRequestError('Invalid cursor', 'cursor');
    after = decodeCursor(query.cursor, cursorSchema);
  }
  return { limit, after };
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only tells that a next page exists.
 */
export function toPage<Row, Item>(rows: Row[], limit: number, position: (row: Row) => unknown, render: (row: Row) => Item): Page<Item> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(render),
    nextCursor: hasMore && last !== undefined ? encodeCursor(position(last)) : null,
  };
}

/**
 * A time inside a cursor, in epoch milliseconds: from 1970 to the end of year 9999 (the range both
 * a JavaScript Date and MySQL's DATETIME hold). Anything else, however well-formed as a number,
 * would become an Invalid Date or an out-of-range value in a query: a 400 here, never a 500 there.
 */
export const MAX_CURSOR_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const cursorTime = z.number().int().min(0).max(MAX_CURSOR_TIME);

/** The id that breaks ties in a cursor: what our ids look like, and nothing a query could misread. */
export const cursorId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

/** The common cursor: a time and an id to break ties. */
export const timeIdCursor = z.object({ t: cursorTime, id: cursorId });
export type TimeIdCursor = z.infer<typeof timeIdCursor>;
