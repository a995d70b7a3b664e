/** user.deleted → a tombstone in the authors copy; their posts and notifications stop rendering. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.userDeleted;

export class UserDeletedListener extends Listener<E> {
  readonly event = Events.userDeleted;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.stores.authors.applyDeleted(data.id, data.version);
    await this.domain.home.authorChanged(data.id, data.version);
  }
}
