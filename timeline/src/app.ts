/** Builds timeline's Express app from its dependencies; no I/O happens on import or here. */
import { createHttpApp, perUserRateLimit, type AppSettings, type RateLimitStore } from '@lumina/common';
import { timelineContract } from '@lumina/contract';
import type { Express } from 'express';
import type { TimelineDomain } from './domain';
import type { StreamHub } from './live/stream-hub';
import { apiRoutes } from './routes';

export interface AppDeps extends AppSettings {
  domain: TimelineDomain;
  streams: StreamHub;
  /** Where per-user write limits are counted (the service's MongoDB). */
  rateLimits: RateLimitStore;
  /** POST /notifications/read per user and minute. */
  notificationsReadPerMinute: number;
}

export const TIMELINE_PREFIX = timelineContract.prefix;

export function buildApp(deps: AppDeps): Express {
  const { domain } = deps;
  return createHttpApp({
    ...deps,
    service: 'timeline',
    contract: timelineContract,
    routes: apiRoutes({
      home: domain.home,
      explore: domain.explore,
      notifications: domain.notifications,
      streams: deps.streams,
      limitMarkRead: perUserRateLimit(deps.rateLimits, { name: 'notifications-read', max: deps.notificationsReadPerMinute }),
    }),
  });
}
