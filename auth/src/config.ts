/** The auth service's environment, parsed and checked once at start-up. */
import { baseServiceEnv, env, configLoader } from '@lumina/common';
import { z } from 'zod';
import type { SignInThrottleSettings } from './sign-in-throttle';

export const configSchema = baseServiceEnv.extend({
  /** mysql://user:pass@host:3306/auth — the database is created if missing. */
  MYSQL_URL: z.string().regex(/^mysql:\/\//, 'must be a mysql:// URL'),
  MYSQL_POOL_SIZE: env.int(10, 1),
  /** How often the outbox relay looks for events nobody woke it for (left by a crashed process). */
  OUTBOX_POLL_INTERVAL_MS: env.int(500, 10),
  /** PEM file of the ES256 (P-256) private key access tokens are signed with. */
  JWT_PRIVATE_KEY_FILE: z.string().min(1),
  /** The `kid` written into every token; other services find the public key under it. */
  JWT_KID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (1–64)'),
  /**
   * One-machine mode only: when the private key file is missing, generate a key pair, write the
   * private key there (mode 0600) and the public key as `<JWT_KID>.pem` into JWT_PUBLIC_KEYS_DIR.
   */
  JWT_GENERATE_KEY_IF_MISSING: env.bool(false),
  REFRESH_TOKEN_TTL_DAYS: env.int(30, 1),

  /** Fixed window of the sign-up limits. */
  RATE_LIMIT_WINDOW_MS: env.int(15 * 60_000, 1000),
  /** Failed sign-ins from one address (any accounts) before its attempts are slowed down. */
  SIGNIN_MAX_PER_ADDRESS: env.int(100, 1),
  /** Failed sign-ins to one account from one address before that pair's attempts are slowed down. */
  SIGNIN_FAILURES_BEFORE_DELAY: env.int(5, 1),
  /** The first delay after those failures; it doubles with each further failure up to the maximum. */
  SIGNIN_DELAY_BASE_MS: env.int(1000, 1),
  SIGNIN_DELAY_MAX_MS: env.int(15 * 60_000, 1),
  /** Failures are forgotten this long after the last one. */
  SIGNIN_FAILURE_MEMORY_MS: env.int(24 * 3600_000, 1000),
  SIGNUP_MAX_PER_ADDRESS: env.int(20, 1),
  SIGNUP_MAX_PER_ACCOUNT: env.int(5, 1),
  /** Per user and minute (429 beyond): follows and unfollows. */
  FOLLOWS_MAX_PER_MINUTE: env.int(60, 1),
  /** Per user and minute: PATCH /me. */
  PROFILE_EDITS_MAX_PER_MINUTE: env.int(20, 1),

  /** argon2id cost; the defaults are OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). */
  ARGON2_MEMORY_KIB: env.int(19_456, 1024),
  ARGON2_TIME_COST: env.int(2, 1),
  ARGON2_PARALLELISM: env.int(1, 1),
});
export type Config = z.infer<typeof configSchema>;
export const loadConfig = configLoader(configSchema);

/** The limits buildApp enforces, read from the configuration. */
export interface RateLimits {
  windowMs: number;
  signUpPerAddress: number;
  signUpPerAccount: number;
  signIn: SignInThrottleSettings;
  /** Per signed-in user and minute. */
  followsPerMinute: number;
  profileEditsPerMinute: number;
}

export function rateLimitsFrom(config: Config): RateLimits {
  return {
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    signUpPerAddress: config.SIGNUP_MAX_PER_ADDRESS,
    signUpPerAccount: config.SIGNUP_MAX_PER_ACCOUNT,
    followsPerMinute: config.FOLLOWS_MAX_PER_MINUTE,
    profileEditsPerMinute: config.PROFILE_EDITS_MAX_PER_MINUTE,
    signIn: {
      failuresBeforeDelayPerPair: config.SIGNIN_FAILURES_BEFORE_DELAY,
      failuresBeforeDelayPerAddress: config.SIGNIN_MAX_PER_ADDRESS,
      baseDelayMs: config.SIGNIN_DELAY_BASE_MS,
      maxDelayMs: config.SIGNIN_DELAY_MAX_MS,
      memoryMs: Math.max(config.SIGNIN_FAILURE_MEMORY_MS, config.SIGNIN_DELAY_MAX_MS),
    },
  };
}
