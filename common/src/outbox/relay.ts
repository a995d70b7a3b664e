import type { Logger } from 'pino';

export interface RelayOptions {
  /** How often to look for pending events when nobody called notify(). */
  pollIntervalMs?: number;
  batchSize?: number;
  log: Logger;
  /** Test hook: runs after publishing a batch and before clearing it. */
  afterPublish?: () => Promise<void> | void;
}

/** The first retry after a failed drain, and the longest wait between retries. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * The loop both outbox relays share: drain until empty, then sleep until the poll interval
 * passes or a writer calls notify() right after its commit.
 */
export abstract class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private pendingWake = false;
  /**
   * Whether the next drain must look through every pending document, not only those writers
   * named (notify(id)): at the start, after a failure, in drain(), and when a writer names none
   * (MongoOutboxRelay also looks once a poll interval has passed since its last look). A relay that cannot use names (MySQL's) always looks through everything.
   */
  protected sweepDue = true;
  protected readonly pollIntervalMs: number;
  protected readonly batchSize: number;
  protected readonly log: Logger;

  constructor(protected readonly options: RelayOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.batchSize = options.batchSize ?? 100;
    this.log = options.log;
  }

  /** Publishes and clears one batch; answers how many events it published. */
  abstract drainOnce(): Promise<number>;

  /** How many events (MySQL) or documents with events (MongoDB) wait to be published; tests wait for 0. */
  abstract pendingEvents(): Promise<number>;

  /** Publishes everything pending now; for tests and for shutdown. */
  async drain(): Promise<void> {
    this.sweepDue = true;
    while ((await this.drainOnce()) > 0) {
      // keep going until a batch comes back empty
    }
  }

  /**
   * Wakes the relay right after a commit. A writer that names the document it wrote lets a relay
   * that can (MongoOutboxRelay over one collection) publish just that document, looked up by _id,
   * instead of looking through every pending one. A writer that also hands over the document
   * as it wrote it (an insert: `written` is all of it) saves even that read; see
   * MongoOutboxRelay.named for what such a writer promises.
   */
  notify(documentId?: string, written?: object): void {
    if (documentId === undefined) this.sweepDue = true;
    else this.named(documentId, written);
    this.pendingWake = true;
    this.wake?.();
  }

  /** A writer named a document it wrote; a relay that does not use names looks through everything. */
  protected named(_documentId: string, _written?: object): void {
    this.sweepDue = true;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const published = await this.drainOnce();
        failures = 0;
        if (published > 0) continue;
      } catch (err) {
        failures += 1;
        this.sweepDue = true;
        this.log.warn({ err, failures }, 'outbox relay could not publish; will retry');
      }
      if (this.pendingWake && failures === 0) {
        this.pendingWake = false;
        continue;
      }
      // After a failure, soon again (a database or NATS hiccup is usually short): doubling from
      // RETRY_FIRST_MS up to RETRY_MAX_MS, never longer than the poll. A backoff grown from the poll
      // interval (10, 20, 30 s for a 5 s poll) kept events written before it waiting that long once
      // the failure was over, unless another write came and woke the relay.
      const delay = failures > 0 ? Math.min(this.pollIntervalMs, RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (failures - 1)) : this.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      this.pendingWake = false;
    }
  }
}
