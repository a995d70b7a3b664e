/** post.deleted → a tombstone; the post leaves every timeline and its notifications go. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.postDeleted;

export class PostDeletedListener extends Listener<E> {
  readonly event = Events.postDeleted;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.home.postDeleted(data.id, data.authorId, data.version);
    await this.domain.notifications.postDeleted(data.id);
  }
}
