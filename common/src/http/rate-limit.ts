import type { Request, RequestHandler } from 'express';
import { TooManyRequestsError } from './errors';

/** Counts hits per key in fixed windows. A service with replicas backs it with its database. */
export interface RateLimitStore {
  /** Records one hit and answers the count in the current window and when the window ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }>;
  /** Forgets a key (after a successful sign-in, say). */
  reset(key: string): Promise<void>;
}

/** One process's memory: right for a single replica and for tests. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }> {
    const now = Date.now();
    let entry = this.windows.get(key);
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, entry);
      if (this.windows.size > 100_000) this.sweep(now);
    }
    entry.count += 1;
    return { ...entry };
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.windows) if (entry.resetAt <= now) this.windows.delete(key);
  }
}

export interface RateLimitRule {
  /** Names the limit in its keys, so two rules on one store do not share counts. */
  name: string;
  windowMs: number;
  max: number;
  /** The thing being limited (an address, an account); undefined skips this rule. */
  key: (req: Request) => string | undefined;
}

/** Checks one rule and throws 429 with Retry-After once its window is full. */
export async function enforceRateLimit(store: RateLimitStore, rule: RateLimitRule, req: Request): Promise<void> {
  const subject = rule.key(req);
  if (subject === undefined) return;
  const { count, resetAt } = await store.hit(`${rule.name}:${subject}`, rule.windowMs);
  if (count > rule.max) throw new TooManyRequestsError((resetAt - Date.now()) / 1000);
}

/** Middleware form: every rule must pass. */
export function rateLimit(store: RateLimitStore, ...rules: RateLimitRule[]): RequestHandler {
  return async (req, _res, next) => {
    try {
      for (const rule of rules) await enforceRateLimit(store, rule, req);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The client address as the first trusted proxy saw it (Express's `trust proxy` decides). */
export const byClientAddress = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** A limit on what one signed-in user may do in a window (follows, likes, uploads…). */
export interface UserRateLimit {
  /** Names the limit in its keys: `likes`, `media-uploads`. */
  name: string;
  max: number;
  /** Default: USER_RATE_LIMIT_WINDOW_MS. */
  windowMs?: number;
}

/** Per-user write limits are counted in windows of a minute unless a route says otherwise. */
export const USER_RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * The per-user limiter every write route uses: 429 with Retry-After once the signed-in user has
 * done `max` of this in the window. Goes after requireAuth; an anonymous request passes here
 * untouched (requireAuth refuses it first).
 */
export function perUserRateLimit(store: RateLimitStore, limit: UserRateLimit): RequestHandler {
  return rateLimit(store, {
    name: `user-${limit.name}`,
    windowMs: limit.windowMs ?? USER_RATE_LIMIT_WINDOW_MS,
    max: limit.max,
    key: (req) => req.currentUser?.id,
  });
}
