/**
 * `npm run rolling-restart`: a fresh one-machine Lumina behind NGINX, two replicas of every
 * service that can run two, a mixed workload through the entry point, and every service
 * restarted one replica at a time while it runs. Writes bench/results/<date>-rolling-restart/
 * (report.json and README.md): requests sent, failed (the goal is none), and the latency before,
 * during and after the restarts.
 *
 *   ROLLING_BEFORE_S (60)  load before the restarts, the baseline
 *   ROLLING_AFTER_S (30)   load after them
 *   ROLLING_WORKERS (6)    requests in flight at once
 *   ROLLING_PEOPLE (8)     people in the workload
 *   LUMINA_REPLICAS (2)    replicas per service (FerretDB keeps posts, media, timeline at one)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueTag } from '@lumina/common/testing';
import { deleteStreamsUnder, dropSystemDatabases, REPO_ROOT, parseReplicas, startLocalSystem } from '@lumina/local';
import { startFerret, type StartedFerret } from './system/ferretdb';
import { preparePeople, startMixedLoad } from './rolling/mixed-load';
import { byKind, restartEveryReplica, summarizeWindow } from './rolling/restarts';
import { round } from './util/stats';
import { sleep, step } from '@lumina/datasets';

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const tag = uniqueTag();
  const prefix = `rr_${tag}_`;
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-rolling-'));
  // A FerretDB of its own over PostgreSQL, in a database it drops afterwards, as the benchmark
  // does: the one-machine mode's FerretDB keeps its data in the `lumina` database other runs on
  // this machine may share (the first run here got a 500 creating a post there, not understood).
  let ferret: StartedFerret | undefined;
  if (!process.env.MONGO_URL) {
    ferret = await startFerret({ backend: 'postgresql', tag: prefix.slice(0, -1) });
    process.env.MONGO_URL = ferret.url;
  }
  step('starting the one-machine system behind NGINX');
  const system = await startLocalSystem({
    port: 0,
    entryPoint: 'nginx',
    dataDir,
    databasePrefix: prefix,
    replicas: parseReplicas(process.env.LUMINA_REPLICAS) ?? 2,
    // One address sends everything: measure the restarts, not the per-address limit.
    entryPointRate: { perSecond: 1_000_000, burst: 1_000_000 },
    extraEnv: { LOG_LEVEL: 'warn', EVENT_SUBJECT_PREFIX: tag, EVENT_STREAM_PREFIX: `${tag.toUpperCase()}_` },
    onProgress: (line) => process.stderr.write(`  · ${line}\n`),
  });
  try {
    step(
      `replicas: ${Object.entries(system.replicas)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}`,
    );
    const actors = await preparePeople(system.url, seconds('ROLLING_PEOPLE', 8), tag);
    const load = startMixedLoad(actors, { workers: seconds('ROLLING_WORKERS', 6) });
    await sleep(5_000); // warm-up, not counted
    const beforeFrom = Date.now();
    step(`baseline: ${seconds('ROLLING_BEFORE_S', 60)} s of load before any restart`);
    await sleep(seconds('ROLLING_BEFORE_S', 60) * 1000);
    const duringFrom = Date.now();
    step('restarting every service, one replica at a time');
    const restarts = await restartEveryReplica(system, (line) => step(`  ${line}`));
    const afterFrom = Date.now();
    step(`after: ${seconds('ROLLING_AFTER_S', 30)} s more`);
    await sleep(seconds('ROLLING_AFTER_S', 30) * 1000);
    await load.stop();
    const end = Date.now();

    const all = load.samples.filter((s) => s.at >= beforeFrom);
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverage: { atStart: loadAtStart, atEnd: loadavg()[0] } },
      entryPoint: system.entryPoint,
      mongo: ferret ? 'FerretDB 1.24 over PostgreSQL (its own database)' : 'MONGO_URL',
      replicas: system.replicas,
      workers: seconds('ROLLING_WORKERS', 6),
      people: actors.length,
      sent: all.length,
      failed: all.filter((s) => !s.ok).length,
      before: summarizeWindow(all, beforeFrom, duringFrom),
      duringRestarts: summarizeWindow(all, duringFrom, afterFrom),
      after: summarizeWindow(all, afterFrom, end + 1),
      restarts: restarts.map((r) => ({ ...r, startedAt: new Date(r.startedAt).toISOString(), endedAt: new Date(r.endedAt).toISOString() })),
      duringEachRestart: restarts.map((r) => ({ service: r.service, replica: r.replica, ...summarizeWindow(all, r.startedAt, r.endedAt) })),
      byKind: byKind(all),
      failures: all.filter((s) => !s.ok).slice(0, 50),
    };
    const folder = join(REPO_ROOT, 'bench', 'results', `${report.date.slice(0, 10)}-rolling-restart`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(folder, 'README.md'), readme(report));
    step(
      `sent ${report.sent}, failed ${report.failed}; p99 ${report.before.latencyMs.p99} ms before, ${report.duringRestarts.latencyMs.p99} ms during the restarts`,
    );
    step(`report: ${folder}`);
    if (report.failed > 0) process.exitCode = 1;
  } finally {
    // Before the system stops: a FerretDB or NATS it started goes with it, and FerretDB keeps
    // this run's databases in a PostgreSQL database it shares with other runs.
    await dropWhatTheRunMade(system.servers, prefix, tag).catch((err: unknown) => step(`cleaning up: ${String(err)}`));
    await system.stop();
    await ferret?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Report = {
  date: string;
  machine: { cpus: number; loadAverage: { atStart?: number; atEnd?: number } };
  entryPoint: string;
  mongo: string;
  replicas: Record<string, number>;
  workers: number;
  people: number;
  sent: number;
  failed: number;
  before: ReturnType<typeof summarizeWindow>;
  duringRestarts: ReturnType<typeof summarizeWindow>;
  after: ReturnType<typeof summarizeWindow>;
  restarts: Array<{ service: string; replica: number; stopMs: number; startMs: number; exitCode: number | null }>;
  duringEachRestart: Array<{ service: string; replica: number } & ReturnType<typeof summarizeWindow>>;
  byKind: ReturnType<typeof byKind>;
};

function readme(r: Report): string {
  const row = (name: string, w: ReturnType<typeof summarizeWindow>) =>
    `| ${name} | ${w.requests} | ${w.failed} | ${w.latencyMs.p50} | ${w.latencyMs.p99} | ${w.latencyMs.max} |`;
  return `# Rolling restart under load — ${r.date.slice(0, 10)}

\`npm run rolling-restart\` (bench/src/rolling-restart.ts): the one-machine system behind ${r.entryPoint === 'nginx' ? 'NGINX' : 'the Node gateway'}, MongoDB protocol from ${r.mongo}, ${r.people} people and ${r.workers} requests in flight at once (home timelines, post pages, new posts, likes and unlikes, comments, sign-ins, search, media reads), while every service is restarted one replica at a time (SIGTERM, a new process on the same port, back in rotation once ready). report.json has every figure.

Replicas: ${Object.entries(r.replicas)
    .map(([s, n]) => `${s} ${n}`)
    .join(
      ', ',
    )}. On FerretDB posts, media and timeline run one process each (its updates are not atomic across processes; infra/local/system.ts \`replicaCounts\`): their restart holds requests at the entry point until the new process is ready.

**Sent ${r.sent}, failed ${r.failed}.**

On ${r.machine.cpus} cores (load average ${round(r.machine.loadAverage.atStart ?? NaN)} at the start, ${round(r.machine.loadAverage.atEnd ?? NaN)} at the end: the machine is shared). The load is closed-loop: each of the ${r.workers} workers sends its next request when the last is answered, so while a one-process service restarts the workers that reach it wait with their request and fewer requests are sent; those waits are the tail of "during".

| window | requests | failed | p50 ms | p99 ms | max ms |
|---|---:|---:|---:|---:|---:|
${row('before the restarts', r.before)}
${row('during the restarts', r.duringRestarts)}
${row('after', r.after)}

| restart | stop ms | exit | start ms | requests meanwhile | failed | p99 ms | max ms |
|---|---:|---:|---:|---:|---:|---:|---:|
${r.restarts
  .map((x, i) => {
    const w = r.duringEachRestart[i]!;
    return `| ${x.service} ${x.replica + 1} | ${x.stopMs} | ${x.exitCode} | ${x.startMs} | ${w.requests} | ${w.failed} | ${w.latencyMs.p99} | ${w.latencyMs.max} |`;
  })
  .join('\n')}

| request | sent | failed | p99 ms |
|---|---:|---:|---:|
${Object.entries(r.byKind)
  .map(([k, v]) => `| ${k} | ${v.requests} | ${v.failed} | ${v.p99Ms} |`)
  .join('\n')}
`;
}

async function dropWhatTheRunMade(
  servers: { mysqlUrl: string; mongoUrl: string; natsUrl: string; natsPasswords: Record<string, string> },
  prefix: string,
  tag: string,
): Promise<void> {
  await dropSystemDatabases(servers, prefix);
  await deleteStreamsUnder(servers, `${tag.toUpperCase()}_`);
}

main().catch((err: unknown) => {
  process.stderr.write(`The rolling restart failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
