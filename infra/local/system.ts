/**
 * The whole of Lumina on one machine: finds or starts the infrastructure (the test harness's
 * logic), generates the token keys once (outside the repository), starts every service as its
 * own process on loopback, and puts the entry point (NGINX, else the Node gateway) in front.
 * `npm start`, the end-to-end tests and the benchmark use it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mongo } from 'mongoose';
import { createMysqlPool, DEFAULT_NAMESPACE, generateSigningKeyPair, isFerretDb } from '@lumina/common';
import { ensureServers, freePort, type StartedServers } from '@lumina/common/testing';
import { startEntryPoint, type EntryPoint, type EntryPointKind } from './entry-point';
import { loadRouteTable, oneMachineLimits, type RatePerAddress, type ServiceName } from './routes';
import type { ReplicaTargets } from './upstreams';

export const REPO_ROOT = join(__dirname, '..', '..');
/**
 * Runs a TypeScript entry point as `node --import tsx <entry>`: one process, so a signal reaches
 * the program itself. (The `tsx` command is a wrapper around a second node process; a SIGKILL to
 * the wrapper would leave the program running, and a "crash" would crash nothing.)
 */
export function spawnTypeScript(entry: string, options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry], options);
}

export interface ServiceProcessSpec {
  name: string;
  /** Which route-table service it answers for, if any. */
  serves?: ServiceName;
  workspace: string;
  env: Record<string, string>;
}

export interface LocalSystemOptions {
  /** The entry point's port (0: any free one). */
  port: number;
  /** NGINX, the Node gateway, or `auto` (the default): NGINX where it is installed. */
  entryPoint?: EntryPointKind | 'auto';
  /**
   * The entry point's rate per client address; default the route table's one-machine rate. (A
   * load test from one address past 1,000 requests a second would otherwise measure the limit.)
   */
  entryPointRate?: RatePerAddress;
  /** Databases, blobs, keys and logs live here. */
  dataDir: string;
  /** Where each step is reported (the launcher prints, tests stay quiet). */
  onProgress?: (message: string) => void;
  /** Extra environment for every service (tests loosen rate limits, say). */
  extraEnv?: Record<string, string>;
  /** Names of databases are prefixed with this, so tests never touch a developer's data. */
  databasePrefix?: string;
  /** Print service logs to the console instead of files. */
  inheritLogs?: boolean;
  /**
   * Processes per service: one number for all, or per service (`{ auth: 2 }`). Default:
   * LUMINA_REPLICAS (`2`, or `auth=2,search=2`), else 1. A MongoDB-backed service on FerretDB
   * keeps one (see `replicaCounts`).
   */
  replicas?: number | Record<string, number>;
  /** How long a service may take to answer /readyz once started (default 90 s). */
  readyTimeoutMs?: number;
}

/** The MongoDB-backed services: on FerretDB each runs one process (`replicaCounts`). */
const MONGO_BACKED = new Set(['posts', 'media', 'timeline']);

/** `2` or `auth=2,search=2` (LUMINA_REPLICAS) as replicas per service. */
export function parseReplicas(text: string | undefined): number | Record<string, number> | undefined {
  if (!text?.trim()) return undefined;
  const count = (value: string, what: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 8)
      throw new Error(`LUMINA_REPLICAS: ${what} must be a whole number from 1 to 8, not "${value}"`);
    return n;
  };
  if (!text.includes('=')) return count(text.trim(), 'the count');
  const counts: Record<string, number> = {};
  for (const pair of text.split(',')) {
    const [name = '', value = ''] = pair.split('=').map((x) => x.trim());
    counts[name] = count(value, name);
  }
  return counts;
}

/**
 * How many processes each service runs. FerretDB 1.24 applies an update as a read and then a
 * write without isolation, over PostgreSQL as over SQLite (measured here: 50 concurrent `$inc`
 * from two connections leave 4; 18 of 20 compare-and-sets on one version all "win"). The services
 * make that exact with an in-process per-document lock (common/src/store/keyed-lock.ts), which
 * two processes would not share: on FerretDB posts, media and timeline run one process each, and
 * a restart holds their requests at the entry point instead (`upstreams.ts`).
 */
export function replicaCounts(
  services: string[],
  wanted: number | Record<string, number> | undefined,
  onFerretDb: boolean,
): { counts: Record<string, number>; capped: string[] } {
  const counts: Record<string, number> = {};
  const capped: string[] = [];
  for (const name of services) {
    const n = typeof wanted === 'number' ? wanted : (wanted?.[name] ?? 1);
    if (n > 1 && onFerretDb && MONGO_BACKED.has(name)) {
      counts[name] = 1;
      capped.push(name);
    } else counts[name] = n;
  }
  return { counts, capped };
}

/** What a restart of one replica took (the rolling-restart report prints it). */
export interface RestartResult {
  service: string;
  replica: number;
  /** From SIGTERM until the process was gone. */
  stopMs: number;
  /** From the new process's start until /readyz answered 200. */
  startMs: number;
  /** How the old process ended: 0 is a clean shutdown. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

class ManagedProcess {
  child?: ChildProcess;
  private log?: WriteStream;
  stopping = false;
  /** Times the process ended without being stopped (and was started again). */
  unexpectedExits = 0;

  constructor(
    readonly spec: ServiceProcessSpec,
    readonly port: number,
    private readonly logFile: string,
    private readonly inheritLogs: boolean,
    /** Which of the service's replicas (0 is the first, named as the service). */
    readonly replica = 0,
  ) {}

  /** `posts` for the first replica, `posts-2` for the second. */
  get label(): string {
    return this.replica === 0 ? this.spec.name : `${this.spec.name}-${this.replica + 1}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): void {
    this.stopping = false;
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const child = spawnTypeScript(join(REPO_ROOT, this.spec.workspace, 'src', 'index.ts'), {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.spec.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const write = (chunk: Buffer) =>
      this.inheritLogs ? process.stdout.write(`[${this.label}] ${chunk.toString()}`) : this.log?.write(chunk);
    child.stdout?.on('data', write);
    child.stderr?.on('data', write);
    child.once('exit', (code, signal) => this.exitedOnItsOwn(child, code, signal));
    this.child = child;
  }

  /**
   * A process that ends without being stopped (a crash, the OOM killer) is said on stderr with its
   * last log lines and started again after a second, as Kubernetes restarts a container: before,
   * a crashed service stayed down in silence and the entry point answered 502 for good. A kill
   * from outside that is followed by a restart of its own (the chaos injector's) wins: the restart
   * here only happens if nobody stopped or started the process meanwhile.
   */
  private exitedOnItsOwn(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || this.child !== child) return;
    this.unexpectedExits += 1;
    process.stderr.write(
      `[${this.label}] exited unexpectedly (code ${code}, signal ${signal}); starting it again in 1 s. Last log lines:\n${this.lastLog()}\n`,
    );
    setTimeout(() => {
      if (!this.stopping && this.child === child) this.start();
    }, 1_000).unref();
  }

  /** Waits until /readyz answers 200, or fails naming the service and its last log lines. */
  async waitUntilReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`${this.label} exited with code ${this.child.exitCode}: ${this.lastLog()}`);
      }
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.label} was not ready after ${timeoutMs / 1000} s: ${this.lastLog()}`);
  }

  /** Waits until nothing answers on the service's port any more (a crash has to be real). */
  async waitUntilSilent(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.label} still answers on ${this.url} after it was stopped`);
  }

  lastLog(): string {
    try {
      return readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM (a clean shutdown) or SIGKILL (a crash); resolves once the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    });
  }

  closeLog(): void {
    this.log?.end();
  }
}

export interface LocalSystem {
  url: string;
  /** Which entry point answers at `url`. */
  entryPoint: EntryPointKind;
  servers: StartedServers;
  /** Every process by label: `posts` (the first replica), `posts-2` (a second). */
  processes: Map<string, ManagedProcess>;
  /** How many processes each service runs (`LocalSystemOptions.replicas`). */
  replicas: Record<string, number>;
  /** Kills a service (SIGKILL: no clean shutdown) and starts it again, waiting until ready. */
  crashAndRestart(name: string, downtimeMs?: number): Promise<void>;
  /**
   * Restarts one replica cleanly, as a rolling update does: the entry point stops sending it
   * requests (for a one-replica service, it holds them), SIGTERM (the service finishes what it
   * has in hand, its events included, and drains NATS), a new process on the same port, and once
   * it is ready the entry point sends to it again.
   */
  restart(service: string, replica?: number): Promise<RestartResult>;
  stop(): Promise<void>;
}

function keysIn(dataDir: string): { privateKeyFile: string; publicKeysDir: string; kid: string } {
  const dir = join(dataDir, 'keys');
  const publicKeysDir = join(dir, 'public');
  const privateKeyFile = join(dir, 'auth-signing.pem');
  const kidFile = join(dir, 'kid');
  mkdirSync(publicKeysDir, { recursive: true });
  if (!existsSync(privateKeyFile) || !existsSync(kidFile)) {
    const kid = `local-${Date.now().toString(36)}`;
    const pair = generateSigningKeyPair(kid);
    writeFileSync(privateKeyFile, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(publicKeysDir, `${kid}.pem`), pair.publicKeyPem);
    writeFileSync(kidFile, kid);
  }
  return { privateKeyFile, publicKeysDir, kid: readFileSync(kidFile, 'utf8').trim() };
}

function databaseUrl(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The databases a system makes, each named `<databasePrefix><service>`, by the server that holds them. */
export const SYSTEM_DATABASES = { mysql: ['auth', 'search'], mongo: ['posts', 'media', 'timeline'] } as const;

/** Drops the databases a system started with this databasePrefix made (a test's, a benchmark's or a chaos run's). */
export async function dropSystemDatabases(servers: Pick<StartedServers, 'mysqlUrl' | 'mongoUrl'>, prefix: string): Promise<void> {
  const pool = createMysqlPool(servers.mysqlUrl, { connectionLimit: 1 });
  for (const name of SYSTEM_DATABASES.mysql) await pool.query(`DROP DATABASE IF EXISTS \`${prefix}${name}\``);
  await pool.end();
  const client = await mongo.MongoClient.connect(servers.mongoUrl);
  for (const name of SYSTEM_DATABASES.mongo)
    await client
      .db(`${prefix}${name}`)
      .dropDatabase()
      .catch(() => undefined);
  await client.close();
}

/** Deletes the JetStream streams a run made under its EVENT_STREAM_PREFIX, as NATS's admin user. */
export async function deleteStreamsUnder(servers: Pick<StartedServers, 'natsUrl' | 'natsPasswords'>, streamPrefix: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nats = await connect({ servers: servers.natsUrl, user: 'admin', pass: servers.natsPasswords.admin });
  const jsm = await jetstreamManager(nats);
  for await (const stream of jsm.streams.list()) {
    if (stream.config.name.startsWith(streamPrefix)) await jsm.streams.delete(stream.config.name);
  }
  await nats.close();
}

export function defaultDataDir(): string {
  return process.env.LUMINA_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'lumina');
}

/** Whether the MongoDB-protocol server is FerretDB (its buildInfo names its version). */
async function servesFerretDb(mongoUrl: string): Promise<boolean> {
  const client = await mongo.MongoClient.connect(mongoUrl);
  try {
    return await isFerretDb(client.db('admin'));
  } finally {
    await client.close();
  }
}

export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const progress = options.onProgress ?? (() => undefined);
  const prefix = options.databasePrefix ?? 'lumina_';
  mkdirSync(join(options.dataDir, 'logs'), { recursive: true });

  progress('finding MySQL, NATS JetStream, Redis and a MongoDB-protocol server');
  // NATS's users are written for this system's event namespace (the default one unless overridden).
  const namespace = {
    subjectPrefix: options.extraEnv?.EVENT_SUBJECT_PREFIX ?? DEFAULT_NAMESPACE.subjectPrefix,
    streamPrefix: options.extraEnv?.EVENT_STREAM_PREFIX ?? DEFAULT_NAMESPACE.streamPrefix,
  };
  const servers = await ensureServers(process.env, { dataDir: join(options.dataDir, 'servers'), namespace });
  for (const line of servers.started) progress(`started ${line}`);

  const keys = keysIn(options.dataDir);
  const shared: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    NATS_URL: servers.natsUrl,
    STREAM_REPLICAS: '1',
    JWT_PUBLIC_KEYS_DIR: keys.publicKeysDir,
    COOKIE_SECURE: 'false',
    // Loopback only: nobody else on the network reaches a service, its /metrics, or its
    // per-address limits with a forged X-Forwarded-For; the one proxy hop it trusts is the
    // entry point on this machine.
    BIND_ADDRESS: '127.0.0.1',
    TRUST_PROXY_HOPS: '1',
    // One person's laptop: every sign-up and sign-in comes from 127.0.0.1, `npm run seed`'s
    // thousand people included, and the seed follows, posts, likes and comments for each of them
    // as fast as it can. (Kubernetes keeps the production limits.)
    SIGNUP_MAX_PER_ADDRESS: process.env.SIGNUP_MAX_PER_ADDRESS ?? '100000',
    SIGNIN_MAX_PER_ADDRESS: process.env.SIGNIN_MAX_PER_ADDRESS ?? '100000',
    FOLLOWS_MAX_PER_MINUTE: process.env.FOLLOWS_MAX_PER_MINUTE ?? '100000',
    POST_WRITES_MAX_PER_MINUTE: process.env.POST_WRITES_MAX_PER_MINUTE ?? '100000',
    LIKES_MAX_PER_MINUTE: process.env.LIKES_MAX_PER_MINUTE ?? '100000',
    COMMENTS_MAX_PER_MINUTE: process.env.COMMENTS_MAX_PER_MINUTE ?? '100000',
    ...options.extraEnv,
  };
  const specs: ServiceProcessSpec[] = [
    {
      name: 'auth',
      serves: 'auth',
      workspace: 'auth',
      env: {
        ...shared,
        MYSQL_URL: databaseUrl(servers.mysqlUrl, `${prefix}auth`),
        JWT_PRIVATE_KEY_FILE: keys.privateKeyFile,
        JWT_KID: keys.kid,
      },
    },
    {
      name: 'posts',
      serves: 'posts',
      workspace: 'posts',
      env: {
        ...shared,
        MONGO_URL: databaseUrl(servers.mongoUrl, `${prefix}posts`),
        REDIS_URL: servers.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}posts:`,
      },
    },
    {
      // API and workers in one process: FerretDB's updates are not atomic across processes
      // (see common/src/store/keyed-lock.ts); in Kubernetes the workers are their own Deployment.
      name: 'media',
      serves: 'media',
      workspace: 'media',
      env: {
        ...shared,
        MEDIA_ROLE: 'all',
        MONGO_URL: databaseUrl(servers.mongoUrl, `${prefix}media`),
        MEDIA_STORAGE_DIR: join(options.dataDir, 'media', prefix),
      },
    },
    {
      name: 'search',
      serves: 'search',
      workspace: 'search',
      env: { ...shared, MYSQL_URL: databaseUrl(servers.mysqlUrl, `${prefix}search`) },
    },
    {
      name: 'timeline',
      serves: 'timeline',
      workspace: 'timeline',
      env: {
        ...shared,
        MONGO_URL: databaseUrl(servers.mongoUrl, `${prefix}timeline`),
        REDIS_URL: servers.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}timeline:`,
      },
    },
  ];

  // Each service connects to NATS as its own user (common/src/events/permissions.ts).
  for (const spec of specs) {
    const password = servers.natsPasswords[spec.workspace];
    if (password) spec.env = { ...spec.env, NATS_USER: spec.workspace, NATS_PASSWORD: password };
  }

  const wanted = options.replicas ?? parseReplicas(process.env.LUMINA_REPLICAS);
  const { counts, capped } = replicaCounts(
    specs.map((spec) => spec.name),
    wanted,
    wanted === undefined ? false : await servesFerretDb(servers.mongoUrl),
  );
  if (capped.length > 0) {
    progress(`${capped.join(', ')}: one process each on FerretDB (its updates are not atomic across processes; see replicaCounts)`);
  }
  const processes = new Map<string, ManagedProcess>();
  for (const spec of specs) {
    for (let replica = 0; replica < counts[spec.name]!; replica += 1) {
      const label = replica === 0 ? spec.name : `${spec.name}-${replica + 1}`;
      const logFile = join(options.dataDir, 'logs', `${prefix}${label}.log`);
      processes.set(label, new ManagedProcess(spec, await freePort(), logFile, options.inheritLogs ?? false, replica));
    }
  }

  const stopAll = async () => {
    await Promise.all([...processes.values()].map((p) => p.stop()));
    for (const p of processes.values()) p.closeLog();
    await servers.stop();
  };

  try {
    // Started together; each creates the streams it touches, so the order does not matter.
    for (const proc of processes.values()) proc.start();
    await Promise.all(
      [...processes.values()].map(async (proc) => {
        await proc.waitUntilReady(options.readyTimeoutMs);
        progress(`${proc.label} ready on ${proc.url}`);
      }),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }

  const targets: ReplicaTargets = {};
  for (const proc of processes.values()) {
    const { serves } = proc.spec;
    if (serves) targets[serves] = [...((targets[serves] as string[] | undefined) ?? []), proc.url];
  }
  const table = loadRouteTable();
  let entryPoint: EntryPoint;
  try {
    entryPoint = await startEntryPoint({
      kind: options.entryPoint ?? 'auto',
      routes: table.routes,
      limits: { ...oneMachineLimits(table.limits), ...(options.entryPointRate ? { ratePerAddress: options.entryPointRate } : {}) },
      targets,
      clientDir: join(REPO_ROOT, 'client', 'dist'),
      port: options.port,
      logFile: join(options.dataDir, 'logs', `${prefix}nginx.log`),
      onFallback: progress,
    });
  } catch (err) {
    await stopAll();
    throw new Error(`The entry point could not start on port ${options.port}: ${(err as Error).message}`);
  }
  progress(`${entryPoint.kind === 'nginx' ? 'NGINX' : 'the Node gateway'} in front on ${entryPoint.url}`);

  return {
    url: entryPoint.url,
    entryPoint: entryPoint.kind,
    servers,
    processes,
    replicas: counts,
    async restart(service, replica = 0) {
      const proc = [...processes.values()].find((p) => p.spec.name === service && p.replica === replica);
      if (!proc) throw new Error(`no replica ${replica} of ${service} (it runs ${counts[service] ?? 0})`);
      const { serves } = proc.spec;
      if (serves) await entryPoint.setReplicaUp(serves, replica, false);
      const stopping = Date.now();
      await proc.stop('SIGTERM');
      await proc.waitUntilSilent();
      const stopMs = Date.now() - stopping;
      const { exitCode, signalCode } = proc.child!;
      const starting = Date.now();
      proc.start();
      await proc.waitUntilReady(options.readyTimeoutMs);
      const startMs = Date.now() - starting;
      if (serves) await entryPoint.setReplicaUp(serves, replica, true);
      return { service, replica, stopMs, startMs, exitCode, signal: signalCode };
    },
    async crashAndRestart(name, downtimeMs = 0) {
      const proc = processes.get(name);
      if (!proc) throw new Error(`no service ${name}`);
      await proc.stop('SIGKILL');
      await proc.waitUntilSilent();
      if (downtimeMs > 0) await new Promise((r) => setTimeout(r, downtimeMs));
      proc.start();
      await proc.waitUntilReady();
    },
    async stop() {
      await entryPoint.stop();
      await stopAll();
    },
  };
}
