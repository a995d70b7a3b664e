/**
 * Composing alone, from the command line: the benchmark's one-machine system (FerretDB, NATS,
 * NGINX and the five services, as `npm run bench` starts it), `--people` people who follow each
 * other (each follows `--follows` others) and each have a ready photo; then rounds of composing
 * at saturation through the entry point, `--connections` at a time. Beside each round's posts/s it
 * prints the CPU time every process on the machine spent per post composed (read from /proc, until
 * every consumer has handled the round's events), which is where the compose figure of
 * `npm run bench` goes. For working on the write path: minutes instead of twenty.
 *
 *   npm run -w bench compose -- [--people 60] [--follows 40] [--seconds 10] [--rounds 3] [--connections 8]
 *
 * Progress on stderr, one JSON object on stdout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiClient, generatePhotoPool, runBounded, sleep } from '@lumina/datasets';
import { composePost, type WorkloadPools } from './workloads/social';
import { runHttp } from './workloads/load-runner';
import { startBenchSystem, type BenchSystem } from './system/bench-system';
import { waitForQuiet } from './system/backlog';

const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '60' },
    follows: { type: 'string', default: '40' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux everywhere). */
const TICKS_PER_SECOND = 100;

/** CPU ticks per kind of process (the service's name for Node processes), summed from /proc. */
function cpuTicksByProcess(servicePids: Map<number, string>): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // gone meanwhile
    }
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const used = Number(fields[11]) + Number(fields[12]); // utime, stime
    const name = servicePids.get(pid) ?? serviceIn(cmdline) ?? kindOf(comm, pid);
    ticks.set(name, (ticks.get(name) ?? 0) + used);
  }
  return ticks;
}

const SERVICES = ['auth', 'posts', 'media', 'search', 'timeline'];

function serviceIn(cmdline: string): string | undefined {
  return SERVICES.find((s) => cmdline.includes(`/${s}/src/`));
}

function kindOf(comm: string, pid: number): string {
  if (pid === process.pid) return 'load generator (this process)';
  if (comm.startsWith('postgres')) return 'postgres';
  if (/^(mariadbd|mysqld)/.test(comm)) return 'mariadb';
  return comm.replace(/[:\s].*$/, '');
}

function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, t] of after) {
    const d = t - (before.get(name) ?? 0);
    if (d > 0) out.set(name, d);
  }
  return out;
}

/** Runs `work` on every item, four at a time; the first failure stops the loading. */
async function each<T>(items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  const outcome = await runBounded(items, work, { concurrency: 4, timeLimitMs: 10 * 60_000, failFast: true });
  if (outcome.failed > 0 || outcome.skipped > 0) throw new Error(`loading failed: ${outcome.errors.join('; ') || 'out of time'}`);
}

async function people(system: BenchSystem, count: number, follows: number): Promise<WorkloadPools['composers']> {
  const tag = system.tag.slice(-6);
  const clients = Array.from({ length: count }, () => new ApiClient(system.url));
  await each(clients, async (client, i) => {
    await client.signUpOrIn({
      email: `composer${i}-${tag}@example.com`,
      username: `composer${i}_${tag}`,
      password: 'correct horse battery staple',
      displayName: `Composer ${i}`,
    });
  });
  log(`  · ${count} people signed up`);
  // A ring: each follows the next `follows` people, so every post fans out to `follows` feeds.
  const followed = Math.min(follows, count - 1);
  await each(clients, async (client, i) => {
    for (let k = 1; k <= followed; k += 1) await client.follow(clients[(i + k) % count]!.id);
  });
  log(`  · each follows ${followed} others`);
  const photos = await generatePhotoPool(4, 320, 'photos');
  const composers: WorkloadPools['composers'] = [];
  await each(clients, async (client, i) => {
    const media = await client.upload(photos[i % photos.length]!, 'photo.jpg', 'A generated photo');
    await client.waitUntilReady(media.id);
    composers.push({ client, mediaId: media.id });
  });
  log(`  · ${count} photos ready`);
  return composers;
}

/** MariaDB's counters of rows read and statements run (the server's, so search's and auth's). */
async function mariadbCounters(system: BenchSystem): Promise<Record<string, number>> {
  const [rows] = await system
    .mysql('search')
    .query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_rows_read', 'Handler_read_next', 'Questions', 'Innodb_data_fsyncs')");
  return Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, Number(r.Value)]));
}

async function main(): Promise<void> {
  const system = await startBenchSystem({ mongoBackend: 'postgresql', onProgress: log });
  try {
    const composers = await people(system, Number(args.people), Number(args.follows));
    await waitForQuiet(system.bus, 'catching up after loading', 120_000);
    const servicePids = new Map(Object.entries(system.pids).map(([name, pid]) => [pid, name]));
    const pools: WorkloadPools = { baseUrl: system.url, viewers: [], authors: [], composers, searchWords: [], suggestPrefixes: [] };
    const rounds = [];
    for (let round = 1; round <= Number(args.rounds); round += 1) {
      const before = cpuTicksByProcess(servicePids);
      const mariadbBefore = await mariadbCounters(system);
      const started = Date.now();
      const result = await runHttp(
        composePost(pools, round * 7),
        { kind: 'saturation', concurrency: Number(args.connections) },
        Number(args.seconds),
      );
      // Until every consumer has handled the round's events: their work is the posts' too.
      await waitForQuiet(system.bus, `catching up after round ${round}`, 120_000);
      await sleep(500); // the relays' last clears
      const wallS = (Date.now() - started) / 1000;
      const cpu = delta(before, cpuTicksByProcess(servicePids));
      const mariadbAfter = await mariadbCounters(system);
      const mariadbPerPost = Object.fromEntries(
        Object.entries(mariadbAfter).map(([name, value]) => [
          name,
          Number(((value - (mariadbBefore[name] ?? 0)) / Math.max(1, result.ok)).toFixed(1)),
        ]),
      );
      const perPostMs = Object.fromEntries(
        [...cpu.entries()]
          .sort((a, b) => b[1] - a[1])
          .filter(([, t]) => t > 0)
          .map(([name, t]) => [name, Number((((t / TICKS_PER_SECOND) * 1000) / Math.max(1, result.ok)).toFixed(2))]),
      );
      const totalMs = Object.values(perPostMs).reduce((a, b) => a + b, 0);
      rounds.push({
        round,
        postsPerSecond: Number(result.throughput.toFixed(1)),
        ok: result.ok,
        failed: result.failed,
        p50: result.latency.p50,
        p99: result.latency.p99,
        wallS: Number(wallS.toFixed(1)),
        cpuMsPerPost: Number(totalMs.toFixed(2)),
        perProcessMsPerPost: perPostMs,
        mariadbPerPost,
      });
      log(`  · round ${round}: ${result.throughput.toFixed(1)} posts/s, ${totalMs.toFixed(1)} ms CPU per post`);
    }
    process.stdout.write(`${JSON.stringify({ benchmark: 'compose', at: new Date().toISOString(), args, rounds }, null, 2)}\n`);
  } finally {
    await system.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
