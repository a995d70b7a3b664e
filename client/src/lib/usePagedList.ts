/**
 * A cursor-paginated list (`{items, nextCursor}` pages) that grows one page at a time: the
 * first page loads when `key` changes, `loadMore` fetches the page after the last cursor.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../api/types';

export type PageLoader<T> = (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>;

export interface PagedList<T> {
  items: T[];
  /** true once a page answered nextCursor: null. */
  done: boolean;
  loading: boolean;
  error: string | null;
  loadMore: () => void;
  reload: () => void;
  /** For optimistic edits, prepending live items and removing deleted ones. */
  setItems: (update: (items: T[]) => T[]) => void;
}

interface State<T> {
  items: T[];
  cursor: string | null;
  done: boolean;
  loading: boolean;
  error: string | null;
}

/** Appends a page, dropping items already shown (a live item may also arrive on a later page). */
export function appendUnique<T extends { id: string }>(items: T[], more: T[]): T[] {
  const seen = new Set(items.map((i) => i.id));
  return items.concat(more.filter((i) => !seen.has(i.id)));
}

export function usePagedList<T extends { id: string }>(load: PageLoader<T>, key: string): PagedList<T> {
  const [state, setState] = useState<State<T>>({ items: [], cursor: null, done: false, loading: true, error: null });
  const loadRef = useRef(load);
  const stateRef = useRef(state);
  const inFlight = useRef<AbortController | null>(null);

  useEffect(() => {
    loadRef.current = load;
  });
  useEffect(() => {
    stateRef.current = state;
  });

  const fetchPage = useCallback((cursor: string | null, replace: boolean) => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setState((s) => ({ ...s, loading: true, error: null }));
    loadRef.current(cursor, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        inFlight.current = null;
        setState((s) => ({
          items: replace ? page.items : appendUnique(s.items, page.items),
          cursor: page.nextCursor,
          done: page.nextCursor === null || page.nextCursor === undefined,
          loading: false,
          error: null,
        }));
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        inFlight.current = null;
        setState((s) => ({ ...s, loading: false, error: err instanceof Error ? err.message : String(err) }));
      },
    );
  }, []);

  useEffect(() => {
    setState({ items: [], cursor: null, done: false, loading: true, error: null });
    fetchPage(null, true);
    return () => inFlight.current?.abort();
  }, [key, fetchPage]);

  const loadMore = useCallback(() => {
    const s = stateRef.current;
    if (inFlight.current || s.done) return;
    // No cursor yet: only a failed first page is fetched again (a retry).
    if (s.cursor === null) {
      if (s.error) fetchPage(null, true);
      return;
    }
    fetchPage(s.cursor, false);
  }, [fetchPage]);

  const reload = useCallback(() => fetchPage(null, true), [fetchPage]);

  const setItems = useCallback((update: (items: T[]) => T[]) => {
    setState((s) => ({ ...s, items: update(s.items) }));
  }, []);

  return { items: state.items, done: state.done, loading: state.loading, error: state.error, loadMore, reload, setItems };
}
