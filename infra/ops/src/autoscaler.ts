/**
 * The backlog autoscaler: every interval, for each target Deployment, it reads the JetStream
 * backlog of the target's consumers and the Deployment's replica count, and moves the count
 * toward ceil(backlog / backlogPerReplica) within [min, max]. Up at once; down only after the
 * backlog has wanted fewer replicas for the whole cool-down. When it cannot read the backlog or
 * the count, or the update fails, it leaves the count as it is and tries again next time.
 */
import { backlogOf, type ConsumerBacklog } from './backlog';
import type { Scale } from './kube';

export interface AutoscaleTarget {
  deployment: string;
  /** Whose consumers (`<service>--…`) count. */
  service: string;
  /** Only consumers on these streams (by kind: MEDIA_JOBS …); all when absent. */
  streams?: string[];
  min: number;
  max: number;
  backlogPerReplica: number;
}

export interface AutoscalerConfig {
  intervalSeconds: number;
  cooldownSeconds: number;
  targets: AutoscaleTarget[];
}

/** The scale subresource calls the autoscaler needs (its Role allows nothing more). */
export interface ScaleApi {
  getScale(deployment: string): Promise<Scale>;
  setScale(deployment: string, replicas: number, resourceVersion?: string): Promise<void>;
}

export type Action = 'scaled-up' | 'scaled-down' | 'steady' | 'cooling-down' | 'skipped';

export interface Decision {
  deployment: string;
  action: Action;
  backlog?: number;
  current?: number;
  wanted?: number;
  reason?: string;
}

function positiveInt(value: unknown, what: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new Error(`${what} must be an integer ≥ ${min}`);
  return value;
}

/** Checks a parsed autoscaler.json (the ConfigMap); throws naming the first fault. */
export function parseAutoscalerConfig(raw: unknown): AutoscalerConfig {
  const c = (raw ?? {}) as Record<string, unknown>;
  if (!Array.isArray(c.targets) || c.targets.length === 0) throw new Error('targets must be a non-empty array');
  const targets = c.targets.map((t: unknown, i: number): AutoscaleTarget => {
    const o = (t ?? {}) as Record<string, unknown>;
    const where = `targets[${i}]`;
    if (typeof o.deployment !== 'string' || !o.deployment) throw new Error(`${where}.deployment is required`);
    if (typeof o.service !== 'string' || !o.service) throw new Error(`${where}.service is required`);
    if (o.streams !== undefined && !(Array.isArray(o.streams) && o.streams.every((s) => typeof s === 'string'))) {
      throw new Error(`${where}.streams must be a list of stream names`);
    }
    const min = positiveInt(o.min, `${where}.min`, 0);
    const max = positiveInt(o.max, `${where}.max`, 1);
    if (min > max) throw new Error(`${where}: min (${min}) is above max (${max})`);
    return {
      deployment: o.deployment,
      service: o.service,
      ...(o.streams ? { streams: o.streams as string[] } : {}),
      min,
      max,
      backlogPerReplica: positiveInt(o.backlogPerReplica, `${where}.backlogPerReplica`),
    };
  });
  return {
    intervalSeconds: positiveInt(c.intervalSeconds ?? 15, 'intervalSeconds'),
    cooldownSeconds: positiveInt(c.cooldownSeconds ?? 300, 'cooldownSeconds', 0),
    targets,
  };
}

/** The count a backlog asks for, within the target's bounds. */
export function wantedReplicas(target: AutoscaleTarget, backlog: number): number {
  return Math.min(target.max, Math.max(target.min, Math.ceil(backlog / target.backlogPerReplica)));
}

export interface AutoscalerOptions {
  config: AutoscalerConfig;
  scale: ScaleApi;
  backlog: () => Promise<ConsumerBacklog[]>;
  now?: () => number;
  onDecision?: (decision: Decision) => void;
}

export class BacklogAutoscaler {
  /** Since when each Deployment's backlog has wanted fewer replicas than it has. */
  private readonly lowSince = new Map<string, number>();
  private readonly now: () => number;
  /** The last decision per Deployment, for /metrics and /readyz. */
  readonly last = new Map<string, Decision>();
  lastTickAt?: number;
  lastTickOk = false;

  constructor(private readonly options: AutoscalerOptions) {
    this.now = options.now ?? Date.now;
  }

  get config(): AutoscalerConfig {
    return this.options.config;
  }

  async tick(): Promise<Decision[]> {
    let consumers: ConsumerBacklog[] | undefined;
    let backlogError: string | undefined;
    try {
      consumers = await this.options.backlog();
    } catch (err) {
      backlogError = `backlog unavailable: ${(err as Error).message}`;
    }
    const decisions: Decision[] = [];
    for (const target of this.options.config.targets) {
      const decision = consumers
        ? await this.decide(target, backlogOf(consumers, target.service, target.streams))
        : { deployment: target.deployment, action: 'skipped' as const, reason: backlogError };
      this.last.set(target.deployment, decision);
      this.options.onDecision?.(decision);
      decisions.push(decision);
    }
    this.lastTickAt = this.now();
    this.lastTickOk = decisions.every((d) => d.action !== 'skipped');
    return decisions;
  }

  private async decide(target: AutoscaleTarget, backlog: number): Promise<Decision> {
    const base = { deployment: target.deployment, backlog };
    let scale: Scale;
    try {
      scale = await this.options.scale.getScale(target.deployment);
    } catch (err) {
      return { ...base, action: 'skipped', reason: (err as Error).message };
    }
    const current = scale.replicas;
    const wanted = wantedReplicas(target, backlog);
    const seen = { ...base, current, wanted };

    if (wanted >= current) this.lowSince.delete(target.deployment);
    if (wanted === current) return { ...seen, action: 'steady' };

    let next = wanted;
    if (wanted < current) {
      if (current > target.max) {
        next = target.max; // above the bounds (scaled by hand): back within them at once
      } else {
        const since = this.lowSince.get(target.deployment) ?? this.now();
        this.lowSince.set(target.deployment, since);
        const left = this.options.config.cooldownSeconds * 1000 - (this.now() - since);
        if (left > 0) return { ...seen, action: 'cooling-down', reason: `${Math.ceil(left / 1000)} s of cool-down left` };
      }
    }
    try {
      await this.options.scale.setScale(target.deployment, next, scale.resourceVersion);
    } catch (err) {
      return { ...seen, action: 'skipped', reason: (err as Error).message };
    }
    this.lowSince.delete(target.deployment);
    return { ...seen, wanted: next, action: next > current ? 'scaled-up' : 'scaled-down' };
  }

  /** Ticks every interval until the signal aborts; a failing tick never stops the loop. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, this.options.config.intervalSeconds * 1000);
        signal.addEventListener('abort', done);
      });
    }
  }

  /** Prometheus text exposition of the last decisions. */
  metrics(): string {
    const lines = [
      "# HELP lumina_autoscaler_backlog JetStream backlog of the Deployment's consumers (pending + ack pending).",
      '# TYPE lumina_autoscaler_backlog gauge',
    ];
    const replicas = [
      '# HELP lumina_autoscaler_wanted_replicas Replicas the backlog asks for, within bounds.',
      '# TYPE lumina_autoscaler_wanted_replicas gauge',
    ];
    for (const d of this.last.values()) {
      if (d.backlog !== undefined) lines.push(`lumina_autoscaler_backlog{deployment="${d.deployment}"} ${d.backlog}`);
      if (d.wanted !== undefined) replicas.push(`lumina_autoscaler_wanted_replicas{deployment="${d.deployment}"} ${d.wanted}`);
    }
    return [...lines, ...replicas, ''].join('\n');
  }
}
