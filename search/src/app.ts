/** Builds the search service's Express app; no I/O on import or build. */
import { createHttpApp, type AppSettings } from '@lumina/common';
import { searchContract } from '@lumina/contract';
import type { Express } from 'express';
import { searchRouter } from './routes/search';
import type { SearchService } from './search';

export interface AppDeps extends AppSettings {
  search: SearchService;
}

export function buildApp(deps: AppDeps): Express {
  return createHttpApp({
    ...deps,
    service: 'search',
    contract: searchContract,
    routes: [{ prefix: searchContract.prefix, router: searchRouter(deps.search) }],
  });
}
