/** Entry point: read the environment, start everything, stop cleanly on SIGTERM/SIGINT. */
import { runService } from '@lumina/common';
import { loadConfig } from './config';
import { startAuthService } from './server';

runService(() => startAuthService(loadConfig()));
