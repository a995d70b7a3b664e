import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { MediaProcessor } from '../processing';

/**
 * The worker: takes processing jobs from the MEDIA_JOBS work queue. Every worker replica shares
 * the durable `media--jobs-media-process`, so each job goes to one of them; a worker that dies
 * mid-job never acks, and after the ack wait another one takes the job. Which media a job works
 * on is the processor's fair choice (processing.ts); the job is acked once its own media is done.
 */
/**
 * Deliveries before a job would be dead-lettered: so many that it never is. A job's message comes
 * back only when its worker died or stopped mid-job (the processor catches every failure of the
 * work itself, and retries or fails the media by the media's own attempts), and a job works on
 * whichever media is next, so its delivery count says nothing about its own media. With the
 * listeners' usual 6 tries, a job whose workers were killed six times went to the DLQ and its
 * media could stay processing for ever, with no job left to take it up (found by the chaos run).
 */
export const JOB_MAX_DELIVER = 10_000;

export class ProcessMediaListener extends Listener<typeof Events.mediaProcessRequested> {
  readonly event = Events.mediaProcessRequested;

  constructor(
    bus: EventBus,
    private readonly processor: MediaProcessor,
    options: Omit<ListenerOptions, 'service'> = {},
  ) {
    super(bus, { service: 'media', maxDeliver: JOB_MAX_DELIVER, ...options });
  }

  override async start(): Promise<void> {
    this.processor.resume();
    await super.start();
  }

  /** Jobs in progress finish the media they are on; those not done come back to a worker later. */
  override async stop(): Promise<void> {
    this.processor.stop();
    await super.stop();
  }

  protected async handle(data: EventData<typeof Events.mediaProcessRequested>): Promise<HandleResult> {
    const outcome = await this.processor.handleJob(data.mediaId);
    if (outcome === 'interrupted') return 'retry';
  }
}
