import { parse as parseCookieHeader } from 'cookie';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { NotAuthorizedError } from './errors';
import { verifiedAccessToken, type PublicKeySet, type UserPayload } from './tokens';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The signed-in user, when the request carries a valid access token. */
      currentUser?: UserPayload;
    }
  }
}

/** What the session cookie holds: cookie-session's encoding (base64 of this JSON); only auth writes it. */
export interface SessionData {
  jwt?: string;
}

/**
 * The access token in the session cookie `name`, read straight from the Cookie header. Only auth
 * mounts cookie-session (it writes the cookie); for a service that only reads it, cookie-session's
 * per-request work (a `session` property defined on every request, a Cookies object, a header hook)
 * made V8 promote each request's objects out of the young generation (scavenges of 20 ms and more):
 * the common app answered a pre-built page at 0.40 of bare Express with it and 0.6 without (the
 * README's "Only auth mounts cookie-session").
 */
export function sessionTokenFrom(cookieHeader: string | undefined, name: string): string | undefined {
  if (cookieHeader === undefined || !cookieHeader.includes(name)) return undefined;
  const value = parseCookieHeader(cookieHeader)[name];
  if (!value) return undefined;
  try {
    const session = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as SessionData | null;
    return typeof session?.jwt === 'string' ? session.jwt : undefined;
  } catch {
    return undefined; // not cookie-session's encoding: no session
  }
}

function tokenFrom(req: Request, sessionCookie: string): string | undefined {
  const header = req.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match) return match[1];
  }
  return sessionTokenFrom(req.headers.cookie, sessionCookie);
}

/** How many verified tokens a process remembers (about 1 kB each). */
const VERIFIED_TOKENS = 20_000;

/**
 * Tokens already verified, until they expire. An ES256 verification costs a few hundred
 * microseconds of CPU, more than the rest of a cached page read, and a client presents the same
 * token on every request for its 15 minutes; a token is remembered only once its signature, issuer
 * and audience checked out, and only until its own expiry. When full, the first remembered goes
 * first: a hit does not move its token to the back, since a Map's delete and set on every request
 * churned its table (a token pushed out early is only verified again).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { user: UserPayload; expiresAt: number }>();

  constructor(
    private readonly keys: PublicKeySet,
    private readonly capacity = VERIFIED_TOKENS,
  ) {}

  verify(token: string): UserPayload | null {
    const known = this.entries.get(token);
    if (known) {
      if (known.expiresAt > Date.now()) return known.user;
      this.entries.delete(token);
    }
    const verified = verifiedAccessToken(token, this.keys);
    if (!verified) return null;
    this.entries.set(token, verified);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return verified.user;
  }
}

/** Sets req.currentUser from the Bearer header or the session cookie (named `sessionCookie`); never rejects. */
export function currentUser(keys: PublicKeySet, sessionCookie: string): RequestHandler {
  const verified = new VerifiedTokens(keys);
  return (req, _res, next) => {
    const token = tokenFrom(req, sessionCookie);
    if (token) {
      const user = verified.verify(token);
      if (user) req.currentUser = user;
    }
    next();
  };
}

export function requireAuth(req: Request, _res: Response, next: NextFunction): void {
  if (!req.currentUser) {
    next(new NotAuthorizedError());
    return;
  }
  next();
}

/** For handlers behind requireAuth: the user, typed as present. */
export function signedInUser(req: Request): UserPayload {
  if (!req.currentUser) throw new NotAuthorizedError();
  return req.currentUser;
}
