/** A background worker that forgets what no longer matters: ended rate-limit windows, long-expired refresh tokens, forgotten sign-in failures. */
import type { BackgroundWorker, Logger } from '@lumina/common';
import type { MySqlRateLimitStore } from './store/rate-limit-store';
import type { RefreshTokensStore } from './store/refresh-tokens-store';
import type { SignInFailuresStore } from './store/sign-in-failures-store';

export class ExpiredRecordsSweeper implements BackgroundWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly stores: { rateLimits: MySqlRateLimitStore; refreshTokens: RefreshTokensStore; signInFailures?: SignInFailuresStore },
    private readonly log: Logger,
    private readonly intervalMs = 10 * 60_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    try {
      await this.stores.rateLimits.purgeExpired();
      await this.stores.refreshTokens.purgeExpired(new Date());
      await this.stores.signInFailures?.purgeExpired();
    } catch (err) {
      this.log.warn({ err }, 'sweeping expired records failed; will try again');
    }
  }
}
