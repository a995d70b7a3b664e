/**
 * JetStream consumer backlog. Durable consumers are named `<service>--<event>` (common's
 * Listener), so a consumer's name tells whose work it is. A service's backlog is, over its
 * consumers, the messages not yet delivered (num_pending) plus those delivered but not yet
 * acknowledged (num_ack_pending).
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { oldestUnackedAgeMs } from '@lumina/common';

export interface ConsumerBacklog {
  stream: string;
  /** The stream's name without the namespace prefix: USERS, POSTS, MEDIA_JOBS … */
  streamKind: string;
  consumer: string;
  service: string;
  pending: number;
  ackPending: number;
  /** Delivered more than once and not yet acknowledged: a handler failing, or processes dying mid-handle. */
  redelivered: number;
  /** Age of the oldest unacknowledged message (0: none); only when asked for (one read per filter subject). */
  oldestUnackedAgeMs?: number;
}

export interface BacklogReadOptions {
  /** Also read each lagging consumer's oldest unacknowledged message, for its age (status does; the autoscaler needs only counts). */
  withOldestAge?: boolean;
}

export interface BacklogSource {
  consumers(options?: BacklogReadOptions): Promise<ConsumerBacklog[]>;
  close(): Promise<void>;
}

export const STREAM_KINDS = ['USERS', 'POSTS', 'MEDIA', 'MEDIA_JOBS', 'DLQ'] as const;

/** Every Lumina consumer's backlog, in the streams named `<streamPrefix><kind>`. */
export async function readConsumerBacklog(
  jsm: JetStreamManager,
  streamPrefix = '',
  options: BacklogReadOptions = {},
): Promise<ConsumerBacklog[]> {
  const out: ConsumerBacklog[] = [];
  for (const kind of STREAM_KINDS) {
    const stream = `${streamPrefix}${kind}`;
    try {
      for await (const info of jsm.consumers.list(stream)) {
        const separator = info.name.indexOf('--');
        if (separator <= 0) continue; // not one of ours
        out.push({
          stream,
          streamKind: kind,
          consumer: info.name,
          service: info.name.slice(0, separator),
          pending: info.num_pending,
          ackPending: info.num_ack_pending,
          redelivered: info.num_redelivered,
          ...(options.withOldestAge ? { oldestUnackedAgeMs: await oldestUnackedAgeMs(jsm, info) } : {}),
        });
      }
    } catch (err) {
      if (!/not found/i.test(String((err as Error).message))) throw err; // not provisioned yet: no backlog
    }
  }
  return out;
}

/** The backlog of one service, optionally only in some streams (media-worker: MEDIA_JOBS). */
export function backlogOf(consumers: ConsumerBacklog[], service: string, streamKinds?: readonly string[]): number {
  return consumers
    .filter((c) => c.service === service && (!streamKinds || streamKinds.includes(c.streamKind)))
    .reduce((sum, c) => sum + c.pending + c.ackPending, 0);
}

export interface NatsLogin {
  user: string;
  pass: string;
}

/**
 * A BacklogSource on its own NATS connection, as the `ops` NATS user (it may read stream and
 * consumer state, nothing more: common/src/events/permissions.ts) when a login is given.
 */
export async function connectBacklogSource(servers: string, streamPrefix = '', login?: NatsLogin): Promise<BacklogSource> {
  const nc: NatsConnection = await connect({
    servers: servers.split(','),
    name: 'lumina-ops',
    maxReconnectAttempts: -1,
    // Replies come to the user's own inbox prefix, the only one it may read.
    ...(login ? { user: login.user, pass: login.pass, inboxPrefix: `_INBOX.${login.user}` } : {}),
  });
  const jsm = await jetstreamManager(nc);
  return {
    consumers: (options) => readConsumerBacklog(jsm, streamPrefix, options),
    close: async () => {
      if (!nc.isClosed()) await nc.close();
    },
  };
}
