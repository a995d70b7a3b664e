/** The report: every figure as JSON, and the Markdown tables a person reads (bench/README.md explains them). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeRow } from '../baselines/storage-probe';
import { PROBE_OPERATIONS } from '../baselines/storage-probe';
import type { PropagationResult } from '../workloads/pipeline';
import type { RunResult } from '../workloads/load-runner';
import type { FanoutComponentResult } from '../workloads/fanout-component';
import type { MachineInfo } from './machine';
import type { ServiceMetricsSnapshot } from './service-metrics';
import type { ActiveStatement } from '../system/pg-activity';

export interface WorkloadRow {
  name: string;
  /** What answered: through the gateway, a service's own port, or a baseline. */
  target: 'gateway' | 'service' | 'baseline';
  fixed?: RunResult;
  saturation?: RunResult;
  /** Extra figures of a row (upload: time to 202). */
  extra?: Record<string, unknown>;
}

export interface Ratio {
  name: string;
  service: string;
  baseline: string;
  metric: string;
  serviceValue: number;
  baselineValue: number;
  /** service / baseline. */
  ratio: number;
}

export interface LoadStep {
  step: string;
  count: number;
  ms: number;
  /** Items per second. */
  rate: number;
  how: string;
}

export interface BenchReport {
  title: string;
  mode: 'full' | 'quick';
  startedAt: string;
  finishedAt?: string;
  durationS?: number;
  machine: MachineInfo;
  settings: Record<string, unknown>;
  load: LoadStep[];
  workloads: WorkloadRow[];
  pipeline: PropagationResult[];
  ratios: Ratio[];
  storageProbe: ProbeRow[];
  /** The timeline service alone, followers loaded directly and through events. */
  component: FanoutComponentResult[];
  /** The services' own metrics at the end of the run. */
  serviceMetrics?: ServiceMetricsSnapshot;
  /** Statements FerretDB ran on PostgreSQL, as sampled during the run. */
  databaseActivity: { intervalMs: number; statements: ActiveStatement[] };
  catchUp: Array<{ after: string; ms: number; left: number }>;
  notes: string[];
}

const f = (v: number | undefined, digits = 1): string =>
  v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(digits);
const ms = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? v.toFixed(0) : v.toFixed(1);

function failures(r: RunResult | undefined): string {
  if (!r) return '';
  const bad = r.failed + r.shed;
  if (bad === 0) return '';
  const codes = Object.entries(r.statuses)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${n}×${code}`)
    .join(' ');
  return ` ⚠ ${r.failed} failed${r.shed ? `, ${r.shed} shed` : ''}${codes ? ` (${codes})` : ''}`;
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(`# ${report.title}`, '');
  lines.push(
    `${report.mode === 'quick' ? 'A quick run (small data, short measurements): for trying the benchmark, not for comparing.' : 'A full run.'} ` +
      `Started ${report.startedAt}, took ${report.durationS ? `${Math.round(report.durationS / 60)} min` : '?'}. Commit ${m.commit}.`,
    '',
  );
  lines.push(
    `**Machine:** ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. ` +
      `1-minute load average ${m.loadAverage.start} at the start, ${m.loadAverage.end ?? '?'} at the end` +
      (m.loadAverage.start > m.cpus
        ? ` (above ${m.cpus}: other work shared the CPUs, so absolute numbers are noisy; the ratios to baselines measured in the same run are the figures to compare).`
        : '.'),
    '',
  );
  lines.push(
    `**Versions:** ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  );

  lines.push('## Workloads', '');
  lines.push(
    'Latencies in milliseconds. Fixed rate: requests started on a schedule (open loop), latency counted from when each was due. Saturation: closed loop, as fast as answers come.',
    '',
  );
  lines.push('| Workload | Via | Fixed: offered → done /s | p50 | p99 | max | Saturation: conns → done /s | p50 | p99 | max |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const w of report.workloads) {
    const fx = w.fixed;
    const sat = w.saturation;
    lines.push(
      `| ${w.name} | ${w.target} | ${fx ? `${f(fx.offeredRate)} → ${f(fx.throughput)}${failures(fx)}` : '–'} | ${ms(fx?.latency.p50)} | ${ms(fx?.latency.p99)} | ${ms(fx?.latency.max)} | ` +
        `${sat ? `${sat.concurrency} → ${f(sat.throughput)}${failures(sat)}` : '–'} | ${ms(sat?.latency.p50)} | ${ms(sat?.latency.p99)} | ${ms(sat?.latency.max)} |`,
    );
  }
  lines.push('');
  const extras = report.workloads.filter((w) => w.extra);
  for (const w of extras)
    lines.push(
      `- ${w.name}: ${Object.entries(w.extra ?? {})
        .map(([k, v]) => `${k} ${typeof v === 'number' ? ms(v) : String(v)}`)
        .join(', ')}`,
    );
  if (extras.length > 0) lines.push('');

  lines.push('## Against the baselines (same run)', '');
  lines.push('| Comparison | Metric | Service | Baseline | Service / baseline |');
  lines.push('|---|---|---|---|---|');
  for (const r of report.ratios) {
    lines.push(
      `| ${r.name} | ${r.metric} | ${f(r.serviceValue)} | ${f(r.baselineValue)} | **${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(2)}×** |`,
    );
  }
  lines.push('');

  lines.push('## Event pipeline', '');
  lines.push(
    'Milliseconds from a post\'s creation. "All timelines": one entry in every follower\'s home (and the author\'s). "Follower sees it": GET /api/v1/timeline of sampled followers. "Search": GET /api/v1/search/posts finds it.',
    '',
  );
  lines.push(
    '| Author | Followers | Posts | All timelines p50 | p99 | Follower sees it p50 | p99 | Search p50 | p99 | Fan-out entries/s |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const p of report.pipeline) {
    const a = p.allTimelinesMs;
    lines.push(
      `| ${p.name}${p.incomplete ? ` ⚠ ${p.incomplete} incomplete` : ''} | ${p.followers.toLocaleString('en')} | ${p.posts} | ${p.fannedOut ? ms(a?.p50) : 'merged at read'} | ${p.fannedOut ? ms(a?.p99) : '–'} | ` +
        `${ms(p.visibleToFollowerMs.p50)} | ${ms(p.visibleToFollowerMs.p99)} | ${ms(p.searchMs.p50)} | ${ms(p.searchMs.p99)} | ${p.entriesPerSecond ? f(p.entriesPerSecond) : '–'} |`,
    );
  }
  lines.push('');
  if (report.catchUp.length > 0) {
    lines.push(
      `Catching up after load (until every consumer's backlog is empty): ${report.catchUp.map((c) => `${c.after} ${ms(c.ms)}${c.left ? ` (${c.left} still waiting)` : ''}`).join('; ')}.`,
      '',
    );
  }

  if (report.component.length > 0) {
    lines.push('## The timeline service alone', '');
    lines.push(
      "The real timeline service in the benchmark's process, with its own database and event namespace and nothing else of Lumina around it; post.created published straight to it.",
      '',
    );
    lines.push('| Followers | Loaded | Load per second | Posts | Entries/s | Post → last follower p50 | max | First page read p50 | p99 |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    for (const c of report.component) {
      lines.push(
        `| ${c.followers.toLocaleString('en')} | ${c.load.mode === 'events' ? 'user.followed events' : 'directly'} | ${f(c.load.perSecond)} | ${c.posts} | ${f(c.entriesPerSecond)} | ` +
          `${ms(c.postToLastFollowerMs.p50)} | ${ms(c.postToLastFollowerMs.max)} | ${ms(c.firstPageReadMs.p50)} | ${ms(c.firstPageReadMs.p99)} |`,
      );
    }
    lines.push('');
  }

  if (report.serviceMetrics) {
    const events = report.serviceMetrics.events.filter((e) => e.handled > 0).sort((a, b) => b.meanMs * b.handled - a.meanMs * a.handled);
    lines.push('## Inside the services (their /metrics at the end of the run)', '');
    lines.push('Event handlers, by total time spent (handled × mean). Retries are deliveries that failed and were tried again.', '');
    lines.push('| Service | Event | Handled | Retries | Dead-lettered | Mean ms |');
    lines.push('|---|---|---|---|---|---|');
    for (const e of events) {
      lines.push(
        `| ${e.service} | ${e.event} | ${(e.outcomes.ack ?? 0).toLocaleString('en')} | ${(e.outcomes.retry ?? 0).toLocaleString('en')} | ${e.outcomes['dead-letter'] ?? 0} | ${ms(e.meanMs)} |`,
      );
    }
    lines.push('');
    const routes = report.serviceMetrics.routes.filter((r) => r.requests >= 20).sort((a, b) => b.requests - a.requests);
    lines.push('Routes (2xx answers), mean milliseconds inside the service, for comparison with what clients measured:', '');
    lines.push('| Service | Route | Requests | Mean ms |');
    lines.push('|---|---|---|---|');
    for (const r of routes) lines.push(`| ${r.service} | ${r.route} | ${r.requests.toLocaleString('en')} | ${ms(r.meanMs)} |`);
    lines.push('');
  }

  if (report.databaseActivity.statements.length > 0) {
    const every = report.databaseActivity.intervalMs / 1000;
    lines.push('## Where the database time went (PostgreSQL under FerretDB)', '');
    lines.push(
      `Statements found running in pg_stat_activity, sampled every ${every} s through the whole run; each sample stands for about ${every} s of one connection's time. ` +
        'A SELECT without WHERE reads a whole collection: a filter FerretDB did not push down.',
      '',
    );
    lines.push('| Statement | Samples | Longest seen | Whole collection? |');
    lines.push('|---|---|---|---|');
    for (const st of report.databaseActivity.statements)
      lines.push(`| \`${st.statement.replace(/\|/g, '\\|')}\` | ${st.samples} | ${ms(st.longestMs)} | ${st.scan ? 'yes' : ''} |`);
    lines.push('');
  }

  lines.push('## Loading the data', '');
  lines.push('| Step | Count | Time | Per second | How |');
  lines.push('|---|---|---|---|---|');
  for (const s of report.load) lines.push(`| ${s.step} | ${s.count.toLocaleString('en')} | ${ms(s.ms)} | ${f(s.rate)} | ${s.how} |`);
  lines.push('');

  if (report.storageProbe.length > 0) {
    lines.push('## Storage probe: FerretDB 1.24 over SQLite and over PostgreSQL', '');
    lines.push('Median milliseconds per operation on a collection of the given size (indexes as the services declare them).', '');
    const ops = Object.keys(PROBE_OPERATIONS) as Array<keyof typeof PROBE_OPERATIONS>;
    lines.push(`| Backend | Documents | ${ops.map((o) => PROBE_OPERATIONS[o]).join(' | ')} |`);
    lines.push(`|---|---|${ops.map(() => '---').join('|')}|`);
    for (const row of report.storageProbe)
      lines.push(`| ${row.backend} | ${row.documents.toLocaleString('en')} | ${ops.map((o) => ms(row.ms[o])).join(' | ')} |`);
    lines.push('');
  }

  if (report.notes.length > 0) {
    lines.push('## Notes', '');
    for (const n of report.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  lines.push('## Settings', '', '```json', JSON.stringify(report.settings, null, 2), '```', '');
  return lines.join('\n');
}

export function writeReport(dir: string, report: BenchReport): { markdown: string; dir: string } {
  mkdirSync(dir, { recursive: true });
  const markdown = renderMarkdown(report);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), markdown);
  return { markdown, dir };
}
