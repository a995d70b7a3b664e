import { runMain, shutdownOnSignals } from '@lumina/common';
import { loadConfig } from './config';
import { startMediaService } from './server';

runMain(async () => {
  const config = loadConfig();
  const { running } = await startMediaService(config);
  shutdownOnSignals(running);
});
