/** The rules of this service (this folder), wired to its stores (no I/O). */
import type { Logger } from '@lumina/common';
import type { Config } from '../config';
import { EngagementCounts } from './engagement-counts';
import { Explore } from './explore';
import { FeedBuilder } from './feed-builder';
import { HomeTimeline, type LandingSink, type TimelineSettings } from './home-timeline';
import { Notifications } from './notifications';
import { PulledAuthors } from './pulled-authors';
import { Renderer } from '../render';
import type { RedisLimits, Stores } from '../store';

export interface TimelineDomain {
  stores: Stores;
  home: HomeTimeline;
  builder: FeedBuilder;
  pulled: PulledAuthors;
  explore: Explore;
  notifications: Notifications;
  engagementCounts: EngagementCounts;
}

export function settingsFrom(config: Config): TimelineSettings {
  return {
    fanoutThreshold: config.TIMELINE_FANOUT_THRESHOLD,
    maxEntries: config.TIMELINE_MAX_ENTRIES,
    backfillPosts: config.TIMELINE_BACKFILL_POSTS,
    batchSize: config.FANOUT_BATCH_SIZE,
  };
}

export function redisLimitsFrom(config: Config): RedisLimits {
  return {
    maxEntries: config.TIMELINE_MAX_ENTRIES,
    maxLanded: config.TIMELINE_STREAM_LOG_ENTRIES,
    resumeMs: Math.max(config.TIMELINE_STREAM_RESUME_MINUTES * 60_000, 2 * config.STREAM_HEARTBEAT_MS),
    activeMs: config.TIMELINE_ACTIVE_DAYS * 24 * 3600_000,
    cardTtlSeconds: config.TIMELINE_CARD_TTL_HOURS * 3600,
    pageTtlMs: config.TIMELINE_PAGE_TTL_MS,
    pageCountDropLimit: config.TIMELINE_PAGE_COUNT_DROP_LIMIT,
  };
}

export function createDomain(stores: Stores, config: Config, sink: LandingSink, log: Logger): TimelineDomain {
  const renderer = new Renderer(stores);
  const pulled = new PulledAuthors(stores.authored, stores.authors);
  const builder = new FeedBuilder(stores, pulled, config.TIMELINE_MAX_ENTRIES, log);
  return {
    stores,
    builder,
    pulled,
    home: new HomeTimeline(stores, renderer, builder, pulled, settingsFrom(config), sink, log),
    explore: new Explore(stores, renderer, config.EXPLORE_WINDOW_DAYS),
    notifications: new Notifications(stores),
    engagementCounts: new EngagementCounts(stores),
  };
}
