import { Router, type RequestHandler } from 'express';
import type { Notifications } from '../domain/notifications';
import { notificationsRouter } from './notifications';
import { timelineRouter, type TimelineRouteDeps } from './timeline';

/** Everything under /api/timeline. */
export function apiRouter(deps: TimelineRouteDeps & { notifications: Notifications; limitMarkRead: RequestHandler }): Router {
  const router = Router();
  router.use('/notifications', notificationsRouter(deps.notifications, deps.limitMarkRead));
  router.use('/', timelineRouter(deps));
  return router;
}
