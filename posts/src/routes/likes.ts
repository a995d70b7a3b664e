/** /api/posts/:id/like: PUT likes, DELETE unlikes; both idempotent. */
import { Router } from 'express';
import { requireAuth, signedInUser } from '@lumina/common';
import type { EngagementService } from '../engagement';
import { idParam } from './inputs';

export function likesRouter(engagement: EngagementService): Router {
  const router = Router();

  router.put('/:id/like', requireAuth, async (req, res) => {
    res.json(await engagement.setLike(idParam(req.params, 'id'), signedInUser(req).id, true));
  });

  router.delete('/:id/like', requireAuth, async (req, res) => {
    res.json(await engagement.setLike(idParam(req.params, 'id'), signedInUser(req).id, false));
  });

  return router;
}
