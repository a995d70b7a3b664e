/**
 * The background worker that deletes media nobody uses: uploaded, never shown in a post nor set
 * as an avatar, and older than MEDIA_UNATTACHED_TTL_HOURS. It also finishes deletions whose blobs
 * were not removed (the process stopped half-way). Several replicas may sweep at once: each
 * deletion is a conditional write, so only one of them deletes a given media.
 */
import type { BackgroundWorker, Logger } from '@lumina/common';
import type { MediaService } from './media';
import type { MediaStore } from './store/media-store';
import type { UsageStore } from './store/usage-store';

export interface SweeperOptions {
  ttlMs: number;
  intervalMs: number;
  batchSize?: number;
}

export class UnattachedMediaSweeper implements BackgroundWorker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  /** Set by stop(): a sweep in progress ends after its current media. */
  private stopped = false;

  constructor(
    private readonly deps: { media: MediaService; store: MediaStore; usage: UsageStore; log: Logger },
    private readonly options: SweeperOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(Math.min(this.options.intervalMs, 5_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((err: unknown) => this.deps.log.warn({ err }, 'media sweep failed; will retry'))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  /** One pass; answers how many media it deleted. */
  async sweep(now = new Date()): Promise<number> {
    const { store, usage, media, log } = this.deps;
    const batch = this.options.batchSize ?? 100;
    for (const pending of await store.findBlobsPending(batch)) await media.removeBlobs(pending);

    const cutoff = new Date(now.getTime() - this.options.ttlMs);
    let deleted = 0;
    // Page by id, so media that must stay (avatars) never keep the sweep from reaching the rest.
    for (let after = ''; !this.stopped;) {
      const candidates = await store.findUnattachedBefore(cutoff, batch, after);
      if (candidates.length === 0) break;
      const avatars = await usage.avatarsAmong(candidates.map((m) => m._id));
      for (const candidate of candidates) {
        if (!avatars.has(candidate._id) && (await media.remove(candidate))) deleted += 1;
      }
      after = candidates[candidates.length - 1]!._id;
    }
    if (deleted > 0) log.info({ deleted }, 'deleted unattached media');
    return deleted;
  }
}
