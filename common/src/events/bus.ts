/**
 * The connection to NATS JetStream and the names of things in it. A namespace (subject and
 * stream prefixes) lets tests, and several Lumina installs on one NATS, live side by side.
 */
import {
  jetstream,
  jetstreamManager,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { STREAMS, type EventDefinition, type StreamName } from './catalogue';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from './stream-limits';

export interface EventNamespace {
  subjectPrefix: string;
  streamPrefix: string;
}

export const DEFAULT_NAMESPACE: EventNamespace = { subjectPrefix: 'lumina', streamPrefix: '' };

export interface EventBus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  ns: EventNamespace;
  log: Logger;
}

export function subjectFor(ns: EventNamespace, event: Pick<EventDefinition, 'type'>): string {
  return `${ns.subjectPrefix}.${event.type}`;
}

export function streamNameFor(ns: EventNamespace, stream: StreamName): string {
  return `${ns.streamPrefix}${stream}`;
}

/** The durable consumer a service's listener for an event shares across its replicas. */
export function durableNameFor(service: string, event: Pick<EventDefinition, 'type'>): string {
  return `${service}--${event.type.replace(/\./g, '-')}`;
}

/** The inbox prefix of a user's connection, so its NATS user may read only its own replies. */
export function inboxPrefixFor(user: string): string {
  return `_INBOX.${user}`;
}

/**
 * Whether a service keeps a stream's configuration (its limits) up to date, or only creates the
 * stream when it is missing: the owner does, and everyone for the DLQ, which nobody owns.
 */
export function updatesStream(service: string, stream: StreamName): boolean {
  return STREAMS[stream].owner === service || stream === 'DLQ';
}

export interface ConnectOptions {
  servers: string;
  name: string;
  ns?: EventNamespace;
  log: Logger;
  /** The NATS user (each service has its own, see permissions.ts) and its password. */
  user?: string;
  pass?: string;
}

/** The connection options of a service, from its configuration. */
export function busOptionsFrom(
  config: { NATS_URL: string; NATS_USER?: string; NATS_PASSWORD?: string; EVENT_SUBJECT_PREFIX: string; EVENT_STREAM_PREFIX: string },
  name: string,
  log: Logger,
): ConnectOptions {
  return {
    servers: config.NATS_URL,
    name,
    ns: { subjectPrefix: config.EVENT_SUBJECT_PREFIX, streamPrefix: config.EVENT_STREAM_PREFIX },
    log,
    user: config.NATS_USER,
    pass: config.NATS_PASSWORD,
  };
}

/** Connects with endless reconnects (a NATS restart is an outage to ride out, not a crash). */
export async function connectEventBus(options: ConnectOptions): Promise<EventBus> {
  const nc = await connect({
    servers: options.servers.split(','),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    pingInterval: 20_000,
    ...(options.user ? { user: options.user, pass: options.pass, inboxPrefix: inboxPrefixFor(options.user) } : {}),
  });
  const log = options.log;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') log.warn({ nats: status.type }, 'NATS connection status');
    }
  })();
  const jsm = await jetstreamManager(nc);
  return { nc, js: jetstream(nc), jsm, ns: options.ns ?? DEFAULT_NAMESPACE, log };
}

/** Drains (finishes what was sent and received) and closes; safe to call twice. */
export async function closeEventBus(bus: EventBus): Promise<void> {
  if (bus.nc.isClosed()) return;
  await bus.nc.drain().catch(() => bus.nc.close());
}

export interface StreamSettings {
  replicas: number;
  /** Window within which a repeated Nats-Msg-Id is dropped as a duplicate. */
  duplicateWindowMs?: number;
  /** Max age and bytes per stream; DEFAULT_STREAM_LIMITS when not given. */
  limits?: StreamLimits;
  /**
   * The provisioning service: it updates an existing stream only where updatesStream() says so
   * (its NATS user may not change other services' streams). Without it, every stream is updated.
   */
  service?: string;
}

/**
 * Creates or updates the named streams, with the configured retention limits: past its max age
 * or bytes a stream drops its oldest messages, so NATS's disk cannot fill up. MEDIA_JOBS is a
 * work queue.
 */
export async function provisionStreams(bus: EventBus, streams: StreamName[], settings: StreamSettings): Promise<void> {
  for (const stream of streams) {
    const spec = STREAMS[stream];
    const name = streamNameFor(bus.ns, stream);
    const limit = (settings.limits ?? DEFAULT_STREAM_LIMITS)[stream];
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: spec.subjects.map((s) => `${bus.ns.subjectPrefix}.${s}`),
      storage: StorageType.File,
      num_replicas: settings.replicas,
      retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      // JetStream refuses a duplicate window longer than the stream keeps its messages.
      duplicate_window: nanos(Math.min(settings.duplicateWindowMs ?? 10 * 60_000, limit.maxAgeMs || Infinity)),
      max_age: nanos(limit.maxAgeMs),
      max_bytes: limit.maxBytes,
    };
    try {
      await bus.jsm.streams.info(name);
      if (!settings.service || updatesStream(settings.service, stream)) await bus.jsm.streams.update(name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await bus.jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info and add.
        if (!String((addErr as Error).message).includes('already in use')) throw addErr;
      }
    }
  }
}

export function isNotFound(err: unknown): boolean {
  const message = String((err as Error)?.message ?? err);
  return message.includes('not found') || (err as { code?: unknown })?.code === 404;
}

/** Every stream name, for tools that provision everything at once (start-up, tests). */
export const ALL_STREAMS = Object.keys(STREAMS) as StreamName[];

/** The readiness check every service uses for NATS: connected, and the server answers a ping. */
export async function pingNats(bus: EventBus): Promise<void> {
  if (bus.nc.isClosed()) throw new Error('NATS connection is closed');
  await bus.nc.flush();
}
