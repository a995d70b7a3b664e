/**
 * Keyset positions: a page ends at the position (sort key) of its last item, and the next page
 * asks for everything strictly after it in the sort order. New items sort before any cursor, so
 * pages neither skip nor repeat while they arrive.
 */
import { cursorId, cursorTime } from '@lumina/common';
import type { FilterQuery } from 'mongoose';
import { z } from 'zod';

/** (createdAt desc, id desc): the home timeline's order. */
export const timePosition = z.object({ t: cursorTime, id: cursorId });
export type TimePosition = z.infer<typeof timePosition>;

/** (score desc, id desc): explore's order. */
export const scorePosition = z.object({ h: z.number().finite(), id: cursorId });
export type ScorePosition = z.infer<typeof scorePosition>;

/** Documents strictly after `position` in (field desc, idField desc) order. */
export function after<T>(field: string, idField: string, value: unknown, id: string): FilterQuery<T> {
  // The range on `field` alone lets an index bound the scan; the $or settles ties.
  return { [field]: { $lte: value }, $or: [{ [field]: { $lt: value } }, { [idField]: { $lt: id } }] } as FilterQuery<T>;
}

export function afterTime<T>(position: TimePosition | undefined, field: string, idField: string): FilterQuery<T> {
  return position ? after<T>(field, idField, new Date(position.t), position.id) : {};
}

/** Sorts (createdAt desc, post id desc), the home timeline's order, for merging entries read from several lists. */
export function compareEntryDesc(a: { createdAt: number; postId: string }, b: { createdAt: number; postId: string }): number {
  return b.createdAt - a.createdAt || (a.postId < b.postId ? 1 : a.postId > b.postId ? -1 : 0);
}

/** Sorts by landing sequence, oldest first (the stream's order). */
export function compareSeqAsc(a: { seq: string }, b: { seq: string }): number {
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}
