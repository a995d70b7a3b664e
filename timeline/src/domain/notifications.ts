/**
 * Notifications: someone followed you, liked or commented on your post, or mentioned you. Never
 * for acting on your own post (or mentioning yourself). Each is unique per (recipient, type,
 * actor, post), so a like toggled ten times, or an event delivered twice, makes one.
 */
import type { EventData, Events, PageRequest } from '@lumina/common';
import type { Notification, NotificationPage } from '@lumina/contract';
import type { Mention } from '../types';
import { renderAuthor } from '../render';
import { readRounds } from './paging';
import type { TimePosition } from '../positions';
import type { Stores } from '../store';
import type { NewNotification } from '../store/notifications-store';

/** Users notified of a mention by one post or comment, at most. */
export const MAX_MENTION_NOTIFICATIONS = 20;

export class Notifications {
  constructor(private readonly stores: Pick<Stores, 'notifications' | 'authors' | 'posts'>) {}

  private async notify(n: NewNotification): Promise<void> {
    if (n.recipientId === n.actorId) return;
    const created = await this.stores.notifications.record(n);
    if (!created || !n.postId) return;
    // An event about a post can be handled after the post's deletion (redelivered when a killed
    // consumer's ack_wait ran out, or an old event republished): post.deleted has taken the post's
    // notifications away already, so this one must go too. Looked at after the write: a deletion
    // marks the copy deleted before it removes the notifications, so one landing between the
    // write and the look is seen here, and one before the write removes it itself.
    const post = (await this.stores.posts.byIds([n.postId])).get(n.postId);
    if (post?.state === 'deleted') await this.stores.notifications.deleteAboutPost(n.postId);
  }

  private async mentioned(mentions: Mention[], actorId: string, postId: string, at: Date): Promise<void> {
    // posts resolves at most 20 mentions; an event claiming more (another producer, an old
    // version) still notifies no more than that.
    const recipients = [...new Set(mentions.map((m) => m.id))].slice(0, MAX_MENTION_NOTIFICATIONS);
    for (const recipientId of recipients) await this.notify({ recipientId, type: 'mention', actorId, postId, createdAt: at });
  }

  followed(followerId: string, followeeId: string, at: Date): Promise<void> {
    return this.notify({ recipientId: followeeId, type: 'follow', actorId: followerId, postId: null, createdAt: at });
  }

  liked(data: EventData<typeof Events.postLiked>, at: Date): Promise<void> {
    return this.notify({ recipientId: data.postAuthorId, type: 'like', actorId: data.userId, postId: data.postId, createdAt: at });
  }

  async commented(data: EventData<typeof Events.commentCreated>): Promise<void> {
    const at = new Date(data.createdAt);
    await this.notify({ recipientId: data.postAuthorId, type: 'comment', actorId: data.authorId, postId: data.postId, createdAt: at });
    await this.mentioned(data.mentions, data.authorId, data.postId, at);
  }

  postPublished(data: EventData<typeof Events.postCreated>): Promise<void> {
    return this.mentioned(data.mentions, data.authorId, data.id, new Date(data.createdAt));
  }

  async postDeleted(postId: string): Promise<void> {
    await this.stores.notifications.deleteAboutPost(postId);
  }

  async page(recipientId: string, request: PageRequest<TimePosition>): Promise<NotificationPage> {
    const [page, unread] = await Promise.all([
      readRounds(request, async (position, want) => {
        const docs = await this.stores.notifications.page(recipientId, position, want);
        const [actors, posts] = await Promise.all([
          this.stores.authors.byIds(docs.map((d) => d.actorId)),
          this.stores.posts.byIds(docs.flatMap((d) => (d.postId ? [d.postId] : []))),
        ]);
        return docs.map((d) => {
          const actor = actors.get(d.actorId);
          const post = d.postId ? posts.get(d.postId) : undefined;
          const item: Notification | undefined = actor?.deleted
            ? undefined
            : {
                id: d._id,
                type: d.type,
                actor: renderAuthor(d.actorId, actor),
                ...(d.postId ? { post: post?.state === 'live' ? { id: post._id, caption: post.caption, media: post.media } : null } : {}),
                createdAt: d.createdAt.toISOString(),
                read: d.read,
              };
          return { position: { t: d.createdAt.getTime(), id: d._id }, item };
        });
      }),
      this.stores.notifications.unreadCount(recipientId),
    ]);
    return { ...page, unread };
  }

  async markAllRead(recipientId: string): Promise<void> {
    await this.stores.notifications.markAllRead(recipientId);
  }
}
