import { z } from 'zod';
import { baseServiceEnv, env, configLoader } from '@lumina/common';

export const configSchema = baseServiceEnv.extend({
  /** The database is the URL's path: mongodb://host:27017/timeline. */
  MONGO_URL: env.mongoUrl(),
  /** Home feeds and cards (a cache MongoDB can rebuild): redis://host:6379. */
  REDIS_URL: env.redisUrl(),
  /** Every key of this service starts with it, so a Redis can be shared. */
  REDIS_KEY_PREFIX: z.string().default('timeline:'),
  /** Authors with more active followers than this are not fanned out; their posts are merged in at read time. */
  TIMELINE_FANOUT_THRESHOLD: env.int(10_000, 0),
  /** Each home timeline keeps its newest this many entries. */
  TIMELINE_MAX_ENTRIES: env.int(800, 1),
  /** A viewer who has not read their home for this many days gets no fan-out; their feed is rebuilt when they come back. */
  TIMELINE_ACTIVE_DAYS: env.int(30, 1),
  /** How many landings each viewer's live-stream log keeps (what a reconnect can replay). */
  TIMELINE_STREAM_LOG_ENTRIES: env.int(200, 10),
  /**
   * A viewer's landing log is kept while they stream and this many minutes after (at least two
   * heartbeats): a reconnect with Last-Event-ID within it replays what it missed. Fan-out logs
   * nothing for viewers who are not streaming.
   */
  TIMELINE_STREAM_RESUME_MINUTES: env.int(15, 1),
  /** Cards not changed for this long expire and are filled again from MongoDB when read. */
  TIMELINE_CARD_TTL_HOURS: env.int(72, 1),
  /**
   * A viewer's first home page is kept assembled this long (0: never kept). Anything the page shows
   * drops it at once, except the counts of a post on more than TIMELINE_PAGE_COUNT_DROP_LIMIT kept
   * pages: those counts are at most this old.
   */
  TIMELINE_PAGE_TTL_MS: env.int(5000, 0),
  TIMELINE_PAGE_COUNT_DROP_LIMIT: env.int(200, 0),
  /** Following someone brings this many of their latest posts into the timeline. */
  TIMELINE_BACKFILL_POSTS: env.int(100, 0),
  /** Followers written per pipelined batch during fan-out. */
  FANOUT_BATCH_SIZE: env.int(1000, 1),
  /** Explore ranks posts from this many recent days. */
  EXPLORE_WINDOW_DAYS: env.int(7, 1),
  /** A comment line is written to every open stream this often, so proxies keep it open. */
  STREAM_HEARTBEAT_MS: env.int(15_000, 50),
  /** A stream is ended after this long (the client resumes with Last-Event-ID): an expired session stops streaming. */
  STREAM_MAX_AGE_MS: env.int(15 * 60_000, 1000),
  /** Open streams allowed per replica; more are answered 503. */
  STREAM_MAX_CONNECTIONS: env.int(10_000, 1),
  /** Streams one viewer may hold open on a replica (tabs, devices); the next is 429, so one token cannot take every slot. */
  STREAM_MAX_PER_VIEWER: env.int(5, 1),
  /** Per user and minute (429 beyond): POST /notifications/read. */
  NOTIFICATIONS_READ_MAX_PER_MINUTE: env.int(60, 1),
  /** Messages each listener handles at once. */
  LISTENER_CONCURRENCY: env.int(8, 1),
});
export type Config = z.infer<typeof configSchema>;
export const loadConfig = configLoader(configSchema);
