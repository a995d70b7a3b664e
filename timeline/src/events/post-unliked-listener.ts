/** post.unliked → likeCount (by engagement version) and who likes it; the notification stays. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.postUnliked;

export class PostUnlikedListener extends Listener<E> {
  readonly event = Events.postUnliked;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.engagement.likeChanged(data, false);
  }
}
