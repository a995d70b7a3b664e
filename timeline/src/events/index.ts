import type { EventBus, ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';
import { CommentCreatedListener } from './comment-created-listener';
import { CommentDeletedListener } from './comment-deleted-listener';
import { PostCreatedListener } from './post-created-listener';
import { PostDeletedListener } from './post-deleted-listener';
import { PostLikedListener } from './post-liked-listener';
import { PostUnlikedListener } from './post-unliked-listener';
import { PostUpdatedListener } from './post-updated-listener';
import { UserCreatedListener } from './user-created-listener';
import { UserDeletedListener } from './user-deleted-listener';
import { UserFollowedListener } from './user-followed-listener';
import { UserUnfollowedListener } from './user-unfollowed-listener';
import { UserUpdatedListener } from './user-updated-listener';

/** One listener per consumed event; each is a durable consumer `timeline--<event>`. */
export function createListeners(bus: EventBus, domain: TimelineDomain, options: Partial<ListenerOptions> = {}) {
  return [
    new UserCreatedListener(bus, domain, options),
    new UserUpdatedListener(bus, domain, options),
    new UserDeletedListener(bus, domain, options),
    new UserFollowedListener(bus, domain, options),
    new UserUnfollowedListener(bus, domain, options),
    new PostCreatedListener(bus, domain, options),
    new PostUpdatedListener(bus, domain, options),
    new PostDeletedListener(bus, domain, options),
    new PostLikedListener(bus, domain, options),
    new PostUnlikedListener(bus, domain, options),
    new CommentCreatedListener(bus, domain, options),
    new CommentDeletedListener(bus, domain, options),
  ];
}
