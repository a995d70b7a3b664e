/** user.followed → the edge (by edge version), the followee's latest posts in, a follow notification. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.userFollowed;

export class UserFollowedListener extends Listener<E> {
  readonly event = Events.userFollowed;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    const stands = await this.domain.home.followed(data);
    // Only a follow that still stands notifies (one that an unfollow overtook does not).
    if (stands) await this.domain.notifications.followed(data.followerId, data.followeeId, new Date(data.occurredAt));
  }
}
