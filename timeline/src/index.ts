/** Entry point: read the environment, start everything, stop cleanly on SIGTERM/SIGINT. */
import { runService } from '@lumina/common';
import { loadConfig } from './config';
import { startTimelineService } from './server';

runService(() => startTimelineService(loadConfig()));
