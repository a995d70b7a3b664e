/** comment.deleted → commentCount (by engagement version). */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.commentDeleted;

export class CommentDeletedListener extends Listener<E> {
  readonly event = Events.commentDeleted;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.engagement.commentCountChanged(data.postId, data.commentCount, data.version);
  }
}
