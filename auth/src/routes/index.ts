/** Every /api/v1/users route, in the order they must match (fixed paths before /:username). */
import { Router } from 'express';
import { followRoutes } from './follows';
import { profileRoutes } from './profiles';
import { sessionRoutes, type SessionRoutesDeps } from './sessions';
import type { FollowGraph } from '../follows';
import type { Profiles } from '../profiles';

export interface UsersRouterDeps extends SessionRoutesDeps {
  profiles: Profiles;
  graph: FollowGraph;
}

export function usersRouter(deps: UsersRouterDeps): Router {
  const router = Router();
  // Answers here carry sessions, emails and viewer-specific flags: common's app keeps every
  // cache from them (private, no-store; Vary: Cookie, Authorization).
  sessionRoutes(router, deps);
  followRoutes(router, deps);
  profileRoutes(router, deps);
  return router;
}
