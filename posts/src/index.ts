/** Start-up of the posts service: read the config, start everything, shut down on SIGTERM. */
import { runMain, shutdownOnSignals } from '@lumina/common';
import { loadConfig } from './config';
import { startPostsService } from './server';

runMain(async () => {
  const config = loadConfig();
  const { running } = await startPostsService(config);
  shutdownOnSignals(running);
});
