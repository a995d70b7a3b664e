/** user.unfollowed → the edge (by edge version) and the followee's posts out of the timeline. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.userUnfollowed;

export class UserUnfollowedListener extends Listener<E> {
  readonly event = Events.userUnfollowed;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.home.unfollowed(data);
  }
}
