/** Builds auth's Express app from its dependencies; no I/O happens on import or here. */
import { createHttpApp, type AppSettings, type PublicKeySet, type RateLimitStore, type SigningKey } from '@lumina/common';
import { authContract } from '@lumina/contract';
import type { Express } from 'express';
import type { Pool } from 'mysql2/promise';
import { Accounts } from './accounts';
import type { RateLimits } from './config';
import { FollowGraph } from './follows';
import type { PasswordHasher } from './passwords';
import { Profiles } from './profiles';
import { SignInThrottle } from './sign-in-throttle';
import { usersRouter } from './routes';
import { FollowsStore } from './store/follows-store';
import { MySqlRateLimitStore } from './store/rate-limit-store';
import { ReadyMediaStore } from './store/ready-media-store';
import { RefreshTokensStore } from './store/refresh-tokens-store';
import { SignInFailuresStore } from './store/sign-in-failures-store';
import { UsersStore } from './store/users-store';

export interface AppDeps extends AppSettings {
  pool: Pool;
  signingKey: SigningKey;
  /** Verification keys: auth's own public key and any others still trusted. */
  publicKeys: PublicKeySet;
  hasher: PasswordHasher;
  limits: RateLimits;
  /** Shared by replicas; MySQL-backed unless a test hands in another. */
  rateLimits?: RateLimitStore;
  refreshTtlMs: number;
  cookieSecure: boolean;
  trustProxyHops: number;
  /** Wakes the outbox relay after a commit that wrote events (absent: the relay's poll finds them). */
  notifyOutbox?: () => void;
  /** The rules, when the caller shares them with its listeners (else built from these deps). */
  rules?: AuthRules;
}

/** Where auth's routes are mounted: the contract's prefix, `/api/v1/users` (and its deprecated alias `/api/users`). */
export const USERS_PREFIX = authContract.prefix;

/** The rules of auth over its stores: what the routes call, and the listeners too (profiles). */
export interface AuthRules {
  accounts: Accounts;
  profiles: Profiles;
  graph: FollowGraph;
}

export function createRules(deps: Pick<AppDeps, 'log' | 'pool' | 'signingKey' | 'hasher' | 'refreshTtlMs' | 'notifyOutbox'>): AuthRules {
  const { pool } = deps;
  const afterCommit = deps.notifyOutbox ?? (() => undefined);
  const users = new UsersStore(pool);
  const follows = new FollowsStore(pool);
  const accounts = new Accounts({
    pool,
    users,
    refreshTokens: new RefreshTokensStore(pool),
    hasher: deps.hasher,
    signingKey: deps.signingKey,
    refreshTtlMs: deps.refreshTtlMs,
    afterCommit,
    log: deps.log,
  });
  const profiles = new Profiles({ pool, users, follows, readyMedia: new ReadyMediaStore(pool), afterCommit });
  const graph = new FollowGraph({ pool, users, follows, afterCommit });
  return { accounts, profiles, graph };
}

export function buildApp(deps: AppDeps): Express {
  const { pool } = deps;
  const { accounts, profiles, graph } = deps.rules ?? createRules(deps);

  return createHttpApp({
    ...deps,
    service: 'auth',
    writesSession: true,
    contract: authContract,
    routes: [
      {
        prefix: USERS_PREFIX,
        router: usersRouter({
          accounts,
          profiles,
          graph,
          rateLimits: deps.rateLimits ?? new MySqlRateLimitStore(pool),
          signInThrottle: new SignInThrottle(new SignInFailuresStore(pool), deps.limits.signIn),
          limits: deps.limits,
          cookies: { secure: deps.cookieSecure },
        }),
      },
    ],
  });
}
