/**
 * @lumina/contract: the HTTP API as zod schemas. Each schema gives the TypeScript type (z.infer),
 * the runtime check (services parse input and tests check answers with it) and the OpenAPI
 * document (openApiDocument), so the three cannot drift apart.
 */
export * from './limits';
export * from './shapes';
export * from './route';
export * from './version';
export * from './common-inputs';
export * from './auth';
export * from './posts';
export * from './media';
export * from './search';
export * from './timeline';
export * from './openapi';
export * from './client';

import { authContract } from './auth';
import { mediaContract } from './media';
import { postsContract } from './posts';
import { searchContract } from './search';
import { timelineContract } from './timeline';

/** Every service's contract, by service name. */
export const contracts = {
  auth: authContract,
  posts: postsContract,
  media: mediaContract,
  search: searchContract,
  timeline: timelineContract,
} as const;
