/** Sign-up, sign-in, refresh, sign-out and the current user. */
import { byClientAddress, enforceRateLimit, NotAuthorizedError, parseWith, type RateLimitStore } from '@lumina/common';
import { Router, type Request } from 'express';
import { SignInBody, SignUpBody } from '@lumina/contract';
import type { Accounts, Session } from '../accounts';
import type { RateLimits } from '../config';
import type { SignInThrottle } from '../sign-in-throttle';
import { normalizeEmail, ownUser } from '../users';
import { clearSessionCookies, refreshTokenFrom, setSessionCookies, type CookieSettings } from './cookies';

export interface SessionRoutesDeps {
  accounts: Accounts;
  signInThrottle: SignInThrottle;
  rateLimits: RateLimitStore;
  limits: RateLimits;
  cookies: CookieSettings;
}

/** The email a body names, for the per-account limit (only once the body is known to be valid). */
const accountKey = (email: string) => (_req: Request) => normalizeEmail(email);

export function sessionRoutes(router: Router, deps: SessionRoutesDeps): void {
  const { accounts, signInThrottle, rateLimits, limits, cookies } = deps;
  const windowMs = limits.windowMs;

  router.post('/signup', async (req, res) => {
    await enforceRateLimit(rateLimits, { name: 'signup-address', windowMs, max: limits.signUpPerAddress, key: byClientAddress }, req);
    const input = parseWith(SignUpBody, req.body ?? {});
    await enforceRateLimit(
      rateLimits,
      { name: 'signup-account', windowMs, max: limits.signUpPerAccount, key: accountKey(input.email) },
      req,
    );
    const session = await accounts.signUp(input);
    setSessionCookies(req, res, session, cookies);
    res.status(201).json({ user: ownUser(session.user) });
  });

  router.post('/signin', async (req, res) => {
    const input = parseWith(SignInBody, req.body ?? {});
    // Slowed per (account, address) and per address, never per account alone (sign-in-throttle.ts).
    const admission = await signInThrottle.admit(normalizeEmail(input.email), byClientAddress(req));
    let session: Session;
    try {
      session = await accounts.signIn(input.email, input.password);
    } catch (err) {
      if (!(err instanceof NotAuthorizedError)) await signInThrottle.released(admission);
      throw err;
    }
    await signInThrottle.succeeded(admission);
    setSessionCookies(req, res, session, cookies);
    res.status(200).json({ user: ownUser(session.user) });
  });

  router.post('/refresh', async (req, res) => {
    try {
      const session = await accounts.refresh(refreshTokenFrom(req, cookies));
      setSessionCookies(req, res, session, cookies);
      res.status(200).json({ user: ownUser(session.user) });
    } catch (err) {
      // A refused token is dead: drop it. Any other failure (the database is down) keeps the session.
      if (err instanceof NotAuthorizedError) clearSessionCookies(req, res, cookies);
      throw err;
    }
  });

  router.post('/signout', async (req, res) => {
    await accounts.signOut(refreshTokenFrom(req, cookies));
    clearSessionCookies(req, res, cookies);
    res.status(204).end();
  });

  router.get('/currentuser', async (req, res) => {
    const user = req.currentUser ? await accounts.currentUser(req.currentUser.id) : undefined;
    res.json({ currentUser: user ? ownUser(user) : null });
  });
}
