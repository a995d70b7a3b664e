/** post.liked → likeCount (by engagement version), who likes it, a like notification (once per liker). */
import { Events, Listener, type EventBus, type EventData, type EnvelopeOf, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.postLiked;

export class PostLikedListener extends Listener<E> {
  readonly event = Events.postLiked;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>, envelope: EnvelopeOf<E>): Promise<HandleResult> {
    await this.domain.engagement.likeChanged(data, true);
    await this.domain.notifications.liked(data, new Date(envelope.occurredAt));
  }
}
