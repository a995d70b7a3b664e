/**
 * `npm run -w search rebuild-index`: rebuilds the index from the USERS and POSTS streams while
 * the service keeps serving, then switches over (see replay.ts). Same environment as the
 * service (MYSQL_URL, NATS_URL, EVENT_* prefixes); JWT keys are not needed.
 */
import { createLogger, openConnections, runMain } from '@lumina/common';
import { loadConfig } from './config';
import { rebuildIndex } from './replay';
import { searchStores } from './server';

runMain(async () => {
  const config = loadConfig();
  const log = createLogger('search-rebuild', config.LOG_LEVEL);
  const { pool, bus, close } = await openConnections({
    service: 'search',
    instance: 'search-rebuild',
    config,
    log,
    stores: searchStores(config),
  });
  try {
    const report = await rebuildIndex({ pool, bus, log });
    log.info(report, 'search index rebuilt');
  } finally {
    await close();
  }
});
