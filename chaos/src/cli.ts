/**
 * `npm run chaos`: the full chaos run (≥ 10,000 events, every fault kind 20 times or more), its
 * report in chaos/results/<date>/ (report.md and report.json). Exit code 1 when anything was
 * lost, doubled or wrong, or the system did not converge. Settings: CHAOS_SEED, CHAOS_EVENTS,
 * CHAOS_PEOPLE, CHAOS_FAULTS_PER_KIND, CHAOS_CONCURRENCY, CHAOS_LANES, CHAOS_REST_MS.
 */
import { execSync } from 'node:child_process';
import { join } from 'node:path';
import { writeReport } from './report';
import { runChaos } from './run';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  // The code that ran: taken before the run (a long run outlives later commits).
  const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  // Ctrl-C stops the load and the faults and still stops and cleans up the system.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupt.abort());
  const report = await runChaos({
    signal: interrupt.signal,
    seed: num('CHAOS_SEED', 20261202),
    people: num('CHAOS_PEOPLE', 300),
    events: num('CHAOS_EVENTS', 10_000),
    concurrency: num('CHAOS_CONCURRENCY', 24),
    faultsPerKind: num('CHAOS_FAULTS_PER_KIND', 20),
    lanes: num('CHAOS_LANES', 4),
    maxGapMs: 1_500,
    restMs: num('CHAOS_REST_MS', 15_000),
    drainTimeoutMs: 15 * 60_000,
    keepLogs: process.env.CHAOS_KEEP_LOGS === '1',
    log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} chaos: ${line}\n`),
  });
  const dir = join(__dirname, '..', 'results', process.env.CHAOS_RESULTS_NAME ?? new Date().toISOString().slice(0, 10));
  writeReport(dir, report, commit);
  const t = report.totals;
  const short = Object.entries(report.faults.byKind).filter(([, n]) => n < report.options.faultsPerKind);
  process.stdout.write(`chaos: lost ${t.lost}, doubled ${t.doubled}, wrong ${t.wrong} over ${t.checked} items; report in ${dir}\n`);
  if (short.length > 0) process.stdout.write(`chaos: fewer faults than planned: ${short.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  process.exit(t.lost + t.doubled + t.wrong === 0 && report.drain.converged && short.length === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(2);
});
