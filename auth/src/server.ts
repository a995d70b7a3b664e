/**
 * Starts the whole auth service in this process (common's bootService does the rest): MySQL and
 * its migrations, the outbox relay, the media listeners, the sweeper of expired records and HTTP. index.ts calls
 * it; so do tests and the one-machine launcher.
 */
import { bootService, mysqlStore, MySqlOutboxRelay, type Logger, type RelayOptions } from '@lumina/common';
import { buildApp, createRules } from './app';
import { rateLimitsFrom, type Config } from './config';
import { createListeners } from './events';
import { ExpiredRecordsSweeper } from './sweeper';
import { loadSigningKey, verificationKeys } from './keys';
import { Argon2PasswordHasher } from './passwords';
import { migrate } from './store/migrations';
import { MySqlRateLimitStore } from './store/rate-limit-store';
import { ReadyMediaStore } from './store/ready-media-store';
import { RefreshTokensStore } from './store/refresh-tokens-store';
import { SignInFailuresStore } from './store/sign-in-failures-store';

export interface StartOptions {
  log?: Logger;
  /** Test hooks for the relay (afterPublish, poll interval). */
  relay?: Partial<RelayOptions>;
}

export type RunningAuth = Awaited<ReturnType<typeof startAuthService>>;

export async function startAuthService(config: Config, options: StartOptions = {}) {
  const signingKey = loadSigningKey(config);
  return bootService({
    service: 'auth',
    config,
    log: options.log,
    relay: options.relay,
    publicKeys: verificationKeys(config, signingKey),
    stores: { pool: mysqlStore({ url: config.MYSQL_URL, poolSize: config.MYSQL_POOL_SIZE, migrate }) },
    async build({ pool, bus, log, http, relayOptions }) {
      const relay = new MySqlOutboxRelay(pool, bus, relayOptions);
      const hasher = new Argon2PasswordHasher({
        memoryCost: config.ARGON2_MEMORY_KIB,
        timeCost: config.ARGON2_TIME_COST,
        parallelism: config.ARGON2_PARALLELISM,
      });
      await hasher.warmUp();
      const rateLimits = new MySqlRateLimitStore(pool);
      const deps = {
        ...http,
        pool,
        signingKey,
        hasher,
        refreshTtlMs: config.REFRESH_TOKEN_TTL_DAYS * 24 * 3600_000,
        notifyOutbox: () => relay.notify(),
      };
      const rules = createRules(deps);
      const app = buildApp({
        ...deps,
        rules,
        limits: rateLimitsFrom(config),
        rateLimits,
      });
      const sweeper = new ExpiredRecordsSweeper(
        { rateLimits, refreshTokens: new RefreshTokensStore(pool), signInFailures: new SignInFailuresStore(pool) },
        log,
      );
      return {
        app,
        relay,
        listeners: createListeners(bus, { readyMedia: new ReadyMediaStore(pool), profiles: rules.profiles }),
        workers: [sweeper],
        handles: { relay },
      };
    },
  });
}
