import { z } from 'zod';
import { baseServiceEnv, env, parseConfig } from '@lumina/common';

export const configSchema = baseServiceEnv.extend({
  /** The database is the URL's path: mongodb://host:27017/posts. */
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL'),
  /** How often the outbox relay looks for unpublished events when nobody notified it. */
  OUTBOX_POLL_INTERVAL_MS: env.int(500, 10),
  /** How often to look for engagement writes a crashed process left half done. */
  PENDING_SWEEP_INTERVAL_MS: env.int(5_000, 10),
  /** How old such a write must be before the sweeper finishes it (another replica may be on it). */
  PENDING_GRACE_MS: env.int(10_000, 0),
});
export type Config = z.infer<typeof configSchema>;

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(configSchema, source);
}
