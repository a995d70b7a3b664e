import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';

/** Keeps the media copy: a ready image of its owner's may go in a post, rendered with its variants. */
export class MediaReadyListener extends Listener<typeof Events.mediaReady> {
  readonly event = Events.mediaReady;

  constructor(
    bus: EventBus,
    private readonly copies: CopiesStore,
    private readonly reads: ReadCache,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'posts', ...options });
  }

  protected async handle(data: EventData<typeof Events.mediaReady>): Promise<HandleResult> {
    await this.copies.applyMediaReady(data);
    // Whatever the copy's outcome (a redelivery after a crash finds it applied), Redis gets MongoDB's copy.
    await this.reads.refreshMedia(data.id);
  }
}
