/** The posts HTTP app: every /api/v1/posts route on the common app. Building it does no I/O. */
import type { Express } from 'express';
import { createHttpApp, perUserRateLimit, type AppSettings, type RateLimitStore } from '@lumina/common';
import { postsContract } from '@lumina/contract';
import type { WriteLimits } from './config';
import type { EngagementService } from './engagement';
import type { PostsService } from './posts';
import { commentsRouter } from './routes/comments';
import { likesRouter } from './routes/likes';
import { postsRouter } from './routes/posts';

export interface AppDeps extends AppSettings {
  posts: PostsService;
  engagement: EngagementService;
  /** Where per-user write limits are counted (the service's MongoDB). */
  rateLimits: RateLimitStore;
  writeLimits: WriteLimits;
}

/** The contract's prefix, `/api/v1/posts` (also mounted at its deprecated alias `/api/posts`). */
export const ROUTE_PREFIX = postsContract.prefix;

export function buildApp(deps: AppDeps): Express {
  const limit = (name: string, max: number) => perUserRateLimit(deps.rateLimits, { name, max });
  const { writeLimits } = deps;
  return createHttpApp({
    ...deps,
    service: 'posts',
    contract: postsContract,
    routes: [
      { prefix: ROUTE_PREFIX, router: likesRouter(deps.engagement, limit('likes', writeLimits.likes)) },
      { prefix: ROUTE_PREFIX, router: commentsRouter(deps.engagement, limit('comments', writeLimits.comments)) },
      { prefix: ROUTE_PREFIX, router: postsRouter(deps.posts, limit('post-writes', writeLimits.postWrites)) },
    ],
  });
}
