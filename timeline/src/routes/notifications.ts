/** GET /api/v1/timeline/notifications and POST /api/v1/timeline/notifications/read. */
import { readPageRequest, requireAuth, signedInUser } from '@lumina/common';
import { Router, type RequestHandler } from 'express';
import type { Notifications } from '../domain/notifications';
import { timePosition } from '../positions';

/** `limitMarkRead`: the per-user limit on POST /read, after requireAuth. */
export function notificationsRouter(notifications: Notifications, limitMarkRead: RequestHandler): Router {
  const router = Router();

  router.get('/', requireAuth, async (req, res) => {
    const viewer = signedInUser(req);
    res.json(await notifications.page(viewer.id, readPageRequest(req.query, timePosition)));
  });

  router.post('/read', requireAuth, limitMarkRead, async (req, res) => {
    await notifications.markAllRead(signedInUser(req).id);
    res.status(204).end();
  });

  return router;
}
