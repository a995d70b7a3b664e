/** Every event the posts service consumes, one listener each. What it publishes goes through the post outbox. */
import type { EventBus, ListenerOptions } from '@lumina/common';
import type { PostsService } from '../posts';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';
import { MediaDeletedListener } from './media-deleted-listener';
import { MediaFailedListener } from './media-failed-listener';
import { MediaReadyListener } from './media-ready-listener';
import { UserCreatedListener } from './user-created-listener';
import { UserDeletedListener } from './user-deleted-listener';
import { UserUpdatedListener } from './user-updated-listener';

export function createListeners(
  bus: EventBus,
  copies: CopiesStore,
  reads: ReadCache,
  posts: PostsService,
  options: Partial<ListenerOptions> = {},
) {
  return [
    new UserCreatedListener(bus, copies, reads, options),
    new UserUpdatedListener(bus, copies, reads, options),
    new UserDeletedListener(bus, copies, reads, posts, options),
    new MediaReadyListener(bus, copies, reads, options),
    new MediaFailedListener(bus, copies, reads, options),
    new MediaDeletedListener(bus, copies, reads, options),
  ];
}
