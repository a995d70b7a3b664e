/** The chaos report as markdown (for people) and JSON (for tools), in chaos/results/<date>/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChaosReport } from './run';

export function reportMarkdown(r: ChaosReport, commit: string): string {
  const t = r.totals;
  const lines = [
    `# Chaos run, ${r.startedAt.slice(0, 10)}`,
    '',
    `Commit ${commit}, seed ${r.options.seed}: ${r.options.people} simulated people, ${r.options.concurrency} requests in flight, ` +
      `${r.options.faultsPerKind} faults of each kind (${r.options.lanes} at once on different targets` +
      (r.options.restMs ? `; a killed service left alone for ${r.options.restMs / 1000} s once back).` : ').'),
    '',
    `**lost ${t.lost}, doubled ${t.doubled}, wrong ${t.wrong}** over ${t.checked} items checked; ` +
      `${r.drain.converged ? `converged ${(r.drain.ms / 1000).toFixed(1)} s after the load stopped` : `did NOT converge within ${r.drain.ms / 1000} s: ${r.drain.busy.join('; ')}`}.`,
    '',
    '## Load',
    '',
    `${r.workload.events} writes acknowledged through the entry point in ${(r.loadMs / 1000).toFixed(0)} s ` +
      `(${r.workload.requests} requests); ${r.producedEvents} events produced into JetStream by the services ` +
      `(${Object.entries(r.streamMessages)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')} messages, of which ${r.injectedMessages} republished by the injector).`,
    '',
    '| action | acknowledged |',
    '| --- | ---: |',
    ...Object.entries(r.workload.acknowledged).map(([k, n]) => `| ${k} | ${n} |`),
    '',
    'Requests that did not get the answer wanted (status 0: no answer; mostly 502 while a service was down):',
    '',
    '| action and status | count |',
    '| --- | ---: |',
    ...Object.entries(r.workload.failed)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `| ${k} | ${n} |`),
    '',
    '## Faults injected',
    '',
    'A fault counts when it was carried out at its moment. The other tries went back on the schedule: a kill',
    'that found no moment within 15 s (no write acknowledged, no message in hand) still killed and restarted the',
    'service; a duplicate or reordering with too few events yet republished nothing.',
    '',
    '| kind | injected at its moment | also killed without a moment | too few events yet |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(r.faults.byKind).map(([k, n]) => `| ${k} | ${n} | ${r.faults.noMoment[k] ?? 0} | ${r.faults.notPossible[k] ?? 0} |`),
    '',
    `${r.faults.failed} tries failed (${[...new Set(r.faults.records.filter((f) => f.error).map((f) => f.error))].join('; ') || 'none'}).`,
    '',
    '## Checks',
    '',
    '| area | checked | lost | doubled | wrong |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(r.checks).map(([k, a]) => `| ${k} | ${a.checked} | ${a.lost} | ${a.doubled} | ${a.wrong} |`),
    `| **total** | ${t.checked} | ${t.lost} | ${t.doubled} | ${t.wrong} |`,
    '',
    `Dead letters: ${r.deadLetters.count}${
      r.deadLetters.count > 0
        ? ` (${Object.entries(r.deadLetters.reasons)
            .map(([k, n]) => `${n} × ${k}`)
            .join('; ')})`
        : ''
    }.`,
  ];
  const examples = Object.entries(r.checks).flatMap(([k, a]) => a.examples.map((e) => `- ${k}: ${e}`));
  if (examples.length > 0) lines.push('', '## First differences found', '', ...examples);
  return `${lines.join('\n')}\n`;
}

export function writeReport(dir: string, r: ChaosReport, commit: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.md'), reportMarkdown(r, commit));
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify({ commit, ...r }, null, 2)}\n`);
}
