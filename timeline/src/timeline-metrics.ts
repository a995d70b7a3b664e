/** This service's own Prometheus metrics, on the shared registry that /metrics serves. */
import { metrics } from '@lumina/common';
import { Counter, Gauge, Histogram } from 'prom-client';

export interface TimelineMetrics {
  fanoutEntries: Counter;
  fanoutDuration: Histogram<'mode'>;
  feedBuildDuration: Histogram;
  openStreams: Gauge;
  firstPages: Counter<'result'>;
}

let shared: TimelineMetrics | undefined;

export function timelineMetrics(): TimelineMetrics {
  if (shared) return shared;
  const registry = metrics().registry;
  shared = {
    fanoutEntries: new Counter({
      name: 'timeline_fanout_entries_total',
      help: 'Home timeline entries written by fan-out, backfill and own posts',
      registers: [registry],
    }),
    fanoutDuration: new Histogram({
      name: 'timeline_fanout_duration_seconds',
      help: 'Time from the start of a fan-out to its last entry, by mode (pushed to followers, or pulled at read time)',
      labelNames: ['mode'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    feedBuildDuration: new Histogram({
      name: 'timeline_feed_build_duration_seconds',
      help: "Time to build a missing home feed from MongoDB's copies (on a read, a follow or a post by a viewer without one)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    openStreams: new Gauge({
      name: 'timeline_open_streams',
      help: 'Server-Sent Event streams open on this replica',
      registers: [registry],
    }),
    firstPages: new Counter({
      name: 'timeline_first_pages_total',
      help: 'First home pages served, by result: kept (assembled earlier), assembled (and kept), or built (the feed itself was missing)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
  return shared;
}
