import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { MediaProcessor } from '../processing';

/**
 * The worker: takes processing jobs from the MEDIA_JOBS work queue. Every worker replica shares
 * the durable `media--jobs-media-process`, so each job goes to one of them; a worker that dies
 * mid-job never acks, and after the ack wait another one takes the job.
 */
export class ProcessMediaListener extends Listener<typeof Events.mediaProcessRequested> {
  readonly event = Events.mediaProcessRequested;

  constructor(
    bus: EventBus,
    private readonly processor: MediaProcessor,
    options: Omit<ListenerOptions, 'service'> = {},
  ) {
    super(bus, { service: 'media', ...options });
  }

  protected async handle(data: EventData<typeof Events.mediaProcessRequested>): Promise<HandleResult> {
    await this.processor.process(data.mediaId);
  }
}
