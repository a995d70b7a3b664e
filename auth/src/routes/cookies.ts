/// <reference types="cookie-session" />
/** The session's two cookies: `session` (cookie-session, the access token) and `refresh`. */
import type { Request, Response } from 'express';
import type { Session } from '../accounts';
import { REFRESH_TOKEN_PATTERN } from '../session-tokens';

export const REFRESH_COOKIE = 'refresh';
/** The refresh token is only ever sent to auth's own routes. */
export const REFRESH_COOKIE_PATH = '/api/users';

export interface CookieSettings {
  secure: boolean;
}

export function setSessionCookies(req: Request, res: Response, session: Session, settings: CookieSettings): void {
  req.session = { jwt: session.accessToken };
  res.cookie(REFRESH_COOKIE, session.refreshToken, {
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
    path: REFRESH_COOKIE_PATH,
    expires: session.refreshExpiresAt,
  });
}

export function clearSessionCookies(req: Request, res: Response, settings: CookieSettings): void {
  req.session = null;
  res.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'lax', secure: settings.secure, path: REFRESH_COOKIE_PATH });
}

/** The refresh token from the Cookie header, if one of the right shape is there. */
export function refreshTokenFrom(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== REFRESH_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (REFRESH_TOKEN_PATTERN.test(value)) return value;
  }
  return undefined;
}
