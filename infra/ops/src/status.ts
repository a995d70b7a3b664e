/**
 * `lumina-ops status`: each Deployment's replicas, what scales it, and its consumers' backlog;
 * then per service and consumer the messages pending, those delivered and not yet acknowledged,
 * those delivered more than once, and the age of the oldest unacknowledged one.
 */
import { backlogOf, type ConsumerBacklog } from './backlog';
import { DEPLOYMENTS } from './deployments';
import { table } from './dlq';
import type { AutoscalerSummary, DeploymentSummary } from './kube';

export interface StatusInput {
  deployments: DeploymentSummary[];
  autoscalers: AutoscalerSummary[];
  /** Undefined when NATS could not be asked; the reason is in backlogError. */
  consumers?: ConsumerBacklog[];
  backlogError?: string;
  /** Deployments the backlog autoscaler owns, with their streams filter. */
  backlogTargets: Array<{ deployment: string; service: string; streams?: string[]; min: number; max: number }>;
}

export interface StatusRow {
  deployment: string;
  ready: string;
  desired: number;
  scaler: string;
  backlog: string;
}

export function statusRows(input: StatusInput): StatusRow[] {
  return input.deployments.map((d) => {
    const hpa = input.autoscalers.find((h) => h.target === d.name);
    const target = input.backlogTargets.find((t) => t.deployment === d.name);
    const scaler = hpa ? `hpa ${hpa.min}-${hpa.max} (wants ${hpa.desired})` : target ? `backlog ${target.min}-${target.max}` : 'fixed';
    // media and media-worker share the `media` consumers: the worker's are MEDIA_JOBS, the rest the API's.
    const service = DEPLOYMENTS[d.name] ?? undefined;
    let backlog = '-';
    if (service && input.consumers) {
      const streams = target?.streams;
      const value = streams
        ? backlogOf(input.consumers, service, streams)
        : backlogOf(
            input.consumers.filter(
              (c) =>
                !input.backlogTargets.some((t) => t.deployment !== d.name && t.service === service && t.streams?.includes(c.streamKind)),
            ),
            service,
          );
      backlog = String(value);
    } else if (service) {
      backlog = '?';
    }
    return { deployment: d.name, ready: `${d.ready}/${d.desired}`, desired: d.desired, scaler, backlog };
  });
}

/** 0 → `-` (nothing waiting), else the largest two units: `45s`, `3m20s`, `2h05m`, `3d04h`. */
export function formatAge(ms: number): string {
  if (ms <= 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const [m, h, d] = [Math.floor(s / 60), Math.floor(s / 3600), Math.floor(s / 86400)];
  const two = (n: number) => String(n).padStart(2, '0');
  if (h === 0) return `${m}m${two(s % 60)}s`;
  if (d === 0) return `${h}h${two(m % 60)}m`;
  return `${d}d${two(h % 24)}h`;
}

export function formatStatus(input: StatusInput): string {
  const rows = statusRows(input);
  const parts = [
    table(
      ['DEPLOYMENT', 'READY', 'SCALER', 'BACKLOG'],
      rows.map((r) => [r.deployment, r.ready, r.scaler, r.backlog]),
    ),
  ];
  if (input.consumers && input.consumers.length > 0) {
    parts.push(
      table(
        ['SERVICE', 'CONSUMER', 'STREAM', 'PENDING', 'ACK PENDING', 'REDELIVERED', 'OLDEST UNACKED'],
        [...input.consumers]
          .sort((a, b) => a.service.localeCompare(b.service) || a.consumer.localeCompare(b.consumer))
          .map((c) => [
            c.service,
            c.consumer,
            c.stream,
            String(c.pending),
            String(c.ackPending),
            String(c.redelivered),
            c.oldestUnackedAgeMs === undefined ? '?' : formatAge(c.oldestUnackedAgeMs),
          ]),
      ),
    );
  }
  if (input.backlogError) parts.push(`backlog: ${input.backlogError}`);
  return `${parts.join('\n\n')}\n`;
}
