/**
 * The system under test: a fresh, isolated one-machine Lumina (its own databases, event
 * namespace, data folder, NATS and FerretDB), started in a child process, and removed afterwards.
 * Also the benchmark's own side doors into it, used only to measure (never to serve a workload):
 * the event bus of its namespace and its databases.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  closeEventBus,
  connectEventBus,
  connectRedis,
  createLogger,
  deleteKeysUnder,
  type EventBus,
  type RedisClient,
} from '@lumina/common';
import { uniqueTag } from '@lumina/common/testing';
import mysql from 'mysql2/promise';
import { mongo } from 'mongoose';
import { startFerret, type MongoBackend, type StartedFerret } from './ferretdb';
import { REPO_ROOT, spawnTypeScript } from '@lumina/local';
import type { HostedSystem } from './host';

export interface BenchSystem extends HostedSystem {
  tag: string;
  prefix: string;
  dataDir: string;
  env: Record<string, string>;
  /** The MongoDB-protocol server the services ran on. */
  mongoBackend: MongoBackend;
  /** The PostgreSQL database under FerretDB (postgresql backend). */
  postgresDatabase?: string;
  bus: EventBus;
  mongo: mongo.MongoClient;
  /** `timeline`, `posts`, `media`: the database of that service. */
  mongoDb(service: 'timeline' | 'posts' | 'media'): mongo.Db;
  mysql(service: 'auth' | 'search'): mysql.Pool;
  /** Timeline's Redis, under its key prefix. */
  timelineRedis: RedisClient;
  /** Runs timeline's rebuild command against this system (every feed from MongoDB's copies). */
  rebuildTimelineFeeds(): Promise<void>;
  /** Stops everything and removes what the run created (databases, streams, folders). */
  stop(): Promise<void>;
}

export interface StartOptions {
  mongoBackend: MongoBackend;
  extraEnv?: Record<string, string>;
  onProgress?: (line: string) => void;
}

export async function startBenchSystem(options: StartOptions): Promise<BenchSystem> {
  const tag = uniqueTag();
  const prefix = `bench_${tag}_`;
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-bench-'));
  const env: Record<string, string> = {
    LOG_LEVEL: 'warn',
    // Its own event namespace: nothing else on the NATS server sees or feeds it.
    EVENT_SUBJECT_PREFIX: tag,
    EVENT_STREAM_PREFIX: `${tag.toUpperCase()}_`,
    // Loading 962 people from one address is the benchmark, not an attack.
    SIGNUP_MAX_PER_ADDRESS: '1000000',
    SIGNIN_MAX_PER_ADDRESS: '1000000',
    // Stated, though it is the default: the 10,000-follower account sits exactly at it.
    TIMELINE_FANOUT_THRESHOLD: '10000',
    ...options.extraEnv,
  };
  const ferret: StartedFerret = await startFerret({ backend: options.mongoBackend, tag });
  options.onProgress?.(
    `  · started FerretDB over ${ferret.backend === 'postgresql' ? `PostgreSQL (database ${ferret.database})` : 'SQLite'} at ${ferret.url}`,
  );
  // NATS (the pinned release, in dataDir) is started by the system itself, as `npm start` does.
  const { NATS_URL: _nats, MONGO_URL: _mongo, ...inherited } = process.env;
  const child = spawnTypeScript(join(__dirname, 'host.ts'), {
    cwd: REPO_ROOT,
    env: { ...inherited, MONGO_URL: ferret.url, BENCH_SYSTEM: JSON.stringify({ dataDir, prefix, env }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) options.onProgress?.(line);
  });
  let hosted: HostedSystem;
  try {
    hosted = await firstLine(child);
  } catch (err) {
    child.kill('SIGTERM');
    await ferret.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  const log = createLogger('bench', 'warn');
  const bus = await connectEventBus({
    servers: hosted.servers.natsUrl,
    name: 'bench',
    ns: { subjectPrefix: env.EVENT_SUBJECT_PREFIX!, streamPrefix: env.EVENT_STREAM_PREFIX! },
    log,
    // The benchmark watches every stream and consumer: it connects as the all-powerful admin.
    user: 'admin',
    pass: hosted.servers.natsPasswords.admin,
  });
  const mongoClient = await mongo.MongoClient.connect(hosted.servers.mongoUrl);
  const pools = new Map<string, mysql.Pool>();
  // As infra/local/system.ts names them: each service's keys under `<prefix><service>:`.
  const timelineEnv = {
    MONGO_URL: databaseUrl(hosted.servers.mongoUrl, `${prefix}timeline`),
    REDIS_URL: hosted.servers.redisUrl,
    REDIS_KEY_PREFIX: `${prefix}timeline:`,
  };
  const timelineRedis = await connectRedis(timelineEnv.REDIS_URL, { keyPrefix: timelineEnv.REDIS_KEY_PREFIX });

  return {
    ...hosted,
    tag,
    prefix,
    dataDir,
    env,
    mongoBackend: ferret.backend,
    ...(ferret.database ? { postgresDatabase: ferret.database } : {}),
    bus,
    mongo: mongoClient,
    mongoDb: (service) => mongoClient.db(`${prefix}${service}`),
    mysql: (service) => {
      let pool = pools.get(service);
      if (!pool) {
        const url = new URL(hosted.servers.mysqlUrl);
        url.pathname = `/${prefix}${service}`;
        pool = mysql.createPool({ uri: url.toString(), connectionLimit: 8 });
        pools.set(service, pool);
      }
      return pool;
    },
    timelineRedis,
    async rebuildTimelineFeeds() {
      const rebuild = spawnTypeScript(join(REPO_ROOT, 'timeline', 'src', 'rebuild-feeds.ts'), {
        cwd: REPO_ROOT,
        env: { ...inherited, ...env, ...timelineEnv, NATS_URL: hosted.servers.natsUrl, JWT_PUBLIC_KEYS: '{}' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const code = await new Promise<number | null>((resolve) => rebuild.once('exit', resolve));
      if (code !== 0) throw new Error(`timeline's rebuild-feeds exited with ${code}`);
    },
    async stop() {
      await deleteKeysUnder(timelineRedis, '').catch(() => undefined);
      timelineRedis.destroy();
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => undefined)));
      await mongoClient.close().catch(() => undefined);
      await closeEventBus(bus).catch(() => undefined);
      // The system stops its services and the NATS it started (in dataDir).
      await stopChild(child);
      // MySQL is shared: drop this run's databases. FerretDB's data goes with its database.
      const db = await mysql.createConnection({ uri: hosted.servers.mysqlUrl });
      for (const name of ['auth', 'search']) await db.query(`DROP DATABASE IF EXISTS \`${prefix}${name}\``);
      await db.end();
      await ferret.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function databaseUrl(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

function firstLine(child: ChildProcess): Promise<HostedSystem> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const onExit = (code: number | null) => reject(new Error(`the system exited (code ${code}) before it was ready`));
    child.once('exit', onExit);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      try {
        resolve(JSON.parse(line) as HostedSystem);
      } catch {
        reject(new Error(`the system host printed something unexpected: ${line.slice(0, 200)}`));
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
  });
}
