/**
 * Starts the whole search service in-process (common's bootService does the rest): what
 * index.ts runs, and what tests and the one-machine launcher call to get the real thing.
 */
import { bootService, mysqlStore, runMigrations, type Logger } from '@lumina/common';
import { buildApp } from './app';
import type { Config } from './config';
import { searchListeners } from './events';
import { SearchService } from './search';
import { IndexWriter } from './store/index-writer';
import { LIVE_TABLES, MIGRATION_LOCK, MIGRATIONS } from './store/schema';
import { SearchReader } from './store/search-reader';

/** The index's database (created and migrated): the service's one store, and the rebuild's. */
export function searchStores(config: Config) {
  return {
    pool: mysqlStore({
      url: config.MYSQL_URL,
      poolSize: config.MYSQL_POOL_SIZE,
      migrate: (pool) => runMigrations(pool, MIGRATIONS, MIGRATION_LOCK),
    }),
  };
}

export type StartedSearchService = Awaited<ReturnType<typeof startSearchService>>;

export async function startSearchService(config: Config, options: { log?: Logger } = {}) {
  return bootService({
    service: 'search',
    config,
    log: options.log,
    stores: searchStores(config),
    build: ({ pool, bus, http }) => ({
      app: buildApp({ ...http, search: new SearchService(new SearchReader(pool, LIVE_TABLES)) }),
      listeners: searchListeners(bus, new IndexWriter(pool, LIVE_TABLES), { concurrency: config.LISTENER_CONCURRENCY }),
      handles: {},
    }),
  });
}
