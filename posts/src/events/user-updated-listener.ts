import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';

/** Keeps the users copy: a renamed user shows the new name on every post, old ones included. */
export class UserUpdatedListener extends Listener<typeof Events.userUpdated> {
  readonly event = Events.userUpdated;

  constructor(
    bus: EventBus,
    private readonly copies: CopiesStore,
    private readonly reads: ReadCache,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'posts', ...options });
  }

  protected async handle(data: EventData<typeof Events.userUpdated>): Promise<HandleResult> {
    await this.copies.applyUser(data);
    // Whatever the copy's outcome (a redelivery after a crash finds it applied), Redis gets MongoDB's copy.
    await this.reads.refreshUser(data.id);
  }
}
