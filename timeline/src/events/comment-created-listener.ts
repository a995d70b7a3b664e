/** comment.created → commentCount (by engagement version), comment and mention notifications. */
import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

type E = typeof Events.commentCreated;

export class CommentCreatedListener extends Listener<E> {
  readonly event = Events.commentCreated;

  constructor(
    bus: EventBus,
    private readonly domain: TimelineDomain,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'timeline', ...options });
  }

  protected async handle(data: EventData<E>): Promise<HandleResult> {
    await this.domain.engagement.commentCountChanged(data.postId, data.commentCount, data.version, data.postAuthorId);
    await this.domain.notifications.commented(data);
  }
}
