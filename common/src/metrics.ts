/**
 * One Prometheus registry per process, with the metrics every service shares: HTTP requests,
 * event handling and the outbox relay. Services add their own on `metrics.registry`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  eventsHandled: Counter<'event' | 'outcome'>;
  eventHandlingDuration: Histogram<'event'>;
  eventsPublished: Counter<'event'>;
  outboxPending: Gauge<'store'>;
  streamBytes: Gauge<'stream'>;
  streamMessages: Gauge<'stream'>;
  streamMaxBytes: Gauge<'stream'>;
  streamMaxAgeSeconds: Gauge<'stream'>;
  consumerPending: Gauge<'stream' | 'consumer'>;
  consumerRedelivered: Gauge<'stream' | 'consumer'>;
  consumerOldestUnackedAgeSeconds: Gauge<'stream' | 'consumer'>;
}

let shared: ServiceMetrics | undefined;

export function metrics(): ServiceMetrics {
  if (shared) return shared;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  shared = {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    eventsHandled: new Counter({
      name: 'events_handled_total',
      help: 'Events handled by this service, by outcome (ack, retry, dead-letter, stale)',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    eventHandlingDuration: new Histogram({
      name: 'event_handling_duration_seconds',
      help: 'Time spent in event handlers',
      labelNames: ['event'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'events_published_total',
      help: 'Events published to JetStream and acknowledged',
      labelNames: ['event'],
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'outbox_pending_events',
      help: "Outbox backlog after the relay's last batch: events (MySQL) or documents with events (MongoDB) not yet published",
      labelNames: ['store'],
      registers: [registry],
    }),
    // The stream limits monitor's (events/stream-limits.ts): use against each stream's limits.
    streamBytes: new Gauge({ name: 'jetstream_stream_bytes', help: 'Bytes a stream holds', labelNames: ['stream'], registers: [registry] }),
    streamMessages: new Gauge({
      name: 'jetstream_stream_messages',
      help: 'Messages a stream holds',
      labelNames: ['stream'],
      registers: [registry],
    }),
    streamMaxBytes: new Gauge({
      name: 'jetstream_stream_max_bytes',
      help: "A stream's byte limit (-1: none); past it the oldest messages are deleted",
      labelNames: ['stream'],
      registers: [registry],
    }),
    streamMaxAgeSeconds: new Gauge({
      name: 'jetstream_stream_max_age_seconds',
      help: "A stream's age limit (0: none); older messages are deleted",
      labelNames: ['stream'],
      registers: [registry],
    }),
    consumerPending: new Gauge({
      name: 'jetstream_consumer_pending_messages',
      help: "Messages not yet acknowledged by this service's consumer (undelivered plus in flight)",
      labelNames: ['stream', 'consumer'],
      registers: [registry],
    }),
    consumerRedelivered: new Gauge({
      name: 'jetstream_consumer_redelivered_messages',
      help: "Messages this service's consumer has delivered more than once and not yet acknowledged",
      labelNames: ['stream', 'consumer'],
      registers: [registry],
    }),
    consumerOldestUnackedAgeSeconds: new Gauge({
      name: 'jetstream_consumer_oldest_unacked_age_seconds',
      help: "Age of the oldest message this service's consumer has not acknowledged (0: none)",
      labelNames: ['stream', 'consumer'],
      registers: [registry],
    }),
  };
  return shared;
}
