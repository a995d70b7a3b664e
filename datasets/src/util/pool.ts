/**
 * Bounded work: at most `concurrency` tasks at a time, stopping at the last item or the
 * deadline, whichever comes first. Every load loop in the benchmark goes through here, so none
 * can run unbounded in count or in time.
 */

export interface PoolOutcome {
  completed: number;
  failed: number;
  /** Items never started because the deadline passed. */
  skipped: number;
  elapsedMs: number;
  /** The first few failures, for the log. */
  errors: string[];
}

export interface PoolOptions {
  concurrency: number;
  /** Milliseconds from now after which no new item starts. */
  timeLimitMs: number;
  onSettled?: (ok: boolean) => void;
  /** Stop at the first failure (for loads where a hole would make later steps meaningless). */
  failFast?: boolean;
}

export async function runBounded<T>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<void>,
  options: PoolOptions,
): Promise<PoolOutcome> {
  const started = Date.now();
  const deadline = started + options.timeLimitMs;
  let next = 0;
  let completed = 0;
  let failed = 0;
  const errors: string[] = [];
  let stop = false;

  const worker = async () => {
    while (!stop && next < items.length && Date.now() < deadline) {
      const index = next;
      next += 1;
      try {
        await work(items[index] as T, index);
        completed += 1;
        options.onSettled?.(true);
      } catch (err) {
        failed += 1;
        if (errors.length < 5) errors.push((err as Error).message ?? String(err));
        options.onSettled?.(false);
        if (options.failFast) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, worker));
  return { completed, failed, skipped: items.length - completed - failed, elapsedMs: Date.now() - started, errors };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` answers true or the time is up; answers whether it did. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** A seeded pseudo-random generator (mulberry32): the same data set on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(random() * items.length)] as T;
}
