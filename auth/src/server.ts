/**
 * Starts the whole auth service in this process: database and migrations, NATS and streams, the
 * outbox relay, the media listeners, housekeeping and HTTP. index.ts calls it; so do tests
 * and the one-machine launcher.
 */
import {
  closeEventBus,
  busOptionsFrom,
  connectEventBus,
  createLogger,
  createMysqlPool,
  ensureMysqlDatabase,
  MySqlOutboxRelay,
  pingMysql,
  provisionStreams,
  streamSettingsFrom,
  streamsOf,
  StreamLimitsMonitor,
  startService,
  type EventBus,
  type Logger,
  type RelayOptions,
  type RunningService,
  pingNats,
} from '@lumina/common';
import type { Pool } from 'mysql2/promise';
import { buildApp } from './app';
import { rateLimitsFrom, type Config } from './config';
import { createListeners } from './events';
import { Housekeeping } from './housekeeping';
import { loadSigningKey, verificationKeys } from './keys';
import { Argon2PasswordHasher } from './passwords';
import { Profiles } from './profiles';
import { FollowsStore } from './store/follows-store';
import { UsersStore } from './store/users-store';
import { migrate } from './store/migrations';
import { MySqlRateLimitStore } from './store/rate-limit-store';
import { SignInFailuresStore } from './store/sign-in-failures-store';
import { ReadyMediaStore } from './store/ready-media-store';
import { RefreshTokensStore } from './store/refresh-tokens-store';

export interface RunningAuth {
  running: RunningService;
  pool: Pool;
  bus: EventBus;
  relay: MySqlOutboxRelay;
  log: Logger;
}

export interface StartOptions {
  log?: Logger;
  /** Test hooks for the relay (afterPublish, poll interval). */
  relay?: Partial<RelayOptions>;
}

export async function startAuthService(config: Config, options: StartOptions = {}): Promise<RunningAuth> {
  const log = options.log ?? createLogger('auth', config.LOG_LEVEL);
  const signingKey = loadSigningKey(config);
  const publicKeys = verificationKeys(config, signingKey);

  await ensureMysqlDatabase(config.MYSQL_URL);
  const pool = createMysqlPool(config.MYSQL_URL, { connectionLimit: config.MYSQL_POOL_SIZE });
  let bus: EventBus | undefined;
  try {
    await pingMysql(pool, config.MYSQL_URL);
    const applied = await migrate(pool);
    if (applied.length > 0) log.info({ applied }, 'migrations applied');

    bus = await connectEventBus(busOptionsFrom(config, 'auth', log));
    // Every stream auth touches: it publishes to USERS, consumes MEDIA, dead-letters to DLQ.
    await provisionStreams(bus, streamsOf('auth'), streamSettingsFrom(config, 'auth'));

    const relay = new MySqlOutboxRelay(pool, bus, { log, pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS, ...options.relay });
    const hasher = new Argon2PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    });
    await hasher.warmUp();
    const rateLimits = new MySqlRateLimitStore(pool);
    const readyMedia = new ReadyMediaStore(pool);
    // The listeners' own view of profiles (stores hold no state, so sharing them with the app is unnecessary).
    const profiles = new Profiles({
      pool,
      users: new UsersStore(pool),
      follows: new FollowsStore(pool),
      readyMedia,
      afterCommit: () => relay.notify(),
    });
    const connectedBus = bus;

    const app = buildApp({
      log,
      pool,
      signingKey,
      publicKeys,
      hasher,
      limits: rateLimitsFrom(config),
      rateLimits,
      refreshTtlMs: config.REFRESH_TOKEN_TTL_DAYS * 24 * 3600_000,
      cookieSecure: config.COOKIE_SECURE,
      allowedOrigins: config.ALLOWED_ORIGINS,
      trustProxyHops: config.TRUST_PROXY_HOPS,
      notifyOutbox: () => relay.notify(),
      readiness: {
        mysql: async () => {
          await pool.query('SELECT 1');
        },
        nats: () => pingNats(connectedBus),
      },
    });

    const listeners = createListeners(connectedBus, { readyMedia, profiles });
    const limitsMonitor = new StreamLimitsMonitor(connectedBus, {
      streams: streamsOf('auth'),
      consumers: listeners,
      log,
      intervalMs: config.STREAM_LIMITS_CHECK_INTERVAL_MS,
    });
    const running = await startService({
      name: 'auth',
      port: config.PORT,
      log,
      app,
      workers: [
        relay,
        ...listeners,
        new Housekeeping({ rateLimits, refreshTokens: new RefreshTokensStore(pool), signInFailures: new SignInFailuresStore(pool) }, log),
        limitsMonitor,
      ],
      close: async () => {
        await closeEventBus(connectedBus);
        await pool.end();
      },
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    return { running, pool, bus: connectedBus, relay, log };
  } catch (err) {
    if (bus) await closeEventBus(bus).catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw err;
  }
}
