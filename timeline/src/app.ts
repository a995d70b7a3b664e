/** Builds timeline's Express app from its dependencies; no I/O happens on import or here. */
import {
  createHttpApp,
  perUserRateLimit,
  USER_RATE_LIMIT_WINDOW_MS,
  type Logger,
  type PublicKeySet,
  type RateLimitStore,
  type ReadinessChecks,
} from '@lumina/common';
import { timelineContract } from '@lumina/contract';
import type { Express } from 'express';
import type { TimelineDomain } from './domain';
import type { StreamHub } from './live/stream-hub';
import { apiRoutes } from './routes';

export interface AppDeps {
  log: Logger;
  publicKeys: PublicKeySet;
  domain: TimelineDomain;
  streams: StreamHub;
  readiness: ReadinessChecks;
  /** Where per-user write limits are counted (the service's MongoDB). */
  rateLimits: RateLimitStore;
  /** POST /notifications/read per user and minute. */
  notificationsReadPerMinute: number;
  cookieSecure?: boolean;
  /** The site's own origins (ALLOWED_ORIGINS); empty: the request's own host. */
  allowedOrigins?: readonly string[];
  trustProxyHops?: number;
}

export const TIMELINE_PREFIX = timelineContract.prefix;

export function buildApp(deps: AppDeps): Express {
  const { domain } = deps;
  return createHttpApp({
    service: 'timeline',
    log: deps.log,
    publicKeys: deps.publicKeys,
    cookieSecure: deps.cookieSecure,
    allowedOrigins: deps.allowedOrigins,
    trustProxyHops: deps.trustProxyHops,
    readiness: deps.readiness,
    contract: timelineContract,
    routes: apiRoutes({
      home: domain.home,
      explore: domain.explore,
      notifications: domain.notifications,
      streams: deps.streams,
      limitMarkRead: perUserRateLimit(deps.rateLimits, {
        name: 'notifications-read',
        max: deps.notificationsReadPerMinute,
        windowMs: USER_RATE_LIMIT_WINDOW_MS,
      }),
    }),
  });
}
