import { Events, Listener, type EventBus, type EventData, type HandleResult, type ListenerOptions } from '@lumina/common';
import type { PostsService } from '../posts';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';

/**
 * A deleted account: its copy becomes a tombstone (no longer an author or a mention), and its
 * posts are deleted, each with its post.deleted event. Both steps are safe to repeat.
 */
export class UserDeletedListener extends Listener<typeof Events.userDeleted> {
  readonly event = Events.userDeleted;

  constructor(
    bus: EventBus,
    private readonly copies: CopiesStore,
    private readonly reads: ReadCache,
    private readonly posts: PostsService,
    options: Partial<ListenerOptions> = {},
  ) {
    super(bus, { service: 'posts', ...options });
  }

  protected async handle(data: EventData<typeof Events.userDeleted>): Promise<HandleResult> {
    await this.copies.applyUserDeleted(data.id, data.version);
    // Whatever the copy's outcome (a redelivery after a crash finds it applied), Redis gets MongoDB's copy.
    await this.reads.refreshUser(data.id);
    await this.posts.removeAllByAuthor(data.id);
  }
}
