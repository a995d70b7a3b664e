/** Entry point: read the environment, start everything, stop cleanly on SIGTERM/SIGINT. */
import { runMain, shutdownOnSignals } from '@lumina/common';
import { loadConfig } from './config';
import { startTimelineService } from './server';

runMain(async () => {
  const config = loadConfig();
  const { running } = await startTimelineService(config);
  shutdownOnSignals(running);
});
