/** Every listener of the search service: one per consumed event, all writing to one index. */
import type { EventBus, ListenerOptions } from '@lumina/common';
import type { IndexWriter } from '../store/index-writer';
import { CommentCreatedListener, CommentDeletedListener, PostLikedListener, PostUnlikedListener } from './engagement-listeners';
import { PostCreatedListener, PostDeletedListener, PostUpdatedListener } from './post-listeners';
import { UserCreatedListener, UserDeletedListener, UserUpdatedListener } from './user-listeners';

export function searchListeners(bus: EventBus, index: IndexWriter, options: Omit<ListenerOptions, 'service'> = {}) {
  return [
    new UserCreatedListener(bus, index, options),
    new UserUpdatedListener(bus, index, options),
    new UserDeletedListener(bus, index, options),
    new PostCreatedListener(bus, index, options),
    new PostUpdatedListener(bus, index, options),
    new PostDeletedListener(bus, index, options),
    new PostLikedListener(bus, index, options),
    new PostUnlikedListener(bus, index, options),
    new CommentCreatedListener(bus, index, options),
    new CommentDeletedListener(bus, index, options),
  ];
}
