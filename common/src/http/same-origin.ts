/**
 * Cross-site request forgery, defence in depth. SameSite=Lax cookies and JSON-only bodies already
 * stop most forged writes, but a same-site page (another subdomain) still sends our cookies with a
 * body-less POST or a multipart form. So a state-changing request whose `Origin` (or, without
 * one, `Referer`) names a site that is not ours is refused with 403. Requests that carry neither
 * (curl, server-to-server, Bearer-token clients) pass: a browser always sends Origin on a
 * cross-origin POST, PUT, PATCH or DELETE.
 */
import type { Request, RequestHandler } from 'express';
import { ForbiddenError } from './errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const CROSS_SITE_REFUSED = 'Cross-site request refused';

/** The origin a browser says the request comes from, or undefined if it says nothing. */
function claimedOrigin(req: Request): string | undefined {
  const origin = req.get('origin');
  if (origin !== undefined) return origin;
  const referer = req.get('referer');
  if (referer === undefined || referer === '') return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

/**
 * `allowedOrigins` lists the site's own origins (`https://lumina.example`); empty means "the host
 * this request was addressed to", which is right whenever the client is served from the same
 * origin as the API (the ingress and the local gateway both pass the Host on).
 */
export function refuseCrossSiteWrites(allowedOrigins: readonly string[] = []): RequestHandler {
  const allowed = new Set(allowedOrigins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = claimedOrigin(req);
    if (origin === undefined) return next();
    if (isOurs(origin.toLowerCase(), req, allowed)) return next();
    req.log?.warn({ origin, method: req.method, url: req.originalUrl }, 'cross-site write refused');
    next(new ForbiddenError(CROSS_SITE_REFUSED));
  };
}

function isOurs(origin: string, req: Request, allowed: ReadonlySet<string>): boolean {
  if (allowed.size > 0) return allowed.has(origin);
  // `Origin: null` (sandboxed frames, opaque redirects) has no host and so is never ours.
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  // Express's req.host honours X-Forwarded-Host from a trusted proxy and keeps the port.
  return host !== '' && host === req.host.toLowerCase();
}

/** `ALLOWED_ORIGINS` as the environment gives it: origins separated by commas. */
export function parseAllowedOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}
