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
      help: 'Events written to the outbox and not yet published, as last seen by the relay',
      labelNames: ['store'],
      registers: [registry],
    }),
  };
  return shared;
}
