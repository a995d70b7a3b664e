/** Loading, empty and error states, and the sentinel that grows an infinite list. */
import { useEffect, useRef, type ReactNode } from 'react';
import { buttonClass } from './forms';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <div role="status" className="flex items-center justify-center gap-2 py-6 text-sm text-stone-600">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-stone-300 border-t-violet-600" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-stone-300 px-6 py-10 text-center">
      <p className="font-semibold text-stone-800">{title}</p>
      {children && <div className="mt-2 text-sm text-stone-600">{children}</div>}
    </div>
  );
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div role="alert" className="flex flex-col items-center gap-3 rounded-xl bg-rose-50 px-6 py-6 text-center text-sm text-rose-800">
      <p>{message}</p>
      {onRetry && (
        <button type="button" className={buttonClass('secondary')} onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * Sits under a list: loads the next page when it scrolls within reach, and offers a button
 * for keyboards and for browsers without IntersectionObserver. The observer is renewed when
 * the list grows, so a page too short to fill the screen is followed by the next at once.
 */
export function LoadMore({
  onLoadMore,
  loading,
  done,
  error,
  itemCount,
  doneLabel,
}: {
  onLoadMore: () => void;
  loading: boolean;
  done: boolean;
  error: string | null;
  itemCount: number;
  doneLabel?: string;
}) {
  const sentinel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || done || error || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) onLoadMore();
      },
      { rootMargin: '800px 0px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [onLoadMore, done, error, itemCount]);

  return (
    <div ref={sentinel} data-testid="load-more" className="py-4">
      {error ? (
        <ErrorState message={error} onRetry={onLoadMore} />
      ) : loading ? (
        <Spinner />
      ) : done ? (
        itemCount > 0 && doneLabel ? (
          <p className="text-center text-sm text-stone-500">{doneLabel}</p>
        ) : null
      ) : (
        <div className="flex justify-center">
          <button type="button" className={buttonClass('ghost')} onClick={onLoadMore}>
            Load more
          </button>
        </div>
      )}
    </div>
  );
}
