/** Builds the search service's Express app; no I/O on import or build. */
import { createHttpApp, type Logger, type PublicKeySet, type ReadinessChecks } from '@lumina/common';
import { searchContract } from '@lumina/contract';
import type { Express } from 'express';
import { searchRouter } from './routes/search';
import type { SearchService } from './search';

export interface AppDeps {
  log: Logger;
  publicKeys: PublicKeySet;
  search: SearchService;
  readiness: ReadinessChecks;
  cookieSecure?: boolean;
  /** The site's own origins (ALLOWED_ORIGINS); empty: the request's own host. */
  allowedOrigins?: readonly string[];
  trustProxyHops?: number;
}

export function buildApp(deps: AppDeps): Express {
  return createHttpApp({
    service: 'search',
    log: deps.log,
    publicKeys: deps.publicKeys,
    contract: searchContract,
    routes: [{ prefix: searchContract.prefix, router: searchRouter(deps.search) }],
    readiness: deps.readiness,
    cookieSecure: deps.cookieSecure,
    allowedOrigins: deps.allowedOrigins,
    trustProxyHops: deps.trustProxyHops,
  });
}
