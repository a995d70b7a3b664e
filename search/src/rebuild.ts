/**
 * `npm run rebuild -w search`: rebuilds the index from the USERS and POSTS streams while the
 * service keeps serving, then switches over (see rebuild-index.ts). Same environment as the
 * service (MYSQL_URL, NATS_URL, EVENT_* prefixes); JWT keys are not needed.
 */
import { closeEventBus, createLogger, runMain } from '@lumina/common';
import { loadConfig } from './config';
import { rebuildIndex } from './rebuild-index';
import { connectSearchStores } from './server';

runMain(async () => {
  const config = loadConfig();
  const log = createLogger('search-rebuild', config.LOG_LEVEL);
  const { pool, bus } = await connectSearchStores(config, log, 'search-rebuild');
  try {
    const report = await rebuildIndex({ pool, bus, log });
    log.info(report, 'search index rebuilt');
  } finally {
    await closeEventBus(bus);
    await pool.end();
  }
});
