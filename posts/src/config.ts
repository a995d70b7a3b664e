import { z } from 'zod';
import { baseServiceEnv, env, configLoader } from '@lumina/common';

export const configSchema = baseServiceEnv.extend({
  /** The database is the URL's path: mongodb://host:27017/posts. */
  MONGO_URL: env.mongoUrl(),
  /** Redis, the cache in front of the post reads (redis://host:6379); required, like MONGO_URL. */
  REDIS_URL: env.redisUrl(),
  /** Every key posts writes starts with this, so services and systems can share a server. */
  REDIS_KEY_PREFIX: z.string().min(1).default('posts:'),
  /**
   * How often the outbox relay looks for unpublished events nobody told it about: those a
   * process that died after its write left behind. Writers wake it at once.
   */
  OUTBOX_POLL_INTERVAL_MS: env.int(5_000, 10),
  /** How often to look for engagement writes a crashed process left half done. */
  PENDING_SWEEP_INTERVAL_MS: env.int(5_000, 10),
  /** How old such a write must be before the sweeper finishes it (another replica may be on it). */
  PENDING_GRACE_MS: env.int(10_000, 0),
  /** Per user and minute (429 beyond): creating, editing and deleting posts. */
  POST_WRITES_MAX_PER_MINUTE: env.int(30, 1),
  /** Per user and minute: likes and unlikes. */
  LIKES_MAX_PER_MINUTE: env.int(120, 1),
  /** Per user and minute: writing and deleting comments. */
  COMMENTS_MAX_PER_MINUTE: env.int(30, 1),
});
export type Config = z.infer<typeof configSchema>;
export const loadConfig = configLoader(configSchema);

/** The per-user write limits the routes enforce. */
export interface WriteLimits {
  postWrites: number;
  likes: number;
  comments: number;
}

export function writeLimitsFrom(config: Config): WriteLimits {
  return { postWrites: config.POST_WRITES_MAX_PER_MINUTE, likes: config.LIKES_MAX_PER_MINUTE, comments: config.COMMENTS_MAX_PER_MINUTE };
}
