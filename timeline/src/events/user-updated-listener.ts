/** user.updated → the authors copy (by user version): new names and avatars show on every page. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.userUpdated;

export class UserUpdatedListener extends Listener<E> {
  readonly event = Events.userUpdated;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.stores.authors.apply(data);
    // Also on a redelivery that finds the copy already applied: a crash may have come between the two.
    await this.domain.home.authorChanged(data.id, data.version);
  }
}
