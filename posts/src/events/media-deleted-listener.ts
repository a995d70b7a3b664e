import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';

/** Keeps the media copy: a deleted image (a tombstone by version) cannot go in a new post. */
export class MediaDeletedListener extends Listener<typeof Events.mediaDeleted> {
  readonly event = Events.mediaDeleted;

  constructor(
    bus: EventBus,
    private readonly copies: CopiesStore,
    private readonly reads: ReadCache,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'posts', ...options });
  }

  protected async handle(data: EventData<typeof Events.mediaDeleted>): Promise<HandleResult> {
    await this.copies.applyMediaGone(data, 'deleted');
    // Whatever the copy's outcome (a redelivery after a crash finds it applied), Redis gets MongoDB's copy.
    await this.reads.refreshMedia(data.id);
  }
}
