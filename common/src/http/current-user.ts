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

/** The cookie-session payload every service reads; only auth writes it. */
export interface SessionData {
  jwt?: string;
}

function tokenFrom(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match) return match[1];
  }
  const session = req.session as SessionData | null | undefined;
  return typeof session?.jwt === 'string' ? session.jwt : undefined;
}

/** How many verified tokens a process remembers (about 1 kB each). */
const VERIFIED_TOKENS = 20_000;

/**
 * Tokens already verified, until they expire. An ES256 verification costs a few hundred
 * microseconds of CPU, more than the rest of a cached page read, and a client presents the same
 * token on every request for its 15 minutes; a token is remembered only once its signature, issuer
 * and audience checked out, and only until its own expiry. Least recently used goes first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { user: UserPayload; expiresAt: number }>();

  constructor(
    private readonly keys: PublicKeySet,
    private readonly capacity = VERIFIED_TOKENS,
  ) {}

  verify(token: string): UserPayload | null {
    const now = Date.now();
    const known = this.entries.get(token);
    if (known) {
      this.entries.delete(token);
      if (known.expiresAt > now) {
        this.entries.set(token, known);
        return known.user;
      }
    }
    const verified = verifiedAccessToken(token, this.keys);
    if (!verified) return null;
    this.entries.set(token, verified);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return verified.user;
  }
}

/** Sets req.currentUser from the Bearer header or the `session` cookie; never rejects. */
export function currentUser(keys: PublicKeySet): RequestHandler {
  const verified = new VerifiedTokens(keys);
  return (req, _res, next) => {
    const token = tokenFrom(req);
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
