/**
 * How load is offered and measured, the same way for every workload and baseline:
 *
 * - Fixed rate (open loop): requests start on a schedule (evenly spaced), whether or not earlier
 *   ones have answered, and each latency counts from when the request was due, so a slow server
 *   is not hidden by the client waiting for it (no coordinated omission). autocannon's own rate
 *   limit sends each connection's quota in a burst at the start of every second, which is not a
 *   fixed rate; so fixed-rate HTTP runs use this scheduler over a keep-alive agent.
 * - Saturation (closed loop): autocannon with N connections, each sending its next request as
 *   soon as the previous one answers. Throughput is what the system sustains; latency is what a
 *   request costs at that load.
 *
 * In-process work (the raw-driver and sharp baselines) runs under the same two schedules.
 * Every run is bounded in time; responses of unexpected status are counted, not timed. HTTP runs
 * are offered from a process of their own (runHttp), the in-process baselines from this one.
 */
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { summarize, type LatencySummary } from '../util/stats';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpWorkload {
  name: string;
  baseUrl: string;
  /** The next request to send (varied users, authors, queries). */
  next(): RequestSpec;
  /** Statuses that count as success. */
  ok: number[];
}

export type RunMode = { kind: 'fixed'; rate: number } | { kind: 'saturation'; concurrency: number };

export interface RunResult {
  mode: 'fixed' | 'saturation';
  /** Requests per second offered (fixed) or connections/workers (saturation). */
  offeredRate?: number;
  concurrency?: number;
  durationS: number;
  sent: number;
  ok: number;
  failed: number;
  /** Fixed rate: requests not sent because too many were already waiting (the system fell behind). */
  shed: number;
  statuses: Record<string, number>;
  /** Successful operations per second. */
  throughput: number;
  latency: LatencySummary;
  firstError?: string;
}

const MAX_IN_FLIGHT = 512;

const TSX = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

/**
 * The open-loop schedule of both fixed-rate runners: `fire(due)` at evenly spaced due times for
 * `durationS`, except while MAX_IN_FLIGHT are still waiting (that one is shed: the system fell
 * behind). Resolves once every fired operation has settled; answers how many were shed.
 */
async function openLoop(rate: number, durationS: number, fire: (due: number) => Promise<void>): Promise<{ shed: number }> {
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  const total = Math.round(rate * durationS);
  let inFlight = 0;
  let shed = 0;
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / rate;
    // Never before its due time: one sent early is timed from a due it has not reached, and a
    // fast answer came out shorter than it was (below zero at the median of a bare page). Node's
    // timers wake at millisecond steps, so each wake sends what has come due since the last one,
    // up to a millisecond late; that lateness is part of the latency measured.
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= MAX_IN_FLIGHT) {
      shed += 1;
      continue;
    }
    inFlight += 1;
    pending.push(fire(due).finally(() => (inFlight -= 1)));
  }
  await Promise.all(pending);
  return { shed };
}

function finish(
  mode: RunMode,
  durationS: number,
  latencies: number[],
  sent: number,
  failed: number,
  shed: number,
  statuses: Record<string, number>,
  firstError?: string,
): RunResult {
  return {
    mode: mode.kind,
    ...(mode.kind === 'fixed' ? { offeredRate: mode.rate } : { concurrency: mode.concurrency }),
    durationS,
    sent,
    ok: latencies.length,
    failed,
    shed,
    statuses,
    throughput: latencies.length / durationS,
    latency: summarize(latencies),
    ...(firstError ? { firstError } : {}),
  };
}

/** The connections a fixed-rate run sends over: kept alive, up to 128 at once. */
export function fixedRateAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 128 });
}

/**
 * Open loop over HTTP: `rate` requests a second for `durationS`, latency from when each was due.
 * Over `agent`'s connections if given (kept open for the caller's next run), else its own.
 */
async function fixedRateHttp(workload: HttpWorkload, rate: number, durationS: number, shared?: Agent): Promise<RunResult> {
  const agent = shared ?? fixedRateAgent();
  const base = new URL(workload.baseUrl);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let failed = 0;
  let firstError: string | undefined;

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      sent += 1;
      const spec = workload.next();
      const req = httpRequest(
        { host: base.hostname, port: base.port, method: spec.method, path: spec.path, headers: { ...spec.headers }, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            const ms = performance.now() - due;
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (workload.ok.includes(status)) latencies.push(ms);
            else failed += 1;
            resolve();
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout after 30 s')));
      req.on('error', (err) => {
        failed += 1;
        firstError ??= err.message;
        resolve();
      });
      if (spec.body !== undefined) req.setHeader('content-length', Buffer.byteLength(spec.body));
      req.end(spec.body);
    });

  // Stragglers may answer after the window; they still count (bounded by the 30 s timeout).
  const { shed } = await openLoop(rate, durationS, send);
  if (!shared) agent.destroy();
  return finish({ kind: 'fixed', rate }, durationS, latencies, sent, failed, shed, statuses, firstError);
}

/** Closed loop over HTTP with autocannon: `connections` clients as fast as answers come. */
async function saturationHttp(workload: HttpWorkload, connections: number, durationS: number): Promise<RunResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  let settle: (result: autocannon.Result) => void = () => undefined;
  let fail: (err: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: workload.baseUrl,
      connections,
      duration: durationS,
      timeout: 30,
      requests: [
        {
          setupRequest: (req) => {
            const spec = workload.next();
            return {
              ...req,
              method: spec.method,
              path: spec.path,
              headers: { ...spec.headers },
              ...(spec.body !== undefined ? { body: spec.body } : {}),
            };
          },
        },
      ],
    },
    (err, result) => (err ? fail(err) : settle(result)),
  );
  // The tracker passes the client first; @types/autocannon leaves it out.
  const onResponse = (_client: unknown, status: number, _bytes: number, ms: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (workload.ok.includes(status)) latencies.push(ms);
    else failed += 1;
  };
  (instance as unknown as NodeJS.EventEmitter).on('response', onResponse);
  instance.on('reqError', (err: unknown) => {
    failed += 1;
    firstError ??= String((err as Error)?.message ?? err);
  });
  const result = await done;
  const elapsedS = (performance.now() - started) / 1000;
  const sent = latencies.length + failed;
  return finish(
    { kind: 'saturation', concurrency: connections },
    Math.min(elapsedS, result.duration || durationS),
    latencies,
    sent,
    failed,
    0,
    statuses,
    firstError,
  );
}

/** Runs an HTTP workload from this process (the load process's part; see runHttp). */
export function runHttpHere(workload: HttpWorkload, mode: RunMode, durationS: number, agent?: Agent): Promise<RunResult> {
  return mode.kind === 'fixed'
    ? fixedRateHttp(workload, mode.rate, durationS, agent)
    : saturationHttp(workload, mode.concurrency, durationS);
}

/** Requests made up front for a saturation run, sent in turn (and again from the start when used up). */
const SATURATION_REQUESTS = 20_000;

/** What the load process is given on its stdin. */
export interface LoadOrder {
  baseUrl: string;
  ok: number[];
  requests: RequestSpec[];
  mode: RunMode;
  durationS: number;
}

/**
 * Runs an HTTP workload from a process of its own (load-process.ts), so that the timing of the
 * requests is not held up by this process's garbage collections: the benchmark's process holds
 * the loaded data set, and a major collection of its heap stopped the clock of every request due
 * meanwhile, the bare Express page's p99 at a fixed rate included (55.7 ms in one run, 7.4 in
 * another). The requests are made here, up front (the workload's pools live here): one per due
 * time at a fixed rate, a cycle of SATURATION_REQUESTS at saturation.
 */
export async function runHttp(workload: HttpWorkload, mode: RunMode, durationS: number): Promise<RunResult> {
  const count = mode.kind === 'fixed' ? Math.max(1, Math.round(mode.rate * durationS)) : SATURATION_REQUESTS;
  const requests = Array.from({ length: count }, () => workload.next());
  const order: LoadOrder = { baseUrl: workload.baseUrl, ok: workload.ok, requests, mode, durationS };
  const child = spawn(TSX, [join(__dirname, 'load-process.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  child.stdin.end(JSON.stringify(order));
  const code = await exited;
  if (code !== 0) throw new Error(`the load process for ${workload.name} exited with code ${code}`);
  const result = JSON.parse(out) as RunResult;
  // JSON has no NaN (the summary of no latencies): it came back as null.
  for (const [key, value] of Object.entries(result.latency)) if (value === null) Object.assign(result.latency, { [key]: Number.NaN });
  return result;
}

/** The same two schedules for work done in this process (a driver call, a sharp pipeline). */
export async function runInProcess(operation: () => Promise<void>, mode: RunMode, durationS: number): Promise<RunResult> {
  const latencies: number[] = [];
  let failed = 0;
  let sent = 0;
  let shed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + durationS * 1000;
  const once = async (from: number) => {
    sent += 1;
    try {
      await operation();
      latencies.push(performance.now() - from);
    } catch (err) {
      failed += 1;
      firstError ??= (err as Error).message;
    }
  };
  if (mode.kind === 'saturation') {
    await Promise.all(
      Array.from({ length: mode.concurrency }, async () => {
        while (performance.now() < deadline) await once(performance.now());
      }),
    );
  } else {
    ({ shed } = await openLoop(mode.rate, durationS, once));
  }
  const elapsed = mode.kind === 'saturation' ? (performance.now() - started) / 1000 : durationS;
  return finish(mode, elapsed, latencies, sent, failed, shed, {}, firstError);
}
