import type { Router, RequestHandler } from 'express';
import { timelineContract } from '@lumina/contract';
import type { Notifications } from '../domain/notifications';
import { notificationsRouter } from './notifications';
import { timelineRouter, type TimelineRouteDeps } from './timeline';

/**
 * Everything under /api/v1/timeline (and its deprecated alias /api/timeline), each router at its own prefix (not nested with router.use(), so
 * common's app can list every mounted route and hold it to the contract).
 */
export function apiRoutes(
  deps: TimelineRouteDeps & { notifications: Notifications; limitMarkRead: RequestHandler },
): Array<{ prefix: string; router: Router }> {
  const prefix = timelineContract.prefix;
  return [
    { prefix: `${prefix}/notifications`, router: notificationsRouter(deps.notifications, deps.limitMarkRead) },
    { prefix, router: timelineRouter(deps) },
  ];
}
