/**
 * Every event the posts service consumes, one listener each; what it publishes is built in
 * publishing.ts and goes through the post outbox. Each listener keeps a copy in MongoDB and then,
 * whatever the copy's outcome (a redelivery after a crash finds it applied), gives Redis
 * MongoDB's copy.
 */
import { Events, listeners, type EventBus, type ListenerOptions } from '@lumina/common';
import type { PostsService } from '../posts';
import type { ReadCache } from '../read-cache';
import type { CopiesStore } from '../store/copies-store';

export function createListeners(
  bus: EventBus,
  copies: CopiesStore,
  reads: ReadCache,
  posts: PostsService,
  options: Partial<ListenerOptions> = {},
) {
  const on = listeners(bus, { service: 'posts', ...options });
  return [
    // The users copy: a new user can be rendered as an author and @mentioned; a renamed one shows
    // the new name on every post, old ones included.
    on(Events.userCreated, async (data) => {
      await copies.applyUser(data);
      await reads.refreshUser(data.id);
    }),
    on(Events.userUpdated, async (data) => {
      await copies.applyUser(data);
      await reads.refreshUser(data.id);
    }),
    // A deleted account: its copy becomes a tombstone (no longer an author or a mention), and its
    // posts are deleted, each with its post.deleted event. Every step is safe to repeat.
    on(Events.userDeleted, async (data) => {
      await copies.applyUserDeleted(data.id, data.version);
      await reads.refreshUser(data.id);
      await posts.removeAllByAuthor(data.id);
    }),
    // The media copy: a ready image of its owner's may go in a post, rendered with its variants;
    // one that failed to process, or was deleted (a tombstone by version), cannot.
    on(Events.mediaReady, async (data) => {
      await copies.applyMediaReady(data);
      await reads.refreshMedia(data.id);
    }),
    on(Events.mediaFailed, async (data) => {
      await copies.applyMediaGone(data, 'failed');
      await reads.refreshMedia(data.id);
    }),
    on(Events.mediaDeleted, async (data) => {
      await copies.applyMediaGone(data, 'deleted');
      await reads.refreshMedia(data.id);
    }),
  ];
}
