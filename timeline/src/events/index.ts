/** One listener per consumed event; each is a durable consumer `timeline--<event>`. */
import { Events, listeners, type EventBus, type ListenerOptions } from '@lumina/common';
import type { TimelineDomain } from '../domain';

export function createListeners(bus: EventBus, domain: TimelineDomain, options: Partial<ListenerOptions> = {}) {
  const { home, notifications, engagementCounts, stores } = domain;
  const on = listeners(bus, { service: 'timeline', ...options });
  return [
    // user.created / .updated → the authors copy (by user version): new names and avatars show on
    // every page. authorChanged runs also on a redelivery that finds the copy already applied: a
    // crash may have come between the two.
    on(Events.userCreated, async (data) => {
      await stores.authors.apply(data);
      await home.authorChanged(data.id, data.version);
    }),
    on(Events.userUpdated, async (data) => {
      await stores.authors.apply(data);
      await home.authorChanged(data.id, data.version);
    }),
    // user.deleted → a tombstone in the authors copy; their posts and notifications stop rendering.
    on(Events.userDeleted, async (data) => {
      await stores.authors.applyDeleted(data.id, data.version);
      await home.authorChanged(data.id, data.version);
    }),
    // user.followed → the edge (by edge version), the followee's latest posts in, and a follow
    // notification only if the follow still stands (not one an unfollow overtook).
    on(Events.userFollowed, async (data) => {
      if (await home.followed(data)) await notifications.followed(data.followerId, data.followeeId, new Date(data.occurredAt));
    }),
    // user.unfollowed → the edge (by edge version) and the followee's posts out of the timeline.
    on(Events.userUnfollowed, (data) => home.unfollowed(data)),
    // post.created → the posts copy, mention notifications, and fan-out into followers' timelines.
    on(Events.postCreated, async (data) => {
      await notifications.postPublished(data);
      await home.postCreated(data);
    }),
    // post.updated → the posts copy (by post version); pages render the new caption everywhere.
    on(Events.postUpdated, (data) => home.postUpdated(data)),
    // post.deleted → a tombstone; the post leaves every timeline and its notifications go.
    on(Events.postDeleted, async (data) => {
      await home.postDeleted(data.id, data.authorId, data.version);
      await notifications.postDeleted(data.id);
    }),
    // post.liked → likeCount (by engagement version), who likes it, a like notification (once per liker).
    on(Events.postLiked, async (data, envelope) => {
      await engagementCounts.likeChanged(data, true);
      await notifications.liked(data, new Date(envelope.occurredAt));
    }),
    // post.unliked → likeCount (by engagement version) and who likes it; the notification stays.
    on(Events.postUnliked, (data) => engagementCounts.likeChanged(data, false)),
    // comment.created → commentCount (by engagement version), comment and mention notifications.
    on(Events.commentCreated, async (data) => {
      await engagementCounts.commentCountChanged(data.postId, data.commentCount, data.version, data.postAuthorId);
      await notifications.commented(data);
    }),
    // comment.deleted → commentCount (by engagement version).
    on(Events.commentDeleted, (data) => engagementCounts.commentCountChanged(data.postId, data.commentCount, data.version)),
  ];
}
