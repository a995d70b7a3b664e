#!/usr/bin/env node
/**
 * lumina-ops, the operator's tool:
 *   status                 each Deployment's ready/desired replicas, its scaler, its consumers' backlog
 *   scale SERVICE N        set a Deployment's replicas (through the scale subresource)
 *   restart SERVICE        roll a Deployment's pods (as `kubectl rollout restart`)
 *   autoscale              the in-cluster backlog autoscaler loop (see autoscaler.ts)
 *   dlq list|show|replay|purge   the dead letters (see dlq.ts)
 * Options: --namespace NS (or NAMESPACE; default lumina), --nats URL (or NATS_URL),
 * --stream-prefix P (or EVENT_STREAM_PREFIX), --subject-prefix P (or EVENT_SUBJECT_PREFIX;
 * default lumina), --config FILE (autoscale; default built in).
 * NATS login: NATS_USER and NATS_PASSWORD: the `ops` user's for status and autoscale, the
 * `operator` user's for dlq (see infra/k8s/base/nats and common/src/events/permissions.ts).
 * Kubernetes credentials: in a pod its service account, elsewhere $KUBECONFIG or ~/.kube/config.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAutoscalerConfig, BacklogAutoscaler, type AutoscalerConfig } from './autoscaler';
import { connectBacklogSource, type BacklogSource, type ConsumerBacklog, type NatsLogin } from './backlog';
import { DEFAULT_NAMESPACE, isKnownDeployment } from './deployments';
import { Kube } from './kube';
import { formatStatus } from './status';
import { runDlq } from './dlq';
import { UsageError } from './usage';
import { closeEventBus, connectEventBus, createLogger, type EventBus } from '@lumina/common';

export const USAGE =
  `usage: lumina-ops <status | scale SERVICE N | restart SERVICE | autoscale> [--namespace NS] [--nats URL] [--stream-prefix P] [--config FILE]\n` +
  `       lumina-ops dlq list [--service S] [--event TYPE] [--reason TEXT] [--limit N]\n` +
  `       lumina-ops dlq show ID\n` +
  `       lumina-ops dlq <replay | purge> <[--service S] [--event TYPE] [--reason TEXT] [--id ID] | --all>\n` +
  `       (dlq: [--nats URL] [--subject-prefix P] [--stream-prefix P], login NATS_USER=operator NATS_PASSWORD)\n`;

/** The defaults of infra/k8s/base/ops/autoscaler.yaml, for `status` and a config-less `autoscale`. */
export const DEFAULT_AUTOSCALER_CONFIG: AutoscalerConfig = {
  intervalSeconds: 15,
  cooldownSeconds: 300,
  targets: [
    { deployment: 'timeline', service: 'timeline', min: 2, max: 10, backlogPerReplica: 500 },
    { deployment: 'search', service: 'search', min: 2, max: 6, backlogPerReplica: 1000 },
    { deployment: 'media-worker', service: 'media', streams: ['MEDIA_JOBS'], min: 1, max: 8, backlogPerReplica: 20 },
  ],
};

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  /** autoscale runs until this aborts (SIGTERM in a pod). */
  signal?: AbortSignal;
  /** autoscale: told the port its health server listens on (tests pass PORT=0). */
  onListening?: (port: number) => void;
}

interface Parsed {
  command: string;
  args: string[];
  options: Record<string, string>;
  /** Options without a value. */
  flags: Set<string>;
}

const FLAGS = new Set(['all']);

function parseArgs(argv: string[]): Parsed {
  const args: string[] = [];
  const options: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (FLAGS.has(a.slice(2)) && a.startsWith('--')) {
      flags.add(a.slice(2));
    } else if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
      options[key] = value;
    } else {
      args.push(a);
    }
  }
  const [command, ...rest] = args;
  if (!command) throw new UsageError('no command');
  return { command, args: rest, options, flags };
}

function kubeFor(env: NodeJS.ProcessEnv, namespace: string): Kube {
  const kc = new KubeConfig();
  if (env.KUBECONFIG) kc.loadFromFile(env.KUBECONFIG);
  else kc.loadFromDefault();
  return new Kube(kc, namespace);
}

function deploymentArg(value: string | undefined): string {
  if (!value) throw new UsageError('which SERVICE?');
  if (!isKnownDeployment(value)) throw new UsageError(`unknown SERVICE ${value}`);
  return value;
}

async function withBacklog<T>(
  url: string | undefined,
  prefix: string,
  login: NatsLogin | undefined,
  fn: (source?: BacklogSource, error?: string) => Promise<T>,
): Promise<T> {
  if (!url) return fn(undefined, 'NATS_URL not set (port-forward svc/nats and set it)');
  let source: BacklogSource;
  try {
    source = await connectBacklogSource(url, prefix, login);
  } catch (err) {
    return fn(undefined, `cannot reach NATS at ${url}: ${(err as Error).message}`);
  }
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

/** A connection in Lumina's namespace, as the given NATS user (dlq's: `operator`). */
async function withEventBus<T>(
  url: string,
  ns: EventBus['ns'],
  login: NatsLogin | undefined,
  fn: (bus: EventBus) => Promise<T>,
): Promise<T> {
  const bus = await connectEventBus({ servers: url, name: 'lumina-ops', ns, log: createLogger('lumina-ops', 'silent'), ...login });
  try {
    return await fn(bus);
  } finally {
    await closeEventBus(bus);
  }
}

/** Runs one command; answers the process exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { command, args, options, flags } = parsed;
  const namespace = options.namespace ?? io.env.NAMESPACE ?? DEFAULT_NAMESPACE;
  const natsUrl = options.nats ?? io.env.NATS_URL;
  const streamPrefix = options['stream-prefix'] ?? io.env.EVENT_STREAM_PREFIX ?? '';
  const login = io.env.NATS_USER ? { user: io.env.NATS_USER, pass: io.env.NATS_PASSWORD ?? '' } : undefined;
  try {
    switch (command) {
      case 'status': {
        const kube = kubeFor(io.env, namespace);
        const [deployments, autoscalers] = await Promise.all([kube.listDeployments(), kube.listAutoscalers()]);
        const config = options.config ? parseAutoscalerConfig(JSON.parse(readFileSync(options.config, 'utf8'))) : DEFAULT_AUTOSCALER_CONFIG;
        await withBacklog(natsUrl, streamPrefix, login, async (source, backlogError) => {
          let consumers: ConsumerBacklog[] | undefined;
          let error = backlogError;
          if (source) {
            try {
              consumers = await source.consumers({ withOldestAge: true });
            } catch (err) {
              error = (err as Error).message;
            }
          }
          io.out(formatStatus({ deployments, autoscalers, consumers, backlogError: error, backlogTargets: config.targets }));
        });
        return 0;
      }
      case 'scale': {
        const deployment = deploymentArg(args[0]);
        const replicas = Number(args[1]);
        if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100) throw new UsageError('N must be an integer from 0 to 100');
        const kube = kubeFor(io.env, namespace);
        const before = await kube.getScale(deployment);
        await kube.setScale(deployment, replicas, before.resourceVersion);
        io.out(`${deployment}: ${before.replicas} → ${replicas} replicas\n`);
        const managed = DEFAULT_AUTOSCALER_CONFIG.targets.some((t) => t.deployment === deployment);
        if (managed) io.out(`note: the backlog autoscaler owns ${deployment}'s count and may change it back\n`);
        return 0;
      }
      case 'restart': {
        const deployment = deploymentArg(args[0]);
        await kubeFor(io.env, namespace).restart(deployment);
        io.out(`${deployment}: restarting (rolling)\n`);
        return 0;
      }
      case 'autoscale':
        return await autoscale(io, namespace, natsUrl, streamPrefix, login, options.config);
      case 'dlq': {
        if (!natsUrl) throw new UsageError('dlq needs NATS_URL or --nats');
        const subjectPrefix = options['subject-prefix'] ?? io.env.EVENT_SUBJECT_PREFIX ?? 'lumina';
        return await withEventBus(natsUrl, { subjectPrefix, streamPrefix }, login, (bus) =>
          runDlq(bus, args, options, flags, io.out, io.err),
        );
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n${USAGE}`);
      return 2;
    }
    io.err(`lumina-ops ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}

async function autoscale(
  io: CliIo,
  namespace: string,
  natsUrl: string | undefined,
  streamPrefix: string,
  login: NatsLogin | undefined,
  configFile?: string,
): Promise<number> {
  if (!natsUrl) throw new UsageError('autoscale needs NATS_URL or --nats');
  const config = configFile ? parseAutoscalerConfig(JSON.parse(readFileSync(configFile, 'utf8'))) : DEFAULT_AUTOSCALER_CONFIG;
  const kube = kubeFor(io.env, namespace);
  const source = await connectBacklogSource(natsUrl, streamPrefix, login);
  const log = (fields: Record<string, unknown>) => io.out(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
  const autoscaler = new BacklogAutoscaler({
    config,
    scale: kube,
    backlog: () => source.consumers(),
    onDecision: (d) => {
      if (d.action !== 'steady') log({ msg: 'autoscaler', ...d });
    },
  });
  const server = healthServer(autoscaler);
  await new Promise<void>((resolve) => server.listen(Number(io.env.PORT ?? 3000), resolve));
  const address = server.address();
  io.onListening?.(typeof address === 'object' && address ? address.port : 0);
  log({ msg: 'autoscaler started', namespace, targets: config.targets.map((t) => t.deployment) });
  const controller = new AbortController();
  io.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  try {
    await autoscaler.run(controller.signal);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await source.close();
  }
  return 0;
}

/** /healthz: the loop is alive. /readyz: its last tick read the backlog and every count. */
function healthServer(autoscaler: BacklogAutoscaler): Server {
  return createServer((req, res) => {
    const staleAfterMs = autoscaler.config.intervalSeconds * 3000;
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (req.url === '/readyz') {
      const fresh = autoscaler.lastTickAt !== undefined && Date.now() - autoscaler.lastTickAt < staleAfterMs;
      const ok = fresh && autoscaler.lastTickOk;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(autoscaler.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
}

if (require.main === module) {
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => controller.abort());
  main(process.argv.slice(2), {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    signal: controller.signal,
  }).then((code) => {
    process.exitCode = code;
  });
}
