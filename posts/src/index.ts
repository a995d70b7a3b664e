/** Start-up of the posts service: read the config, start everything, shut down on SIGTERM. */
import { runService } from '@lumina/common';
import { loadConfig } from './config';
import { startPostsService } from './server';

runService(() => startPostsService(loadConfig()));
