/** Start-up: read the environment, connect, migrate, start the listeners, listen; stop cleanly on signals. */
import { runService } from '@lumina/common';
import { loadConfig } from './config';
import { startSearchService } from './server';

runService(() => startSearchService(loadConfig()));
