/** Percentiles and summaries of measured durations (milliseconds). */

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    // A loop, not Math.max(...values): a fast workload records more samples than a call's arguments may hold.
    max: values.reduce((a, b) => (b > a ? b : a), Number.NEGATIVE_INFINITY),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
