/**
 * Restarts every service of a running one-machine system one replica at a time, as a rolling
 * update does, and summarises what the requests sent meanwhile saw. The script
 * (`npm run rolling-restart`) and the end-to-end test (e2e/test/rolling-restart.test.ts) use it.
 */
import type { LocalSystem, RestartResult } from '@lumina/local';
import { round, summarize, type LatencySummary } from '../util/stats';
import type { Sample } from './mixed-load';

/** In the order a deployment would roll them; every replica of one before the next. */
export const SERVICES = ['auth', 'posts', 'media', 'search', 'timeline'] as const;

export interface TimedRestart extends RestartResult {
  startedAt: number;
  endedAt: number;
}

export async function restartEveryReplica(system: LocalSystem, onStep: (line: string) => void = () => undefined): Promise<TimedRestart[]> {
  const restarts: TimedRestart[] = [];
  for (const service of SERVICES) {
    for (let replica = 0; replica < (system.replicas[service] ?? 1); replica += 1) {
      const startedAt = Date.now();
      const result = await system.restart(service, replica);
      const endedAt = Date.now();
      restarts.push({ ...result, startedAt, endedAt });
      onStep(
        `${service} replica ${replica + 1}/${system.replicas[service]}: stopped in ${result.stopMs} ms (exit ${result.exitCode ?? result.signal}), ready in ${result.startMs} ms`,
      );
    }
  }
  return restarts;
}

export interface WindowSummary {
  requests: number;
  failed: number;
  latencyMs: LatencySummary;
}

export function summarizeWindow(samples: Sample[], from: number, to: number): WindowSummary {
  const inWindow = samples.filter((s) => s.at >= from && s.at < to);
  const latency = summarize(inWindow.map((s) => s.ms));
  return {
    requests: inWindow.length,
    failed: inWindow.filter((s) => !s.ok).length,
    latencyMs: {
      count: latency.count,
      p50: round(latency.p50),
      p99: round(latency.p99),
      max: round(latency.max),
      mean: round(latency.mean),
    },
  };
}

export function byKind(samples: Sample[]): Record<string, { requests: number; failed: number; p99Ms: number }> {
  const kinds: Record<string, { requests: number; failed: number; p99Ms: number }> = {};
  for (const kind of [...new Set(samples.map((s) => s.kind))].sort()) {
    const of = samples.filter((s) => s.kind === kind);
    kinds[kind] = { requests: of.length, failed: of.filter((s) => !s.ok).length, p99Ms: round(summarize(of.map((s) => s.ms)).p99) };
  }
  return kinds;
}
