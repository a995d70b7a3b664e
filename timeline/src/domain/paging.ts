/** Filling a keyset page from candidates, some of which may turn out not to be showable. */
import { encodeCursor, type Page, type PageRequest } from '@lumina/common';

/** How many rounds a page read may take to fill up past items it cannot show. */
const MAX_READ_ROUNDS = 5;

export interface Scanned<P, T> {
  position: P;
  /** Absent for a candidate that cannot be shown (deleted meanwhile): skipped, but passed. */
  item?: T;
}

/**
 * Fills a page from a source of candidates in order, skipping those that cannot be shown, in a
 * few rounds at most. The next cursor is the position of the last candidate passed, so nothing is
 * skipped or repeated whatever was left out.
 */
export async function readRounds<P, T>(
  request: PageRequest<P>,
  fetch: (position: P | undefined, want: number) => Promise<Array<Scanned<P, T>>>,
): Promise<Page<T>> {
  const items: T[] = [];
  let position = request.after;
  for (let round = 0; round < MAX_READ_ROUNDS; round += 1) {
    // One more than needed tells whether anything follows the page.
    const want = request.limit - items.length + 1;
    const candidates = await fetch(position, want);
    for (const candidate of candidates) {
      if (items.length === request.limit) return { items, nextCursor: encodeCursor(position) };
      position = candidate.position;
      if (candidate.item !== undefined) items.push(candidate.item);
    }
    if (candidates.length < want) return { items, nextCursor: null };
  }
  // Many candidates in a row could not be shown: hand back a cursor past them.
  return { items, nextCursor: position === undefined ? null : encodeCursor(position) };
}
