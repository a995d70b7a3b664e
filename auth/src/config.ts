/** The auth service's environment, parsed and checked once at start-up. */
import { baseServiceEnv, env, parseConfig } from '@lumina/common';
import { z } from 'zod';

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

  /** Fixed window shared by the sign-in and sign-up limits. */
  RATE_LIMIT_WINDOW_MS: env.int(15 * 60_000, 1000),
  SIGNIN_MAX_PER_ADDRESS: env.int(100, 1),
  SIGNIN_MAX_PER_ACCOUNT: env.int(10, 1),
  SIGNUP_MAX_PER_ADDRESS: env.int(20, 1),
  SIGNUP_MAX_PER_ACCOUNT: env.int(5, 1),

  /** argon2id cost; the defaults are OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). */
  ARGON2_MEMORY_KIB: env.int(19_456, 1024),
  ARGON2_TIME_COST: env.int(2, 1),
  ARGON2_PARALLELISM: env.int(1, 1),
});
export type Config = z.infer<typeof configSchema>;

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(configSchema, source);
}

/** The limits buildApp enforces, read from the configuration. */
export interface RateLimits {
  windowMs: number;
  signInPerAddress: number;
  signInPerAccount: number;
  signUpPerAddress: number;
  signUpPerAccount: number;
}

export function rateLimitsFrom(config: Config): RateLimits {
  return {
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    signInPerAddress: config.SIGNIN_MAX_PER_ADDRESS,
    signInPerAccount: config.SIGNIN_MAX_PER_ACCOUNT,
    signUpPerAddress: config.SIGNUP_MAX_PER_ADDRESS,
    signUpPerAccount: config.SIGNUP_MAX_PER_ACCOUNT,
  };
}
