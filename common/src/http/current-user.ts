import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { NotAuthorizedError } from './errors';
import { verifyAccessToken, type PublicKeySet, type UserPayload } from './tokens';

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

/** Sets req.currentUser from the Bearer header or the `session` cookie; never rejects. */
export function currentUser(keys: PublicKeySet): RequestHandler {
  return (req, _res, next) => {
    const token = tokenFrom(req);
    if (token) {
      const user = verifyAccessToken(token, keys);
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
