/** post.updated → the posts copy (by post version); pages render the new caption everywhere. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.postUpdated;

export class PostUpdatedListener extends Listener<E> {
  readonly event = Events.postUpdated;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.home.postUpdated(data);
  }
}
