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
import { DEFAULT_NAMESPACE, generateSigningKeyPair } from '@lumina/common';
import { ensureServers, freePort, type StartedServers } from '@lumina/common/testing';
import { startEntryPoint, type EntryPoint, type EntryPointKind } from './entry-point';
import { loadRouteTable, oneMachineLimits, type RatePerAddress, type ServiceName } from './routes';

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
}

class ManagedProcess {
  child?: ChildProcess;
  private log?: WriteStream;
  stopping = false;

  constructor(
    readonly spec: ServiceProcessSpec,
    readonly port: number,
    private readonly logFile: string,
    private readonly inheritLogs: boolean,
  ) {}

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
      this.inheritLogs ? process.stdout.write(`[${this.spec.name}] ${chunk.toString()}`) : this.log?.write(chunk);
    child.stdout?.on('data', write);
    child.stderr?.on('data', write);
    this.child = child;
  }

  /** Waits until /readyz answers 200, or fails naming the service and its last log lines. */
  async waitUntilReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(`${this.spec.name} exited with code ${this.child.exitCode}: ${this.lastLog()}`);
      }
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.spec.name} was not ready after ${timeoutMs / 1000} s: ${this.lastLog()}`);
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
    throw new Error(`${this.spec.name} still answers on ${this.url} after it was stopped`);
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
  processes: Map<string, ManagedProcess>;
  /** Kills a service (SIGKILL: no clean shutdown) and starts it again, waiting until ready. */
  crashAndRestart(name: string, downtimeMs?: number): Promise<void>;
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

export function defaultDataDir(): string {
  return process.env.LUMINA_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'lumina');
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

  const processes = new Map<string, ManagedProcess>();
  for (const spec of specs) {
    const proc = new ManagedProcess(
      spec,
      await freePort(),
      join(options.dataDir, 'logs', `${prefix}${spec.name}.log`),
      options.inheritLogs ?? false,
    );
    processes.set(spec.name, proc);
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
        await proc.waitUntilReady();
        progress(`${proc.spec.name} ready on ${proc.url}`);
      }),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }

  const targets: Partial<Record<ServiceName, string>> = {};
  for (const proc of processes.values()) if (proc.spec.serves) targets[proc.spec.serves] = proc.url;
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
