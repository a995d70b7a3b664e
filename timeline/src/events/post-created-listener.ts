/** post.created → the posts copy, mention notifications, and fan-out into followers' timelines. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.postCreated;

export class PostCreatedListener extends Listener<E> {
  readonly event = Events.postCreated;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.notifications.postPublished(data);
    await this.domain.home.postCreated(data);
  }
}
