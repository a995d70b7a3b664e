/**
 * The fault injector: on a seeded random schedule it SIGKILLs each service at its worst moment
 * (a producer right after it acknowledged a write, a consumer while it holds unacknowledged
 * messages, media while a processing job is taken), restarts NATS, and injects duplicates and
 * reordering by republishing past events straight into JetStream under new message ids (so
 * JetStream's duplicate window cannot drop them and only the consumers' version checks can).
 */
import type { ChaosSystem } from './system';

export const FAULT_KINDS = [
  'kill-auth-after-commit',
  'kill-posts-after-commit',
  'kill-media-mid-job',
  'kill-posts-mid-handle',
  'kill-search-mid-handle',
  'kill-timeline-mid-handle',
  'restart-nats',
  'duplicate-events',
  'reorder-events',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * How a fault went. Only `at-moment` counts as one of its kind: a kill at its moment, a NATS
 * restart, events actually republished. A kill that found no moment still killed (and restarted)
 * the service; an injection with too few events to republish did nothing; either way the fault
 * goes back on the schedule, as does one that failed (up to MAX_ATTEMPTS tries in all).
 */
export type FaultOutcome = 'at-moment' | 'no-moment' | 'not-possible' | 'failed';

/** Tries of one scheduled fault, its first included, before the injector gives up on it. */
const MAX_ATTEMPTS = 5;

export interface FaultRecord {
  kind: FaultKind;
  outcome: FaultOutcome;
  /** Milliseconds since the injector started. */
  atMs: number;
  /** What the moment was: "after a follow was acknowledged", "3 messages unacknowledged", … */
  moment: string;
  /** How long the fault took, restart included. */
  ms: number;
  error?: string;
}

/** The streams whose events are republished (MEDIA_JOBS is media's internal queue, DLQ not events). */
const EVENT_STREAMS = ['USERS', 'POSTS', 'MEDIA'];

export interface InjectorOptions {
  random: () => number;
  /** How many of each kind. */
  perKind: number;
  /** Faults running at once (never two on one service, and NATS restarts alone). */
  lanes: number;
  /** Pause between two faults of a lane, at most (a random share of it). */
  maxGapMs: number;
  /**
   * How long a killed service is left alone once it is back, so that it serves traffic between
   * its faults: without it, on a busy machine where a restart takes 20–30 s, the posts service
   * (two kill kinds) was down for most of a run and few posts were made to check.
   */
  restMs?: number;
}

export class FaultInjector {
  readonly records: FaultRecord[] = [];
  /** Messages republished straight into JetStream (not produced by the services). */
  injectedMessages = 0;
  private readonly armed = new Map<string, (what: string) => void>();
  private readonly busy = new Set<string>();
  /** When each service killed last may be killed again (see `restMs`). */
  private readonly restingUntil = new Map<string, number>();
  private started = 0;
  private readonly schedule: Array<{ kind: FaultKind; attempt: number }>;
  private stopped = false;

  constructor(
    private readonly chaos: ChaosSystem,
    private readonly options: InjectorOptions,
  ) {
    const all = shuffled(
      FAULT_KINDS.flatMap((kind) => Array.from({ length: options.perKind }, () => kind)),
      options.random,
    );
    this.schedule = all.map((kind) => ({ kind, attempt: 1 }));
  }

  /** How many faults the schedule holds in all. */
  get planned(): number {
    return FAULT_KINDS.length * this.options.perKind;
  }

  /** The workload's hook: a write `service` just acknowledged; a producer kill waiting for one fires. */
  acknowledged(service: string, kind: string): void {
    const fire = this.armed.get(service);
    if (!fire) return;
    this.armed.delete(service);
    fire(`right after a ${kind} was acknowledged`);
  }

  /** Runs the whole schedule; resolves when every fault is done and its service is back. */
  async run(): Promise<void> {
    this.started = Date.now();
    await Promise.all(
      Array.from({ length: this.options.lanes }, async () => {
        while (!this.stopped) {
          const fault = await this.next();
          if (!fault) return;
          const outcome = await this.inject(fault.kind);
          // Tried again later, when the moment (or enough events) may have come.
          if (outcome !== 'at-moment' && fault.attempt < MAX_ATTEMPTS) this.schedule.push({ kind: fault.kind, attempt: fault.attempt + 1 });
          await sleep(this.options.random() * this.options.maxGapMs);
        }
      }),
    );
  }

  stop(): void {
    this.stopped = true;
  }

  /** Faults carried out at their moment, by kind: the figure the report holds to `perKind`. */
  countsByKind(outcome: FaultOutcome = 'at-moment'): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
    for (const r of this.records) if (r.outcome === outcome) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    return counts;
  }

  /** The next fault whose target is free; waits while every remaining one's target is busy. */
  private async next(): Promise<{ kind: FaultKind; attempt: number } | undefined> {
    // A lane still injecting may put its fault back on the schedule: wait for it too.
    while ((this.schedule.length > 0 || this.busy.size > 0) && !this.stopped) {
      const at = this.schedule.findIndex(({ kind }) => this.canStart(kind));
      if (at >= 0) {
        const fault = this.schedule.splice(at, 1)[0]!;
        // Taken at once, in the same turn, so no other lane picks the same target.
        this.busy.add(targetOf(fault.kind));
        return fault;
      }
      await sleep(100);
    }
    return undefined;
  }

  private canStart(kind: FaultKind): boolean {
    if (this.busy.has('nats')) return false;
    if (kind === 'restart-nats') return this.busy.size === 0;
    const target = targetOf(kind);
    return !this.busy.has(target) && Date.now() >= (this.restingUntil.get(target) ?? 0);
  }

  private async inject(kind: FaultKind): Promise<FaultOutcome> {
    const target = targetOf(kind);
    const atMs = Date.now() - this.started;
    const began = Date.now();
    try {
      const { outcome, moment } = await this.carryOut(kind);
      this.records.push({ kind, outcome, atMs, moment, ms: Date.now() - began });
      return outcome;
    } catch (err) {
      this.records.push({ kind, outcome: 'failed', atMs, moment: '', ms: Date.now() - began, error: (err as Error).message });
      return 'failed';
    } finally {
      this.busy.delete(target);
      if (kind.startsWith('kill-')) this.restingUntil.set(target, Date.now() + (this.options.restMs ?? 0));
    }
  }

  private async carryOut(kind: FaultKind): Promise<{ outcome: FaultOutcome; moment: string }> {
    switch (kind) {
      case 'kill-auth-after-commit':
        return this.killAfterCommit('auth');
      case 'kill-posts-after-commit':
        return this.killAfterCommit('posts');
      case 'kill-media-mid-job':
        return this.killMidHandle('media', (stream) => stream.endsWith('MEDIA_JOBS'));
      case 'kill-posts-mid-handle':
        return this.killMidHandle('posts');
      case 'kill-search-mid-handle':
        return this.killMidHandle('search');
      case 'kill-timeline-mid-handle':
        return this.killMidHandle('timeline');
      case 'restart-nats': {
        const downtime = Math.floor(this.options.random() * 1500);
        await this.chaos.nats.restart(downtime);
        return { outcome: 'at-moment', moment: `down ${downtime} ms` };
      }
      case 'duplicate-events':
        return this.duplicate();
      case 'reorder-events':
        return this.reorder();
    }
  }

  /** SIGKILL as soon as the service acknowledges a write (or after 15 s without one). */
  private async killAfterCommit(service: string): Promise<{ outcome: FaultOutcome; moment: string }> {
    const proc = this.process(service);
    const found = await new Promise<{ outcome: FaultOutcome; moment: string }>((resolve) => {
      const timer = setTimeout(() => {
        this.armed.delete(service);
        resolve({ outcome: 'no-moment', moment: 'no write acknowledged within 15 s' });
      }, 15_000);
      this.armed.set(service, (what) => {
        clearTimeout(timer);
        // In the same turn as the answer: the event may still sit in the outbox.
        proc.child?.kill('SIGKILL');
        resolve({ outcome: 'at-moment', moment: what });
      });
    });
    await this.restart(service);
    return found;
  }

  /** SIGKILL while one of the service's consumers has messages taken and not acknowledged. */
  private async killMidHandle(
    service: string,
    streamFilter: (stream: string) => boolean = () => true,
  ): Promise<{ outcome: FaultOutcome; moment: string }> {
    const consumers = await retry(() => this.consumersOf(service, streamFilter));
    const deadline = Date.now() + 15_000;
    let found: { outcome: FaultOutcome; moment: string } = { outcome: 'no-moment', moment: 'no message in hand within 15 s' };
    while (Date.now() < deadline) {
      const infos = await Promise.all(consumers.map((c) => this.chaos.admin.jsm.consumers.info(c.stream, c.name).catch(() => undefined)));
      const holding = infos.filter((i) => i && i.num_ack_pending > 0);
      if (holding.length > 0) {
        this.process(service).child?.kill('SIGKILL');
        found = { outcome: 'at-moment', moment: holding.map((i) => `${i!.name} holding ${i!.num_ack_pending}`).join(', ') };
        break;
      }
      await sleep(20);
    }
    await this.restart(service);
    return found;
  }

  private async consumersOf(service: string, streamFilter: (stream: string) => boolean): Promise<Array<{ stream: string; name: string }>> {
    const found: Array<{ stream: string; name: string }> = [];
    for await (const stream of this.chaos.admin.jsm.streams.names()) {
      if (!stream.startsWith(this.chaos.namespace.streamPrefix) || !streamFilter(stream)) continue;
      for await (const info of this.chaos.admin.jsm.consumers.list(stream)) {
        if (info.name.startsWith(`${service}--`)) found.push({ stream, name: info.name });
      }
    }
    return found;
  }

  /** Waits for the killed process to be gone, then starts it again and waits until it is ready. */
  private async restart(service: string): Promise<void> {
    const proc = this.process(service);
    await proc.stop('SIGKILL');
    await proc.waitUntilSilent();
    await sleep(Math.floor(this.options.random() * 1000));
    proc.start();
    await proc.waitUntilReady(180_000);
  }

  private process(service: string) {
    const proc = this.chaos.system.processes.get(service);
    if (!proc) throw new Error(`no service ${service}`);
    return proc;
  }

  /**
   * An event stream (in a seeded random order) holding at least `least` events, with its bounds;
   * none yet early in a run, before anyone posted.
   */
  private async streamWith(least: number): Promise<{ stream: string; first: number; last: number } | undefined> {
    for (const name of shuffled(EVENT_STREAMS, this.options.random)) {
      const stream = this.streamName(name);
      const { first, last } = await this.bounds(stream);
      if (first > 0 && last - first + 1 >= least) return { stream, first, last };
    }
    return undefined;
  }

  /** Republishes one to three past events, each under a new message id. */
  private async duplicate(): Promise<{ outcome: FaultOutcome; moment: string }> {
    const found = await this.streamWith(1);
    if (!found) return { outcome: 'not-possible', moment: 'no event stream holds an event yet' };
    const { stream, first, last } = found;
    const count = 1 + Math.floor(this.options.random() * 3);
    const done: number[] = [];
    // A sequence JetStream will not hand out (answered "bad request") is skipped for another one.
    for (let tries = 0; done.length < count && tries < count * 5; tries++) {
      const seq = first + Math.floor(this.options.random() * (last - first + 1));
      if (await this.republish(stream, seq)) done.push(seq);
    }
    if (done.length === 0) throw new Error(`no event of ${stream} could be read`);
    return { outcome: 'at-moment', moment: `${stream} #${done.join(', #')}` };
  }

  /** Republishes a run of three to six past events, newest first (old ones out of order). */
  private async reorder(): Promise<{ outcome: FaultOutcome; moment: string }> {
    const wanted = 3 + Math.floor(this.options.random() * 4);
    const found = await this.streamWith(wanted);
    if (!found) return { outcome: 'not-possible', moment: `no event stream holds ${wanted} events yet` };
    const { stream, first, last } = found;
    const length = wanted;
    const start = first + Math.floor(this.options.random() * (last - first + 2 - length));
    const seqs = Array.from({ length }, (_, i) => start + length - 1 - i);
    for (const seq of seqs) await this.republish(stream, seq);
    return { outcome: 'at-moment', moment: `${stream} #${seqs.join(', #')}` };
  }

  private streamName(stream: string): string {
    return `${this.chaos.namespace.streamPrefix}${stream}`;
  }

  private async bounds(stream: string): Promise<{ first: number; last: number }> {
    const info = await retry(() => this.chaos.admin.jsm.streams.info(stream));
    return { first: info.state.first_seq, last: info.state.last_seq };
  }

  /** Answers whether the event at `seq` was republished (false: JetStream would not hand it out). */
  private async republish(stream: string, seq: number): Promise<boolean> {
    const msg = await this.chaos.admin.jsm.streams.getMessage(stream, { seq }).catch(async (err: Error) => {
      if (/bad request|no message|not found/i.test(err.message)) return null;
      return retry(() => this.chaos.admin.jsm.streams.getMessage(stream, { seq }));
    });
    if (!msg) return false;
    this.injectedMessages += 1;
    const msgID = `chaos-${stream}-${seq}-${this.injectedMessages}`;
    await retry(() => this.chaos.admin.js.publish(msg.subject, msg.data, { msgID }));
    return true;
  }
}

/** Fisher–Yates with the run's seed: the same order for the same seed. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const all = [...items];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

function targetOf(kind: FaultKind): string {
  if (kind === 'restart-nats') return 'nats';
  if (kind === 'duplicate-events' || kind === 'reorder-events') return kind;
  return kind.split('-')[1]!;
}

/** Rides out a NATS restart: tries again for up to 60 s. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
