/**
 * One chaos run: the system started, the workload and the fault injector together until both
 * are done, the drain, the checker, and the figures of it all. `npm run chaos` (src/cli.ts) runs
 * the full one and writes its report; test/chaos.test.ts runs a short one inside `npm test`.
 */
import mysql from 'mysql2/promise';
import { mongo } from 'mongoose';
import { seededRandom } from '@lumina/datasets';
import { checkEverything, totals, type CheckResult } from './checker';
import { drain, type DrainResult, type Stores } from './drain';
import { FaultInjector, type FaultRecord } from './faults';
import { startChaosSystem, type ChaosSystem } from './system';
import { Workload, type WorkloadCounts } from './workload';

export interface ChaosOptions {
  seed: number;
  people: number;
  /** The load stops once this many writes are acknowledged and every fault is done. */
  events: number;
  concurrency: number;
  faultsPerKind: number;
  /** Faults at once on different targets. */
  lanes: number;
  maxGapMs: number;
  /** How long a killed service is left alone once it is back (the injector's `restMs`). */
  restMs?: number;
  drainTimeoutMs: number;
  log?: (line: string) => void;
  /** Keep the services' logs (their folder is printed). */
  keepLogs?: boolean;
  /** Ends the run early (Ctrl-C): load and faults stop, the system is stopped and cleaned up. */
  signal?: AbortSignal;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  startedAt: string;
  loadMs: number;
  workload: WorkloadCounts & { events: number; people: number; signedUp: number };
  /** Messages in each event stream at the end, less those the injector republished. */
  streamMessages: Record<string, number>;
  producedEvents: number;
  injectedMessages: number;
  /**
   * byKind: carried out at their moment (the figure held to faultsPerKind); the others are tries
   * that were put back on the schedule: kills without a moment (the service was still killed),
   * injections with too few events, failures.
   */
  faults: {
    byKind: Record<string, number>;
    noMoment: Record<string, number>;
    notPossible: Record<string, number>;
    failed: number;
    records: FaultRecord[];
  };
  drain: DrainResult;
  deadLetters: { count: number; reasons: Record<string, number> };
  checks: CheckResult;
  totals: { checked: number; lost: number; doubled: number; wrong: number };
}

async function openStores(chaos: ChaosSystem): Promise<{ stores: Stores; close(): Promise<void> }> {
  const pool = (name: string) =>
    mysql.createPool({ uri: `${chaos.mysqlUrl.replace(/\/$/, '')}/${chaos.prefix}${name}`, connectionLimit: 2 });
  const auth = pool('auth');
  const search = pool('search');
  const client = await mongo.MongoClient.connect(chaos.mongoUrl);
  const db = (name: string) => client.db(`${chaos.prefix}${name}`);
  return {
    stores: { mysql: { auth, search }, mongo: { posts: db('posts'), media: db('media'), timeline: db('timeline') } },
    async close() {
      await auth.end();
      await search.end();
      await client.close();
    },
  };
}

async function streamFigures(chaos: ChaosSystem): Promise<{ messages: Record<string, number>; dlq: ChaosReport['deadLetters'] }> {
  const messages: Record<string, number> = {};
  const dlq = { count: 0, reasons: {} as Record<string, number> };
  for await (const info of chaos.admin.jsm.streams.list()) {
    const name = info.config.name;
    if (!name.startsWith(chaos.namespace.streamPrefix)) continue;
    const short = name.slice(chaos.namespace.streamPrefix.length);
    messages[short] = info.state.messages;
    if (short === 'DLQ') {
      dlq.count = info.state.messages;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq - info.state.first_seq < 500; seq++) {
        const msg = await chaos.admin.jsm.streams.getMessage(name, { seq }).catch(() => null);
        const reason = msg?.header?.get('Lumina-Dlq-Reason') ?? '(none)';
        const key = `${msg?.subject ?? '?'}: ${reason.slice(0, 120)}`;
        dlq.reasons[key] = (dlq.reasons[key] ?? 0) + 1;
      }
    }
  }
  return { messages, dlq };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  log(`starting the system (seed ${options.seed})`);
  const chaos = await startChaosSystem();
  const { stores, close } = await openStores(chaos).catch(async (err) => {
    await chaos.stop();
    throw err;
  });
  try {
    // One generator for the workload, one for the faults: the schedule does not depend on the
    // load's timing.
    const workload = new Workload({
      baseUrl: chaos.url,
      people: options.people,
      concurrency: options.concurrency,
      random: seededRandom(options.seed),
      namePrefix: `c${chaos.prefix.split('_')[1]!.slice(-6)}_`,
      onAcknowledged: (service, kind) => injector.acknowledged(service, kind),
    });
    const injector = new FaultInjector(chaos, {
      random: seededRandom(options.seed ^ 0x5eed),
      perKind: options.faultsPerKind,
      lanes: options.lanes,
      maxGapMs: options.maxGapMs,
      restMs: options.restMs,
    });
    let faultsDone = false;
    const loadStarted = Date.now();
    const progress = setInterval(
      () =>
        log(
          `load: ${workload.events} events, ${injector.records.filter((r) => r.outcome === 'at-moment').length}/${injector.planned} faults, ${Math.round((Date.now() - loadStarted) / 1000)} s`,
        ),
      15_000,
    );
    const aborted = () => options.signal?.aborted === true;
    options.signal?.addEventListener('abort', () => injector.stop());
    const load = workload.run(() => aborted() || (faultsDone && workload.events >= options.events));
    // Faults start once there is something to break and events to republish.
    while (!aborted() && workload.events < Math.min(200, options.events / 4)) await new Promise((r) => setTimeout(r, 200));
    await injector.run();
    faultsDone = true;
    await load;
    clearInterval(progress);
    const loadMs = Date.now() - loadStarted;
    if (aborted()) throw new Error('the chaos run was interrupted');
    log(`load done: ${workload.events} events in ${Math.round(loadMs / 1000)} s; draining`);

    const drained = await drain(chaos, stores, options.drainTimeoutMs, (busy) => log(`draining: ${busy.slice(0, 4).join('; ')}`));
    log(drained.converged ? `converged in ${drained.ms} ms` : `did not converge: ${drained.busy.join('; ')}`);
    const checks = await checkEverything(stores, workload, chaos);
    const figures = await streamFigures(chaos);
    const eventStreams = ['USERS', 'POSTS', 'MEDIA'];
    const produced = eventStreams.reduce((n, s) => n + (figures.messages[s] ?? 0), 0) - injector.injectedMessages;
    return {
      options: { ...options, log: undefined, signal: undefined } as ChaosReport['options'],
      startedAt,
      loadMs,
      workload: {
        ...workload.counts,
        events: workload.events,
        people: options.people,
        signedUp: workload.people.filter((p) => p.signedUp).length,
      },
      streamMessages: figures.messages,
      producedEvents: produced,
      injectedMessages: injector.injectedMessages,
      faults: {
        byKind: injector.countsByKind(),
        noMoment: injector.countsByKind('no-moment'),
        notPossible: injector.countsByKind('not-possible'),
        failed: injector.records.filter((r) => r.outcome === 'failed').length,
        records: injector.records,
      },
      drain: drained,
      deadLetters: figures.dlq,
      checks,
      totals: totals(checks),
    };
  } finally {
    await close();
    await chaos.stop({ keepLogs: options.keepLogs });
  }
}
