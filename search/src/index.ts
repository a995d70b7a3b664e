/** Start-up: read the environment, connect, migrate, start the listeners, listen; stop cleanly on signals. */
import { runMain, shutdownOnSignals } from '@lumina/common';
import { loadConfig } from './config';
import { startSearchService } from './server';

runMain(async () => {
  const { running } = await startSearchService(loadConfig());
  shutdownOnSignals(running);
});
