import { syncModelIndexes, type RedisClient } from '@lumina/common';
import type { Connection } from 'mongoose';
import { AuthorsStore } from './authors-store';
import { FollowsStore } from './follows-store';
import { LikesStore } from './likes-store';
import { timelineModels, type TimelineModels } from './models';
import { NotificationsStore } from './notifications-store';
import { PostsStore } from './posts-store';
import { AuthoredStore } from './redis/authored-store';
import { CardsStore } from './redis/cards-store';
import { FeedsStore, type FeedLimits } from './redis/feeds-store';
import { MembershipsStore } from './redis/memberships-store';
import { PagesStore } from './redis/pages-store';

export interface RedisLimits extends FeedLimits {
  cardTtlSeconds: number;
  /** How long an assembled first page is kept (0: not kept). */
  pageTtlMs: number;
  /** A post on more kept pages than this refreshes their counts by TTL, not by dropping them. */
  pageCountDropLimit: number;
}

/** MongoDB, the durable record: copies fed by events, and notifications. */
export interface MongoStores {
  models: TimelineModels;
  authors: AuthorsStore;
  follows: FollowsStore;
  posts: PostsStore;
  likes: LikesStore;
  notifications: NotificationsStore;
}

/** Redis, what pages and fan-out read: feeds, authors' posts, cards, follows both ways, likes. */
export interface RedisStores {
  pages: PagesStore;
  feeds: FeedsStore;
  authored: AuthoredStore;
  cards: CardsStore;
  following: MembershipsStore;
  followers: MembershipsStore;
  liked: MembershipsStore;
}

export type Stores = MongoStores & RedisStores;

export function createMongoStores(conn: Connection): MongoStores {
  const models = timelineModels(conn);
  return {
    models,
    authors: new AuthorsStore(models.authors),
    follows: new FollowsStore(models.follows),
    posts: new PostsStore(models.posts),
    likes: new LikesStore(models.likes),
    notifications: new NotificationsStore(models.notifications),
  };
}

export function createRedisStores(redis: RedisClient, limits: RedisLimits): RedisStores {
  const pages = new PagesStore(redis, { ttlMs: limits.pageTtlMs, countDropLimit: limits.pageCountDropLimit, activeMs: limits.activeMs });
  return {
    pages,
    feeds: new FeedsStore(redis, limits, pages),
    authored: new AuthoredStore(redis, limits.maxEntries, limits.maxLanded),
    cards: new CardsStore(redis, limits.cardTtlSeconds, pages),
    following: MembershipsStore.following(redis, limits.activeMs, pages),
    followers: MembershipsStore.followers(redis),
    liked: MembershipsStore.liked(redis, limits.activeMs, pages),
  };
}

/** Every store of the service (no I/O). */
export function createStores(conn: Connection, redis: RedisClient, limits: RedisLimits): Stores {
  return { ...createMongoStores(conn), ...createRedisStores(redis, limits) };
}

/** Every store of the service, once the collections and indexes its models declare are made. */
export async function openStores(conn: Connection, redis: RedisClient, limits: RedisLimits): Promise<Stores> {
  const stores = createStores(conn, redis, limits);
  await syncModelIndexes(stores.models);
  return stores;
}

export type * from './models';
