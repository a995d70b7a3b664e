/** /api/v1/posts/:id/like: PUT likes, DELETE unlikes; both idempotent. */
import { Router, type RequestHandler } from 'express';
import { requireAuth, signedInUser } from '@lumina/common';
import type { EngagementService } from '../engagement';
import { idParam } from './params';

/** `limited`: the per-user limit on likes, after requireAuth. */
export function likesRouter(engagement: EngagementService, limited: RequestHandler): Router {
  const router = Router();

  router.put('/:id/like', requireAuth, limited, async (req, res) => {
    res.json(await engagement.setLike(idParam(req.params, 'id'), signedInUser(req).id, true));
  });

  router.delete('/:id/like', requireAuth, limited, async (req, res) => {
    res.json(await engagement.setLike(idParam(req.params, 'id'), signedInUser(req).id, false));
  });

  return router;
}
