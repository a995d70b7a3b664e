import type { Express } from 'express';
import { createHttpApp, type AppSettings, type RateLimitStore } from '@lumina/common';
import { mediaContract } from '@lumina/contract';
import type { MediaService } from './media';
import { mediaRouter } from './routes/media';

export interface AppDeps extends AppSettings {
  /** Absent in a worker-only process: it answers health and metrics, and no /api/v1/media routes. */
  media?: MediaService;
  /** Counts uploads per user; shared by every replica. */
  rateLimits: RateLimitStore;
  tmpDir: string;
}

/** The media service's HTTP app; building it does no I/O. */
export function buildApp(deps: AppDeps): Express {
  return createHttpApp({
    ...deps,
    service: 'media',
    contract: mediaContract,
    routes: deps.media
      ? [{ prefix: mediaContract.prefix, router: mediaRouter({ media: deps.media, rateLimits: deps.rateLimits, tmpDir: deps.tmpDir }) }]
      : [],
  });
}
