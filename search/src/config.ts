/** The search service's environment, parsed and checked once at start-up. */
import { baseServiceEnv, env, configLoader } from '@lumina/common';
import type { z } from 'zod';

export const configSchema = baseServiceEnv.extend({
  /** mysql://user:pass@host:3306/search — the database is created if missing. */
  MYSQL_URL: env.url(),
  MYSQL_POOL_SIZE: env.int(10, 1),
  /** Events handled at once per consumed event type. */
  LISTENER_CONCURRENCY: env.int(8, 1),
});
export type Config = z.infer<typeof configSchema>;
export const loadConfig = configLoader(configSchema);
