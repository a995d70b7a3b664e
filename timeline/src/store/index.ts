import type { Connection } from 'mongoose';
import { AuthorsStore } from './authors-store';
import { EntriesStore } from './entries-store';
import { FollowsStore } from './follows-store';
import { LikesStore } from './likes-store';
import { timelineModels, type TimelineModels } from './models';
import { NotificationsStore } from './notifications-store';
import { PostsStore } from './posts-store';

export interface Stores {
  models: TimelineModels;
  authors: AuthorsStore;
  follows: FollowsStore;
  posts: PostsStore;
  entries: EntriesStore;
  likes: LikesStore;
  notifications: NotificationsStore;
}

/** Every store of the timeline database on one connection (no I/O). */
export function createStores(conn: Connection): Stores {
  const models = timelineModels(conn);
  return {
    models,
    authors: new AuthorsStore(models.authors),
    follows: new FollowsStore(models.follows),
    posts: new PostsStore(models.posts),
    entries: new EntriesStore(models.entries),
    likes: new LikesStore(models.likes),
    notifications: new NotificationsStore(models.notifications),
  };
}

export { syncIndexes } from './models';
export type * from './models';
