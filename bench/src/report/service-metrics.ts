/**
 * What the services say about themselves (GET /metrics on each one's own port, Prometheus text):
 * events handled by outcome and the mean time in each handler, and the mean time each route
 * spent inside the service. Read once at the end of the run, so the figures cover all of it.
 */

export interface EventFigures {
  service: string;
  event: string;
  handled: number;
  /** Outcome → count (ack, retry, dead-letter, stale). */
  outcomes: Record<string, number>;
  meanMs: number;
}

export interface RouteFigures {
  service: string;
  route: string;
  requests: number;
  meanMs: number;
}

export interface ServiceMetricsSnapshot {
  events: EventFigures[];
  routes: RouteFigures[];
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export async function scrapeServices(services: Record<string, string>): Promise<ServiceMetricsSnapshot> {
  const events: EventFigures[] = [];
  const routes: RouteFigures[] = [];
  for (const [service, url] of Object.entries(services)) {
    let text: string;
    try {
      text = await (await fetch(`${url}/metrics`)).text();
    } catch {
      continue;
    }
    const samples = parsePrometheus(text);
    const byEvent = new Map<string, EventFigures>();
    const eventOf = (event: string) => {
      let figures = byEvent.get(event);
      if (!figures) byEvent.set(event, (figures = { service, event, handled: 0, outcomes: {}, meanMs: Number.NaN }));
      return figures;
    };
    const time = new Map<string, { sum: number; count: number }>();
    for (const s of samples) {
      const event = s.labels.event;
      if (!event) continue;
      if (s.name === 'events_handled_total') {
        const figures = eventOf(event);
        figures.handled += s.value;
        const outcome = s.labels.outcome ?? '?';
        figures.outcomes[outcome] = (figures.outcomes[outcome] ?? 0) + s.value;
      } else if (s.name === 'event_handling_duration_seconds_sum' || s.name === 'event_handling_duration_seconds_count') {
        const entry = time.get(event) ?? { sum: 0, count: 0 };
        if (s.name.endsWith('_sum')) entry.sum += s.value;
        else entry.count += s.value;
        time.set(event, entry);
      }
    }
    for (const [event, { sum, count }] of time) if (count > 0) eventOf(event).meanMs = (sum / count) * 1000;
    events.push(...byEvent.values());

    const routeSums = new Map<string, { sum: number; count: number }>();
    for (const s of samples) {
      if (!s.name.startsWith('http_request_duration_seconds_') || !s.labels.route || !s.labels.status?.startsWith('2')) continue;
      const key = `${s.labels.method} ${s.labels.route}`;
      const entry = routeSums.get(key) ?? { sum: 0, count: 0 };
      if (s.name.endsWith('_sum')) entry.sum += s.value;
      if (s.name.endsWith('_count')) entry.count += s.value;
      routeSums.set(key, entry);
    }
    for (const [route, { sum, count }] of routeSums) {
      if (count > 0 && !/healthz|readyz|metrics/.test(route))
        routes.push({ service, route, requests: count, meanMs: (sum / count) * 1000 });
    }
  }
  return { events, routes };
}
