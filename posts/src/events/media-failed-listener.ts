import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';

/** Keeps the media copy: an image that failed to process cannot go in a post. */
export class MediaFailedListener extends Listener<typeof Events.mediaFailed> {
  readonly event = Events.mediaFailed;

  constructor(
    bus: EventBus,
    private readonly copies: CopiesStore,
    private readonly reads: ReadCache,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'posts', ...options });
  }

  protected async handle(data: EventData<typeof Events.mediaFailed>): Promise<HandleResult> {
    await this.copies.applyMediaGone(data, 'failed');
    // Whatever the copy's outcome (a redelivery after a crash finds it applied), Redis gets MongoDB's copy.
    await this.reads.refreshMedia(data.id);
  }
}
