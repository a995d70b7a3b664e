/// <reference types="cookie-session" />
/** The session's two cookies: the access token (cookie-session, common's) and the refresh token. */
import { authContract, legacyPathOf } from '@lumina/contract';
import type { Request, Response } from 'express';
import type { Session } from '../accounts';
import { REFRESH_TOKEN_PATTERN } from '../session-tokens';

/** The refresh token is only ever sent to auth's own routes: `/api/v1/users`. */
export const REFRESH_COOKIE_PATH = authContract.prefix;
/** …or to their deprecated unversioned alias, for a client signed in through it (`/api/users`). */
export const LEGACY_REFRESH_COOKIE_PATH = legacyPathOf(REFRESH_COOKIE_PATH);

/**
 * The refresh cookie's path for this request: the prefix it came through, so a client of the
 * deprecated alias (which refreshes at /api/users/refresh) keeps getting its cookie back.
 */
function refreshCookiePath(req: Request): string {
  return req.baseUrl === LEGACY_REFRESH_COOKIE_PATH ? LEGACY_REFRESH_COOKIE_PATH : REFRESH_COOKIE_PATH;
}

/**
 * Behind TLS the refresh cookie is `__Secure-refresh`: the browser accepts it only with Secure, so
 * a plain-HTTP page cannot plant one. It cannot be `__Host-` like the session cookie, because
 * `__Host-` requires Path=/ and this cookie is scoped to /api/v1/users (or the alias /api/users) so that no other service ever
 * receives the refresh token.
 */
export function refreshCookieName(secure: boolean): string {
  return secure ? '__Secure-refresh' : 'refresh';
}

export interface CookieSettings {
  secure: boolean;
}

export function setSessionCookies(req: Request, res: Response, session: Session, settings: CookieSettings): void {
  req.session = { jwt: session.accessToken };
  res.cookie(refreshCookieName(settings.secure), session.refreshToken, {
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secure,
    path: refreshCookiePath(req),
    expires: session.refreshExpiresAt,
  });
}

/** Clears the refresh cookie at both paths: whichever prefix the client signed in through. */
export function clearSessionCookies(req: Request, res: Response, settings: CookieSettings): void {
  req.session = null;
  for (const path of [REFRESH_COOKIE_PATH, LEGACY_REFRESH_COOKIE_PATH]) {
    res.clearCookie(refreshCookieName(settings.secure), { httpOnly: true, sameSite: 'lax', secure: settings.secure, path });
  }
}

/** The refresh token from the Cookie header, if one of the right shape is there. */
export function refreshTokenFrom(req: Request, settings: CookieSettings): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  const name = refreshCookieName(settings.secure);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    if (REFRESH_TOKEN_PATTERN.test(value)) return value;
  }
  return undefined;
}
