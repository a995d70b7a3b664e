/** Wires the rules of this service to its stores (no I/O). */
import type { Logger } from '@lumina/common';
import type { Config } from './config';
import { Engagement } from './engagement';
import { Explore } from './explore';
import { HomeTimeline, type LandingSink, type TimelineSettings } from './home-timeline';
import { Notifications } from './notifications';
import { Renderer } from './render';
import type { Stores } from './store';

export interface TimelineDomain {
  stores: Stores;
  home: HomeTimeline;
  explore: Explore;
  notifications: Notifications;
  engagement: Engagement;
}

export function settingsFrom(config: Config): TimelineSettings {
  return {
    fanoutThreshold: config.TIMELINE_FANOUT_THRESHOLD,
    maxEntries: config.TIMELINE_MAX_ENTRIES,
    trimSlack: config.TIMELINE_TRIM_SLACK,
    trimSample: config.TIMELINE_TRIM_SAMPLE,
    backfillPosts: config.TIMELINE_BACKFILL_POSTS,
    batchSize: config.FANOUT_BATCH_SIZE,
  };
}

export function createDomain(stores: Stores, config: Config, sink: LandingSink, log: Logger): TimelineDomain {
  const renderer = new Renderer(stores);
  return {
    stores,
    home: new HomeTimeline(stores, renderer, settingsFrom(config), sink, log),
    explore: new Explore(stores, renderer, config.EXPLORE_WINDOW_DAYS),
    notifications: new Notifications(stores),
    engagement: new Engagement(stores),
  };
}
