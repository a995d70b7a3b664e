/**
 * Finds or starts the real servers tests (and the one-machine mode) run against:
 *   MySQL   — MYSQL_URL, else 127.0.0.1:3306 as root.
 *   NATS    — NATS_URL (with the users' passwords in LUMINA_NATS_USERS), else the pinned
 *             release built by scripts/install-tools.sh, started here with a generated
 *             configuration that holds Lumina's users (a NATS already running on :4222 is not
 *             used: its users are not ours).
 *   MongoDB — MONGO_URL, else a local mongod through mongodb-memory-server, else FerretDB
 *             (built by scripts/install-tools.sh) over the PostgreSQL at POSTGRES_URL or
 *             127.0.0.1:5432 when one answers, else over SQLite, else a clear message.
 *   Redis   — REDIS_URL, else 127.0.0.1:6379 if it answers, else a `redis-server` from PATH
 *             started here, else a clear message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import mysql from 'mysql2/promise';
import type { EventNamespace } from '../events/bus';
import {
  ADMIN_PERMISSIONS,
  ANY_NAMESPACE,
  exactNamespace,
  luminaNatsUsers,
  natsAuthorization,
  type NamespacePattern,
  type NatsUser,
} from '../events/permissions';
import { PINNED_NATS_VERSION } from './versions';

/** NATS user → password: the five services, `ops`, and `admin` (the test kit's own connections). */
export type NatsPasswords = Record<string, string>;

export interface ServerUrls {
  mysqlUrl: string;
  natsUrl: string;
  natsPasswords: NatsPasswords;
  mongoUrl: string;
  redisUrl: string;
}

export interface StartedServers extends ServerUrls {
  /** What was started here (and is stopped by stop()), for the log. */
  started: string[];
  stop(): Promise<void>;
}

export class MissingServerError extends Error {}

export const binDir = (): string => process.env.LUMINA_BIN_DIR ?? join(homedir(), '.cache', 'lumina', 'bin');
/** Where the repository is; scripts/install-tools.sh lives under it. */
const repoRoot = (): string => join(__dirname, '..', '..', '..');

/**
 * The ports freePort() picks from: below the kernel's ephemeral range, from which it hands local
 * ports to outgoing connections. A port found free in that range could be taken by any client
 * socket before the server meant for it listened (a service of the e2e system failed to start
 * with EADDRINUSE that way); below it only another listener can take it.
 */
function listeningPortRange(): [number, number] | undefined {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && low > 15_000) return [10_000, low];
  } catch {
    // not Linux: the kernel's own choice below
  }
  return undefined;
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const address = srv.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(bound));
    });
  });
}

/** A loopback port nothing listens on now, for a server about to start (see listeningPortRange). */
export async function freePort(): Promise<number> {
  const range = listeningPortRange();
  for (let attempt = 0; range && attempt < 50; attempt += 1) {
    const port = range[0] + Math.floor(Math.random() * (range[1] - range[0]));
    try {
      return await listenOnce(port);
    } catch {
      // in use: another
    }
  }
  return listenOnce(0);
}

export function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
      socket.connect(port, host);
    };
    attempt();
  });
}

function ensureBuiltTools(): void {
  if (existsSync(join(binDir(), 'nats-server')) && existsSync(join(binDir(), 'ferretdb'))) return;
  const script = join(repoRoot(), 'scripts', 'install-tools.sh');
  // Only the two servers run here; the test-only tools are built by `npm test` (scripts/test.mjs).
  const result = spawnSync('bash', [script, 'nats-server', 'ferretdb'], {
    stdio: 'inherit',
    env: { ...process.env, LUMINA_BIN_DIR: binDir() },
  });
  if (result.status !== 0) throw new MissingServerError('scripts/install-tools.sh failed (see above)');
}

async function checkMysql(url: string): Promise<void> {
  const conn = await mysql.createConnection({ uri: url, connectTimeout: 3000 }).catch((err: Error) => {
    throw new MissingServerError(`MySQL is not reachable at ${url} (${err.message}). Start MySQL/MariaDB there or set MYSQL_URL.`);
  });
  await conn.end();
}

export interface EnsureOptions {
  /**
   * Keep the data of servers started here in this folder (the one-machine mode keeps its
   * users and posts between runs); without it each start gets a temporary folder, removed on exit.
   */
  dataDir?: string;
  /**
   * The event namespace NATS's permissions are written for (the one-machine mode's); without it
   * any namespace (ANY_NAMESPACE: every test file has its own prefixes).
   */
  namespace?: EventNamespace;
}

function dataDirFor(options: EnsureOptions, name: string): { dir: string; temporary: boolean } {
  if (options.dataDir) {
    const dir = join(options.dataDir, name);
    mkdirSync(dir, { recursive: true });
    return { dir, temporary: false };
  }
  return { dir: mkdtempSync(join(tmpdir(), `lumina-${name}-`)), temporary: true };
}

function spawnServer(
  name: string,
  command: string,
  args: string[],
  data: { dir: string; temporary: boolean },
  env?: Record<string, string>,
): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false, env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('exit', (code) => {
    if (code && code !== 0) process.stderr.write(`${name} exited with ${code}: ${stderr}\n`);
  });
  if (data.temporary) child.on('exit', () => rmSync(data.dir, { recursive: true, force: true }));
  return child;
}

export interface StartNatsOptions {
  data: { dir: string; temporary: boolean };
  /** The users, or an `authorization { … }` block as text (infra/k8s's, to try it for real). */
  users: NatsUser[] | string;
  /** Variables the configuration refers to (`password: $AUTH_NATS_PASSWORD`). */
  env?: Record<string, string>;
}

/** nats-server (the pinned release) on a free loopback port, with JetStream and these users only. */
export async function startNatsServer(options: StartNatsOptions): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  ensureBuiltTools();
  const port = await freePort();
  const configFile = join(options.data.dir, 'nats.conf');
  // Rewritten at every start: the passwords are new each time, the JetStream data stays.
  writeFileSync(
    configFile,
    [
      `listen: "127.0.0.1:${port}"`,
      `jetstream { store_dir: ${JSON.stringify(options.data.dir)} }`,
      typeof options.users === 'string' ? options.users : natsAuthorization(options.users),
    ].join('\n'),
    { mode: 0o600 },
  );
  const child = spawnServer('nats-server', join(binDir(), 'nats-server'), ['-c', configFile], options.data, options.env);
  await waitForPort(port);
  return { url: `nats://127.0.0.1:${port}`, child, stop: () => stopChild(child) };
}

/** A fresh password for every Lumina NATS user and for `admin`. */
export function generateNatsUsers(ns: NamespacePattern): { users: NatsUser[]; passwords: NatsPasswords } {
  const passwords: NatsPasswords = {};
  const passwordOf = (user: string) => (passwords[user] = randomBytes(18).toString('hex'));
  const users = [...luminaNatsUsers(ns, passwordOf), { user: 'admin', password: passwordOf('admin'), permissions: ADMIN_PERMISSIONS }];
  return { users, passwords };
}

async function startNats(options: EnsureOptions): Promise<{ url: string; child: ChildProcess; passwords: NatsPasswords }> {
  const { users, passwords } = generateNatsUsers(options.namespace ? exactNamespace(options.namespace) : ANY_NAMESPACE);
  const nats = await startNatsServer({ data: dataDirFor(options, 'nats'), users });
  return { url: nats.url, child: nats.child, passwords };
}

function findMongod(): string | undefined {
  if (process.env.MONGOMS_SYSTEM_BINARY) return process.env.MONGOMS_SYSTEM_BINARY;
  return findOnPath('mongod', []);
}

export type FerretBackend = 'postgresql' | 'sqlite';

const DEFAULT_POSTGRES_URL = 'postgres://root@127.0.0.1:5432';

/** Runs one statement through psql against the server's `postgres` database. */
function psql(serverUrl: string, sql: string): { ok: boolean; error: string } {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const result = spawnSync('psql', [url.toString(), '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, error: (result.stderr || result.error?.message || '').trim() };
}

/** Whether a PostgreSQL answers at the URL (through psql, which setting FerretDB up needs anyway). */
export function postgresAvailable(serverUrl = process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL): boolean {
  return psql(serverUrl, 'SELECT 1').ok;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The URL FerretDB reaches its database at. To a PostgreSQL on this machine it talks without TLS
 * unless the URL asks for it: pgx would otherwise take the server's TLS offer, and encrypting
 * every query between two local processes protects nothing but cost both of them CPU per query.
 *
 * Its sessions commit with `synchronous_commit=off` unless the URL names a value (pgx hands any
 * parameter it does not know to the server; `options=-csynchronous_commit=on` also suits psql): a commit is acknowledged before its WAL reaches the
 * disk, as the standalone MongoDB of the Kubernetes manifests acknowledges a write (w:1) before
 * its journal's next flush. A crash of the machine (or of PostgreSQL) may lose the writes of the
 * last moment, never consistency; a crash of a service or of FerretDB loses nothing.
 */
export function ferretPostgresUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  if (LOOPBACK_HOSTS.has(url.hostname) && !url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  // Named either way: as its own parameter (pgx only), or in `options` (pgx, and psql's libpq).
  const named = url.searchParams.has('synchronous_commit') || /synchronous_commit/.test(url.searchParams.get('options') ?? '');
  if (!named) url.searchParams.set('synchronous_commit', 'off');
  return url.toString();
}

export interface FerretOptions {
  backend: FerretBackend;
  /** Its state folder (and, over SQLite, its data). */
  data: { dir: string; temporary: boolean };
  /** Over PostgreSQL: the database it keeps its data in, created if missing. */
  database?: string;
  /** Drop that database when the server stops (a test run's; not the one-machine mode's). */
  dropDatabase?: boolean;
  postgresUrl?: string;
}

export interface StartedFerret {
  url: string;
  backend: FerretBackend;
  database?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * FerretDB 1.24 on a free loopback port. Over PostgreSQL it pushes equality filters down and
 * keeps collections of any size usable; over SQLite only `_id` lookups are pushed down and every
 * other query reads the whole collection, so SQLite is the last resort.
 */
export async function startFerretDb(options: FerretOptions): Promise<StartedFerret> {
  ensureBuiltTools();
  const port = await freePort();
  const args = [
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${options.data.dir}`,
    '--debug-addr=127.0.0.1:0',
    '--telemetry=disable',
    '--log-level=ERROR',
  ];
  const serverUrl = options.postgresUrl ?? process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
  const database = options.backend === 'postgresql' ? (options.database ?? 'lumina') : undefined;
  if (database) {
    if (!/^[a-z0-9_]+$/.test(database)) throw new Error(`not a plain PostgreSQL database name: ${database}`);
    const made = psql(serverUrl, `CREATE DATABASE "${database}"`);
    if (!made.ok && !/already exists/.test(made.error)) {
      throw new MissingServerError(`could not create PostgreSQL database ${database} at ${redactPassword(serverUrl)}: ${made.error}`);
    }
    args.push('--handler=postgresql', `--postgresql-url=${ferretPostgresUrl(serverUrl, database)}`);
  } else {
    args.push('--handler=sqlite', `--sqlite-url=file:${options.data.dir}/`);
  }
  // FerretDB turns every document into Go values and back, so its collector runs often for a small
  // live heap: GOGC=400 (a 5× heap, still tens of MB) cut its CPU per operation by 15-20 % on a
  // write-read-update mix here. A GOGC set in the environment wins.
  const child = spawnServer('ferretdb', join(binDir(), 'ferretdb'), args, options.data, process.env.GOGC ? undefined : { GOGC: '400' });
  const dropDatabase = () => {
    if (database && options.dropDatabase) psql(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  };
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill('SIGKILL');
    dropDatabase();
    throw err;
  }
  return {
    url: `mongodb://127.0.0.1:${port}`,
    backend: options.backend,
    database,
    child,
    stop: async () => {
      await stopChild(child);
      dropDatabase();
    },
  };
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function startMongo(options: EnsureOptions): Promise<{ url: string; stop: () => Promise<void>; what: string }> {
  const mongod = findMongod();
  if (mongod) {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const server = await MongoMemoryServer.create({ binary: { systemBinary: mongod } });
    return { url: server.getUri(), stop: async () => void (await server.stop()), what: 'mongod (mongodb-memory-server)' };
  }
  try {
    ensureBuiltTools();
  } catch (err) {
    throw new MissingServerError(
      `No MongoDB-protocol server: no mongod on PATH, and FerretDB could not be built (${(err as Error).message}). ` +
        'Set MONGO_URL to a MongoDB 7 (or FerretDB 1.24) server, or install Go so scripts/install-tools.sh can build FerretDB.',
    );
  }
  const backend: FerretBackend = postgresAvailable() ? 'postgresql' : 'sqlite';
  const ferret = await startFerretDb({
    backend,
    data: dataDirFor(options, 'ferretdb'),
    // The one-machine mode keeps its data in a database of its own; a test run's is dropped.
    database: options.dataDir ? 'lumina' : `lumina_test_${process.pid}_${Date.now().toString(36)}`,
    dropDatabase: !options.dataDir,
  });
  const over =
    backend === 'postgresql'
      ? `PostgreSQL (database ${ferret.database})`
      : 'SQLite (no PostgreSQL answered at POSTGRES_URL or 127.0.0.1:5432)';
  return { url: ferret.url, stop: ferret.stop, what: `FerretDB over ${over}` };
}

async function redisAnswers(url: string): Promise<boolean> {
  const { createClient } = await import('redis');
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** A program on PATH, or in one of the usual folders (a package's binary, when PATH is narrow). */
function findOnPath(name: string, usual = ['/usr/bin', '/usr/local/bin', '/usr/sbin']): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...usual]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function startRedis(options: EnsureOptions): Promise<{ url: string; child: ChildProcess }> {
  const binary = findOnPath('redis-server');
  if (!binary) {
    throw new MissingServerError(
      'No Redis: nothing answers at 127.0.0.1:6379 and there is no redis-server on PATH. ' +
        'Install it (Debian: apt-get install redis-server) or set REDIS_URL.',
    );
  }
  const port = await freePort();
  const data = dataDirFor(options, 'redis');
  // A cache: nothing is written to disk (the feeds rebuild themselves from MongoDB).
  const child = spawnServer(
    'redis-server',
    binary,
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', data.dir],
    data,
  );
  await waitForPort(port);
  return { url: `redis://127.0.0.1:${port}`, child };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

export async function ensureServers(env: NodeJS.ProcessEnv = process.env, options: EnsureOptions = {}): Promise<StartedServers> {
  const started: string[] = [];
  const stops: Array<() => Promise<void>> = [];

  const mysqlUrl = env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
  await checkMysql(mysqlUrl);

  let natsUrl = env.NATS_URL;
  let natsPasswords: NatsPasswords = env.LUMINA_NATS_USERS ? (JSON.parse(env.LUMINA_NATS_USERS) as NatsPasswords) : {};
  if (!natsUrl) {
    const nats = await startNats(options);
    natsUrl = nats.url;
    natsPasswords = nats.passwords;
    started.push(`nats-server ${PINNED_NATS_VERSION} at ${nats.url} (with Lumina's users)`);
    stops.push(() => stopChild(nats.child));
  }

  let mongoUrl = env.MONGO_URL;
  if (!mongoUrl) {
    const mongo = await startMongo(options);
    mongoUrl = mongo.url;
    started.push(`${mongo.what} at ${mongo.url}`);
    stops.push(mongo.stop);
  }

  let redisUrl = env.REDIS_URL;
  if (!redisUrl) {
    if (await redisAnswers('redis://127.0.0.1:6379')) {
      redisUrl = 'redis://127.0.0.1:6379';
    } else {
      const redis = await startRedis(options);
      redisUrl = redis.url;
      started.push(`redis-server at ${redis.url}`);
      stops.push(() => stopChild(redis.child));
    }
  }

  return {
    mysqlUrl,
    natsUrl,
    natsPasswords,
    mongoUrl,
    redisUrl,
    started,
    stop: async () => {
      await Promise.all(stops.map((s) => s()));
    },
  };
}
