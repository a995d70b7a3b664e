/**
 * Starts the whole search service in-process: what index.ts runs, and what tests and the
 * one-machine launcher call to get the real thing.
 */
import {
  closeEventBus,
  busOptionsFrom,
  connectEventBus,
  createLogger,
  createMysqlPool,
  ensureMysqlDatabase,
  pingMysql,
  provisionStreams,
  streamSettingsFrom,
  streamsOf,
  StreamLimitsMonitor,
  publicKeysFrom,
  runMigrations,
  startService,
  type EventBus,
  type Logger,
  type RunningService,
  pingNats,
} from '@lumina/common';
import type { Pool } from 'mysql2/promise';
import { buildApp } from './app';
import type { Config } from './config';
import { searchListeners } from './events';
import { SearchService } from './search';
import { IndexWriter } from './store/index-writer';
import { MIGRATION_LOCK, MIGRATIONS, LIVE_TABLES } from './store/schema';
import { SearchReader } from './store/search-reader';

export interface SearchConnections {
  pool: Pool;
  bus: EventBus;
}

/** Database (created and migrated) and NATS (streams provisioned): shared by the service and the rebuild. */
export async function connectSearchStores(config: Config, log: Logger, clientName = 'search'): Promise<SearchConnections> {
  await ensureMysqlDatabase(config.MYSQL_URL);
  const pool = createMysqlPool(config.MYSQL_URL, { connectionLimit: config.MYSQL_POOL_SIZE });
  try {
    await pingMysql(pool, config.MYSQL_URL);
    const applied = await runMigrations(pool, MIGRATIONS, MIGRATION_LOCK);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    const bus = await connectEventBus(busOptionsFrom(config, clientName, log));
    try {
      // Everything this service touches: the streams it consumes and the DLQ.
      await provisionStreams(bus, streamsOf('search'), streamSettingsFrom(config, 'search'));
    } catch (err) {
      await closeEventBus(bus);
      throw err;
    }
    return { pool, bus };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

export interface StartedSearchService extends SearchConnections {
  running: RunningService;
  log: Logger;
}

export async function startSearchService(config: Config, options: { log?: Logger } = {}): Promise<StartedSearchService> {
  const log = options.log ?? createLogger('search', config.LOG_LEVEL);
  const publicKeys = publicKeysFrom(config);
  const { pool, bus } = await connectSearchStores(config, log);
  const search = new SearchService(new SearchReader(pool, LIVE_TABLES));
  const app = buildApp({
    log,
    publicKeys,
    search,
    cookieSecure: config.COOKIE_SECURE,
    allowedOrigins: config.ALLOWED_ORIGINS,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    readiness: {
      mysql: () => pingMysql(pool, config.MYSQL_URL),
      nats: () => pingNats(bus),
    },
  });
  const listeners = searchListeners(bus, new IndexWriter(pool, LIVE_TABLES), { concurrency: config.LISTENER_CONCURRENCY });
  const running = await startService({
    name: 'search',
    port: config.PORT,
    log,
    app,
    workers: [
      ...listeners,
      new StreamLimitsMonitor(bus, {
        streams: streamsOf('search'),
        consumers: listeners,
        log,
        intervalMs: config.STREAM_LIMITS_CHECK_INTERVAL_MS,
      }),
    ],
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    close: async () => {
      await closeEventBus(bus);
      await pool.end();
    },
  });
  return { running, pool, bus, log };
}
