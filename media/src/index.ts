/** Entry point: read the environment, start the role it names, stop cleanly on SIGTERM/SIGINT. */
import { runService } from '@lumina/common';
import { loadConfig } from './config';
import { startMediaService } from './server';

runService(() => startMediaService(loadConfig()));
