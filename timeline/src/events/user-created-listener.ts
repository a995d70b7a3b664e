/** user.created → the authors copy (by user version). */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.userCreated;

export class UserCreatedListener extends Listener<E> {
  readonly event = Events.userCreated;

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
