/**
 * `npm run -w timeline rebuild-feeds`: rebuilds every home feed, every author's post list, whom
 * every viewer follows and what they like in Redis from MongoDB's copies, in one pass over each
 * collection. For a new or flushed Redis (the service also rebuilds a missing feed on its first
 * read, one viewer at a time, so running this is never required); safe while the service runs.
 * Reads the service's own environment (MONGO_URL, REDIS_URL, REDIS_KEY_PREFIX, …).
 */
import { connectMongo, connectRedis, createLogger, runMain } from '@lumina/common';
import { loadConfig } from './config';
import { FeedBuilder } from './domain/feed-builder';
import { PulledAuthors } from './domain/pulled-authors';
import { openStores } from './store';
import { redisLimitsFrom } from './domain';

runMain(async () => {
  const config = loadConfig();
  const log = createLogger('timeline-rebuild', config.LOG_LEVEL);
  const conn = await connectMongo(config.MONGO_URL);
  const redis = await connectRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX });
  try {
    const stores = await openStores(conn, redis, redisLimitsFrom(config));
    const builder = new FeedBuilder(stores, new PulledAuthors(stores.authored, stores.authors), config.TIMELINE_MAX_ENTRIES, log);
    const report = await builder.rebuildAll();
    log.info(report, 'every feed rebuilt');
  } finally {
    redis.destroy();
    await conn.close();
  }
});
