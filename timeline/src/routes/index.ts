import { Router } from 'express';
import type { Notifications } from '../notifications';
import { notificationsRouter } from './notifications';
import { timelineRouter, type TimelineRouteDeps } from './timeline';

/** Everything under /api/timeline. */
export function apiRouter(deps: TimelineRouteDeps & { notifications: Notifications }): Router {
  const router = Router();
  router.use('/notifications', notificationsRouter(deps.notifications));
  router.use('/', timelineRouter(deps));
  return router;
}
