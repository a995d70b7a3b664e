/**
 * Environment, parsed and checked once at start-up. A missing or bad variable stops the process
 * with one message naming every variable at fault, never a stack trace.
 */
import { z } from 'zod';
import { parseAllowedOrigins } from './http/same-origin';
import { loadPublicKeys, type PublicKeySet } from './http/tokens';
import { streamLimitsOverrides } from './events/stream-limits';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const booleanString = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

/** Small helpers so every service writes its schema the same way. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback),
  url: () => z.string().url(),
  bool: (fallback: boolean) => booleanString.default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  /** mongodb://host:27017/<database> (or mongodb+srv://). */
  mongoUrl: () => z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL'),
  /** redis://host:6379 (or rediss:// with TLS). */
  redisUrl: () => z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
};

/** What every service reads: its port, NATS, the event namespace and token verification keys. */
export const baseServiceEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: env.port(3000),
  /** The address to listen on (startService reads it; not HOST, which shells set to the host name); unset: every interface, as in a pod. */
  BIND_ADDRESS: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** This service's own NATS user (see common/src/events/permissions.ts) and its password. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** Subjects are `<prefix>.<aggregate>.<verb>`; tests use their own prefix to run in parallel. */
  EVENT_SUBJECT_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/)
    .default('lumina'),
  /** Prepended to stream names (USERS, POSTS…), for the same reason. */
  EVENT_STREAM_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]*$/)
    .default(''),
  STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Retention of the event streams (USERS, POSTS, MEDIA, MEDIA_JOBS): older messages are deleted; 0 keeps them. */
  STREAM_MAX_AGE_HOURS: z.coerce
    .number()
    .min(0)
    .default(7 * 24),
  /** Past this size a stream deletes its oldest messages; -1 is no limit. */
  STREAM_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(-1)
    .default(1024 ** 3),
  DLQ_MAX_AGE_HOURS: z.coerce
    .number()
    .min(0)
    .default(30 * 24),
  DLQ_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(-1)
    .default(1024 ** 3),
  /** Per-stream overrides, JSON: `{"USERS": {"maxAgeHours": 720, "maxBytes": 4294967296}}`. */
  STREAM_LIMITS: streamLimitsOverrides,
  /** How often the stream limits monitor reads the streams and consumers (metrics, warnings). */
  STREAM_LIMITS_CHECK_INTERVAL_MS: env.int(60_000, 1000),
  /** JSON object kid → public key PEM. */
  JWT_PUBLIC_KEYS: z.string().optional(),
  /** A directory of `<kid>.pem` public keys (a mounted Secret). */
  JWT_PUBLIC_KEYS_DIR: z.string().optional(),
  /** Secure cookies: true behind TLS. */
  COOKIE_SECURE: env.bool(false),
  /**
   * The site's own origins, comma-separated (`https://lumina.example`): a POST, PUT, PATCH or
   * DELETE whose Origin or Referer names another is 403. Empty: the host the request came to.
   */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform(parseAllowedOrigins)
    .refine((origins) => origins.every(isOrigin), 'comma-separated origins such as https://lumina.example'),
  /** Express `trust proxy`: how many proxies (the ingress) stand in front. */
  TRUST_PROXY_HOPS: env.int(1),
  SHUTDOWN_TIMEOUT_MS: env.int(25_000, 1000),
});
export type BaseServiceEnv = z.infer<typeof baseServiceEnv>;

export function parseConfig<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  return result.data;
}

/** A service's loadConfig: its schema, parsed from the environment (process.env unless one is given). */
export function configLoader<S extends z.ZodType>(schema: S): (source?: NodeJS.ProcessEnv) => z.infer<S> {
  return (source = process.env) => parseConfig(schema, source);
}

/** The verification keys a service is configured with; at least one is required. */
export function publicKeysFrom(config: Pick<BaseServiceEnv, 'JWT_PUBLIC_KEYS' | 'JWT_PUBLIC_KEYS_DIR'>): PublicKeySet {
  if (!config.JWT_PUBLIC_KEYS && !config.JWT_PUBLIC_KEYS_DIR) {
    throw new ConfigError(['JWT_PUBLIC_KEYS or JWT_PUBLIC_KEYS_DIR: one is required to verify access tokens']);
  }
  try {
    const keys = loadPublicKeys({ json: config.JWT_PUBLIC_KEYS, dir: config.JWT_PUBLIC_KEYS_DIR });
    if (keys.size === 0) throw new Error('no key found');
    return keys;
  } catch (err) {
    throw new ConfigError([`JWT_PUBLIC_KEYS / JWT_PUBLIC_KEYS_DIR: ${(err as Error).message}`]);
  }
}
