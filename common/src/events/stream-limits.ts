/**
 * Retention limits of the streams, and the monitor that watches them. Without limits a stream
 * keeps every message forever, NATS's disk fills and every outbox stalls; with them the oldest
 * messages go once a stream is older or larger than its limit — so a consumer that falls that
 * far behind loses messages, and the monitor warns (and exports metrics) before it gets there.
 */
import type { ConsumerInfo, JetStreamManager, MsgRequest } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { z } from 'zod';
import { metrics } from '../metrics';
import type { EventDefinition, StreamName } from './catalogue';
import { isNotFound, streamNameFor, type EventBus, type StreamSettings } from './bus';

export interface StreamLimit {
  /** Messages older than this are deleted; 0 keeps them forever. */
  maxAgeMs: number;
  /** Past this size the oldest messages are deleted; -1 is no limit. */
  maxBytes: number;
}
export type StreamLimits = Record<StreamName, StreamLimit>;

const HOUR_MS = 3600_000;
const GIB = 1024 ** 3;

export const DEFAULT_EVENT_STREAM_LIMIT: StreamLimit = { maxAgeMs: 7 * 24 * HOUR_MS, maxBytes: GIB };
/** Dead letters wait for an operator, who may be on holiday. */
export const DEFAULT_DLQ_LIMIT: StreamLimit = { maxAgeMs: 30 * 24 * HOUR_MS, maxBytes: GIB };

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  USERS: DEFAULT_EVENT_STREAM_LIMIT,
  POSTS: DEFAULT_EVENT_STREAM_LIMIT,
  MEDIA: DEFAULT_EVENT_STREAM_LIMIT,
  MEDIA_JOBS: DEFAULT_EVENT_STREAM_LIMIT,
  DLQ: DEFAULT_DLQ_LIMIT,
};

/** STREAM_LIMITS: per-stream overrides, e.g. `{"USERS": {"maxAgeHours": 720, "maxBytes": 4294967296}}`. */
export const streamLimitsOverrides = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (!text) return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not JSON' });
      return z.NEVER;
    }
  })
  .pipe(
    z.partialRecord(
      z.enum(['USERS', 'POSTS', 'MEDIA', 'MEDIA_JOBS', 'DLQ']),
      z.object({ maxAgeHours: z.number().min(0).optional(), maxBytes: z.number().int().min(-1).optional() }).strict(),
    ),
  );

export interface StreamLimitsConfig {
  STREAM_MAX_AGE_HOURS: number;
  STREAM_MAX_BYTES: number;
  DLQ_MAX_AGE_HOURS: number;
  DLQ_MAX_BYTES: number;
  STREAM_LIMITS: z.infer<typeof streamLimitsOverrides>;
}

export function streamLimitsFrom(config: StreamLimitsConfig): StreamLimits {
  const event = { maxAgeMs: config.STREAM_MAX_AGE_HOURS * HOUR_MS, maxBytes: config.STREAM_MAX_BYTES };
  const dlq = { maxAgeMs: config.DLQ_MAX_AGE_HOURS * HOUR_MS, maxBytes: config.DLQ_MAX_BYTES };
  const limits: StreamLimits = { USERS: event, POSTS: event, MEDIA: event, MEDIA_JOBS: event, DLQ: dlq };
  for (const [stream, override] of Object.entries(config.STREAM_LIMITS) as Array<
    [StreamName, { maxAgeHours?: number; maxBytes?: number }]
  >) {
    limits[stream] = {
      maxAgeMs: override.maxAgeHours === undefined ? limits[stream].maxAgeMs : override.maxAgeHours * HOUR_MS,
      maxBytes: override.maxBytes ?? limits[stream].maxBytes,
    };
  }
  return limits;
}

/** What provisionStreams needs from a service's configuration. */
export function streamSettingsFrom(config: StreamLimitsConfig & { STREAM_REPLICAS: number }, service: string): StreamSettings {
  return { replicas: config.STREAM_REPLICAS, limits: streamLimitsFrom(config), service };
}

/** A consumer the monitor watches: a Listener has these. */
export interface WatchedConsumer {
  readonly event: EventDefinition;
  readonly durableName: string;
  readonly streamName: string;
}

export interface StreamLimitsMonitorOptions {
  streams: StreamName[];
  consumers: readonly WatchedConsumer[];
  log: Logger;
  intervalMs?: number;
  /** Warn once a stream or a consumer's oldest unacknowledged message reaches this share of a limit. */
  warnRatio?: number;
}

export interface StreamUsage {
  stream: string;
  bytes: number;
  messages: number;
  maxBytes: number;
  maxAgeMs: number;
}

export interface ConsumerLag {
  stream: string;
  consumer: string;
  /** Not yet delivered plus delivered and not yet acknowledged. */
  pending: number;
  /** Delivered more than once and not yet acknowledged: handlers failing, or processes dying mid-handle. */
  redelivered: number;
  /** Age of the oldest message the consumer has not acknowledged; 0 when it has none. */
  oldestUnackedAgeMs: number;
}

export interface LimitsReport {
  streams: StreamUsage[];
  consumers: ConsumerLag[];
  warnings: string[];
}

/**
 * Every interval, reads the streams a service provisions and the consumers it runs: exports
 * their use against the limits as metrics and logs a warning for a stream over warnRatio of its
 * bytes, or a consumer whose oldest unacknowledged message is older than warnRatio of max_age.
 */
export class StreamLimitsMonitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly intervalMs: number;
  private readonly warnRatio: number;

  constructor(
    private readonly bus: EventBus,
    private readonly options: StreamLimitsMonitorOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.warnRatio = options.warnRatio ?? 0.8;
  }

  start(): void {
    const tick = () => {
      this.running = this.check().catch((err: unknown) => this.options.log.warn({ err }, 'could not read stream limits'));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async check(): Promise<LimitsReport> {
    const m = metrics();
    const report: LimitsReport = { streams: [], consumers: [], warnings: [] };
    const maxAgeOf = new Map<string, number>();
    for (const kind of this.options.streams) {
      const name = streamNameFor(this.bus.ns, kind);
      let info;
      try {
        info = await this.bus.jsm.streams.info(name);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      const usage: StreamUsage = {
        stream: name,
        bytes: info.state.bytes,
        messages: info.state.messages,
        maxBytes: info.config.max_bytes,
        maxAgeMs: info.config.max_age / 1e6,
      };
      maxAgeOf.set(name, usage.maxAgeMs);
      report.streams.push(usage);
      m.streamBytes.set({ stream: name }, usage.bytes);
      m.streamMessages.set({ stream: name }, usage.messages);
      m.streamMaxBytes.set({ stream: name }, usage.maxBytes);
      m.streamMaxAgeSeconds.set({ stream: name }, usage.maxAgeMs / 1000);
      if (usage.maxBytes > 0 && usage.bytes >= this.warnRatio * usage.maxBytes) {
        const warning = `stream ${name} holds ${usage.bytes} of its ${usage.maxBytes} bytes: its oldest messages are deleted soon, read or not`;
        report.warnings.push(warning);
        this.options.log.warn({ stream: name, bytes: usage.bytes, maxBytes: usage.maxBytes }, warning);
      }
    }
    for (const consumer of this.options.consumers) {
      const lag = await this.lagOf(consumer);
      if (!lag) continue;
      report.consumers.push(lag);
      m.consumerPending.set({ stream: lag.stream, consumer: lag.consumer }, lag.pending);
      m.consumerRedelivered.set({ stream: lag.stream, consumer: lag.consumer }, lag.redelivered);
      m.consumerOldestUnackedAgeSeconds.set({ stream: lag.stream, consumer: lag.consumer }, lag.oldestUnackedAgeMs / 1000);
      const maxAgeMs = maxAgeOf.get(lag.stream) ?? 0;
      if (maxAgeMs > 0 && lag.oldestUnackedAgeMs >= this.warnRatio * maxAgeMs) {
        const warning =
          `consumer ${lag.consumer} is ${Math.round(lag.oldestUnackedAgeMs / 1000)} s behind on ${lag.stream}, ` +
          `whose messages are deleted after ${Math.round(maxAgeMs / 1000)} s: it will miss messages unless it catches up`;
        report.warnings.push(warning);
        this.options.log.warn(
          { stream: lag.stream, consumer: lag.consumer, oldestUnackedAgeMs: lag.oldestUnackedAgeMs, maxAgeMs },
          warning,
        );
      }
    }
    return report;
  }

  private async lagOf(consumer: WatchedConsumer): Promise<ConsumerLag | undefined> {
    let info;
    try {
      info = await this.bus.jsm.consumers.info(consumer.streamName, consumer.durableName);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return {
      stream: consumer.streamName,
      consumer: consumer.durableName,
      pending: info.num_pending + info.num_ack_pending,
      redelivered: info.num_redelivered,
      oldestUnackedAgeMs: await oldestUnackedAgeMs(this.bus.jsm, info),
    };
  }
}

/**
 * The age of the oldest message a consumer has not acknowledged, 0 when it has none: everything
 * up to the ack floor is acknowledged, so it is the first message after it on one of the
 * consumer's filter subjects (a listener's are the event's and its replay subject).
 */
export async function oldestUnackedAgeMs(jsm: JetStreamManager, info: ConsumerInfo): Promise<number> {
  if (info.num_pending + info.num_ack_pending === 0) return 0;
  const subjects = info.config.filter_subjects ?? (info.config.filter_subject ? [info.config.filter_subject] : ['>']);
  let oldest: number | undefined;
  for (const subject of subjects) {
    try {
      // The server's STREAM.MSG.GET takes next_by_subj (the first match at or after seq); the
      // client's type only lists it for direct gets, which would need allow_direct on the stream.
      const query = { seq: info.ack_floor.stream_seq + 1, next_by_subj: subject };
      const found = await jsm.streams.getMessage(info.stream_name, query as unknown as MsgRequest);
      if (found) oldest = Math.min(oldest ?? Infinity, found.time.getTime());
    } catch (err) {
      if (!isNotFound(err) && !/no message found/i.test(String((err as Error).message))) throw err;
    }
  }
  return oldest === undefined ? 0 : Math.max(0, Date.now() - oldest);
}
