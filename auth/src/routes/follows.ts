/** Follow, unfollow and the follower / following lists. */
import { perUserRateLimit, readPageRequest, requireAuth, signedInUser, timeIdCursor, type RateLimitStore } from '@lumina/common';
import type { Router } from 'express';
import type { RateLimits } from '../config';
import type { FollowGraph } from '../follows';
import { userIdParam } from './params';

export function followRoutes(router: Router, deps: { graph: FollowGraph; rateLimits: RateLimitStore; limits: RateLimits }): void {
  const { graph } = deps;
  const limited = perUserRateLimit(deps.rateLimits, { name: 'follows', max: deps.limits.followsPerMinute });

  router.put('/:id/follow', requireAuth, limited, async (req, res) => {
    await graph.follow(signedInUser(req).id, userIdParam(req.params.id));
    res.status(204).end();
  });

  router.delete('/:id/follow', requireAuth, limited, async (req, res) => {
    await graph.unfollow(signedInUser(req).id, userIdParam(req.params.id));
    res.status(204).end();
  });

  router.get('/:id/followers', async (req, res) => {
    const id = userIdParam(req.params.id);
    res.json(await graph.list('followers', id, readPageRequest(req.query, timeIdCursor)));
  });

  router.get('/:id/following', async (req, res) => {
    const id = userIdParam(req.params.id);
    res.json(await graph.list('following', id, readPageRequest(req.query, timeIdCursor)));
  });
}
