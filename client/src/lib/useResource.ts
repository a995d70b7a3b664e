import { useCallback, useEffect, useState } from 'react';

export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  /** The HTTP status of the failure (404 tells "not found" from "try again"). */
  status: number | null;
  loading: boolean;
  reload: () => void;
  set: (data: T) => void;
}

/** One thing fetched for a screen, fetched again when `key` changes; stale answers are dropped. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    setStatus(null);
    load(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setData(undefined);
        setError(err instanceof Error ? err.message : String(err));
        setStatus(typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : null);
        setLoading(false);
      },
    );
    return () => controller.abort();
    // `load` is a fresh closure each render; `key` names what it fetches.
  }, [key, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data, error, status, loading, reload, set: setData };
}
