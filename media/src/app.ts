import type { Express } from 'express';
import { createHttpApp, type Logger, type PublicKeySet, type RateLimitStore, type ReadinessChecks } from '@lumina/common';
import { mediaContract } from '@lumina/contract';
import type { MediaService } from './media';
import { mediaRouter } from './routes/media';

export interface AppDeps {
  log: Logger;
  publicKeys: PublicKeySet;
  readiness: ReadinessChecks;
  /** Absent in a worker-only process: it answers health and metrics, and no /api/v1/media routes. */
  media?: MediaService;
  /** Counts uploads per user; shared by every replica. */
  rateLimits: RateLimitStore;
  tmpDir: string;
  cookieSecure?: boolean;
  trustProxyHops?: number;
}

/** The media service's HTTP app; building it does no I/O. */
export function buildApp(deps: AppDeps): Express {
  return createHttpApp({
    service: 'media',
    log: deps.log,
    publicKeys: deps.publicKeys,
    readiness: deps.readiness,
    cookieSecure: deps.cookieSecure,
    trustProxyHops: deps.trustProxyHops,
    contract: mediaContract,
    routes: deps.media
      ? [{ prefix: mediaContract.prefix, router: mediaRouter({ media: deps.media, rateLimits: deps.rateLimits, tmpDir: deps.tmpDir }) }]
      : [],
  });
}
