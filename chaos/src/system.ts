/**
 * The one-machine system as the chaos run needs it: the launcher (infra/local/system.ts, as
 * e2e uses it) over the test kit's MySQL, MongoDB-protocol server and Redis, but with a NATS of
 * its own that the fault injector may restart. Everything is named with one tag (databases, Redis
 * keys, subjects, streams), so the run shares the machine's servers with other runs safely.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { EventNamespace } from '@lumina/common';
import { ensureServers, uniqueTag, type StartedServers } from '@lumina/common/testing';
import { dropSystemDatabases, startLocalSystem, type LocalSystem } from '@lumina/local';
import { RestartableNats } from './nats';

export interface ChaosSystem {
  system: LocalSystem;
  url: string;
  prefix: string;
  namespace: EventNamespace;
  nats: RestartableNats;
  /** The run's own connection as NATS's `admin`: reads consumers, republishes past events. */
  admin: { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager };
  mysqlUrl: string;
  mongoUrl: string;
  dataDir: string;
  stop(options?: { keepLogs?: boolean }): Promise<void>;
}

export async function startChaosSystem(env: Record<string, string> = {}): Promise<ChaosSystem> {
  const tag = uniqueTag();
  const prefix = `chaos_${tag}_`;
  const namespace: EventNamespace = { subjectPrefix: tag, streamPrefix: `${tag.toUpperCase()}_` };
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-chaos-'));
  const nats = await RestartableNats.start(dataDir, namespace);

  // MySQL, MongoDB and Redis: the test run's when Jest's globalSetup named them, else found or
  // started here (temporary, removed at the end). NATS is always the run's own.
  let others: StartedServers | undefined;
  const saved = { NATS_URL: process.env.NATS_URL, LUMINA_NATS_USERS: process.env.LUMINA_NATS_USERS };
  if (!process.env.MONGO_URL || !process.env.REDIS_URL) {
    others = await ensureServers({ ...process.env, NATS_URL: nats.url, LUMINA_NATS_USERS: JSON.stringify(nats.passwords) });
  }
  const mysqlUrl = process.env.MYSQL_URL ?? others?.mysqlUrl ?? 'mysql://root@127.0.0.1:3306';
  const mongoUrl = process.env.MONGO_URL ?? others!.mongoUrl;
  const redisUrl = process.env.REDIS_URL ?? others!.redisUrl;
  // The launcher finds its servers through the environment (ensureServers(process.env)).
  Object.assign(process.env, {
    NATS_URL: nats.url,
    LUMINA_NATS_USERS: JSON.stringify(nats.passwords),
    MYSQL_URL: mysqlUrl,
    MONGO_URL: mongoUrl,
    REDIS_URL: redisUrl,
  });
  let system: LocalSystem;
  try {
    system = await startLocalSystem({
      port: 0,
      entryPoint: 'nginx',
      dataDir,
      databasePrefix: prefix,
      extraEnv: {
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        EVENT_SUBJECT_PREFIX: namespace.subjectPrefix,
        EVENT_STREAM_PREFIX: namespace.streamPrefix,
        OUTBOX_POLL_INTERVAL_MS: '200',
        // A few hundred simulated people upload from one address as fast as they can.
        MEDIA_UPLOADS_PER_MINUTE: '100000',
        ...env,
      },
    });
  } catch (err) {
    await nats.stop();
    await others?.stop();
    throw err;
  } finally {
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  }

  const nc = await connect({
    servers: nats.url,
    user: 'admin',
    pass: nats.passwords.admin,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  const admin = { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };

  return {
    system,
    url: system.url,
    prefix,
    namespace,
    nats,
    admin,
    mysqlUrl,
    mongoUrl,
    dataDir,
    async stop(options = {}) {
      await system.stop();
      await nc.close().catch(() => undefined);
      await nats.stop();
      await dropSystemDatabases({ mysqlUrl, mongoUrl }, prefix);
      await others?.stop();
      if (options.keepLogs) process.stderr.write(`chaos: logs kept in ${join(dataDir, 'logs')}\n`);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
