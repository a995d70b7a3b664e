import type { Logger } from 'pino';
import type { EngagementService } from './engagement';

/**
 * Background worker: every interval, finishes engagement ops a crashed process left on posts
 * (see engagement.ts). Ops younger than the grace period are left to whoever is writing them.
 */
export class PendingSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly engagement: EngagementService,
    private readonly options: { intervalMs: number; graceMs: number; log: Logger },
  ) {}

  /** One pass; answers how many posts it finished. */
  async sweepOnce(): Promise<number> {
    return this.engagement.finishStalePending(new Date(Date.now() - this.options.graceMs));
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweepOnce()
        .then((finished) => {
          if (finished > 0) this.options.log.info({ finished }, 'finished engagement writes left half done');
        })
        .catch((err: unknown) => this.options.log.warn({ err }, 'pending engagement sweep failed; will retry'))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
  }
}
