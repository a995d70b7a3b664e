/**
 * The short chaos run: the whole one-machine system under a few hundred events from a few dozen
 * people while each fault kind is injected a few times; once the backlogs drain, nothing the
 * checker compares is lost, doubled or wrong. (`npm run chaos` is the full run, with its report.)
 */
import { reportMarkdown } from '../src/report';
import { runChaos } from '../src/run';

test('a short chaos run loses, doubles and gets wrong nothing', async () => {
  const report = await runChaos({
    seed: Number(process.env.CHAOS_SEED ?? 7),
    people: 30,
    events: 300,
    concurrency: 4,
    faultsPerKind: 2,
    lanes: 3,
    maxGapMs: 500,
    // A killed consumer's message comes back after ack_wait (30 s); a loaded machine is slow.
    drainTimeoutMs: 240_000,
  });
  const summary = reportMarkdown(report, 'test');
  // Every kind was injected, and the load was real.
  for (const [kind, n] of Object.entries(report.faults.byKind)) expect([kind, n >= 2]).toEqual([kind, true]);
  expect(report.workload.events).toBeGreaterThanOrEqual(300);
  expect({ converged: report.drain.converged, busy: report.drain.busy }).toEqual({ converged: true, busy: [] });
  expect({
    ...report.totals,
    // Something real was compared (a failure shows how much).
    checked: report.totals.checked >= 300 || report.totals.checked,
    summary: report.totals.lost + report.totals.doubled + report.totals.wrong > 0 ? summary : '',
  }).toEqual({
    checked: true,
    lost: 0,
    doubled: 0,
    wrong: 0,
    summary: '',
  });
}, 600_000);
