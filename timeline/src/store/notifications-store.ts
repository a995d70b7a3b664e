/** Notifications: one document per (recipient, type, actor, post), created once. */
import { collectionOf, isDuplicateKeyError } from '@lumina/common';
import type { Model } from 'mongoose';
import { notificationKey } from '../ids';
import { afterTime, type TimePosition } from '../positions';
import { type NotificationDoc, type NotificationType } from './models';

export interface NewNotification {
  recipientId: string;
  type: NotificationType;
  actorId: string;
  postId: string | null;
  createdAt: Date;
}

export class NotificationsStore {
  constructor(private readonly model: Model<NotificationDoc>) {}

  /** Creates the notification unless it exists; answers whether it was new. */
  async record(n: NewNotification): Promise<boolean> {
    const _id = notificationKey(n);
    try {
      const res = await collectionOf(this.model).updateOne({ _id }, { $setOnInsert: { ...n, read: false } }, { upsert: true });
      return res.upsertedCount > 0;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false; // a concurrent delivery created it
      throw err;
    }
  }

  page(recipientId: string, position: TimePosition | undefined, limit: number): Promise<NotificationDoc[]> {
    return this.model
      .find({ recipientId, ...afterTime<NotificationDoc>(position, 'createdAt', '_id') })
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit)
      .lean<NotificationDoc[]>();
  }

  unreadCount(recipientId: string): Promise<number> {
    return this.model.countDocuments({ recipientId, read: false }).exec();
  }

  async markAllRead(recipientId: string): Promise<number> {
    return (await this.model.updateMany({ recipientId, read: false }, { $set: { read: true } })).modifiedCount;
  }

  async deleteAboutPost(postId: string): Promise<number> {
    return (await this.model.deleteMany({ postId })).deletedCount;
  }

  forRecipient(recipientId: string): Promise<NotificationDoc[]> {
    return this.model.find({ recipientId }).lean<NotificationDoc[]>().exec();
  }
}
