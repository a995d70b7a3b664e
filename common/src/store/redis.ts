/**
 * Redis through node-redis (the `redis` package): the connection a service's caches use, with
 * every key under the service's own prefix, so several services, test files or one-machine
 * systems can share one server without seeing each other's keys.
 */
import { createClient, type RedisClientType, type RedisScripts } from 'redis';

/** For the scripts a service passes to connectRedis. */
export { defineScript } from 'redis';
import { DependencyError } from '../dependency-error';
import { redactUrl } from './mysql';

export interface RedisOptions<S extends RedisScripts> {
  /** Prepended to every key sent (not to SCAN patterns or Pub/Sub channels). */
  keyPrefix: string;
  /** Lua scripts, run by EVALSHA (sent whole once if the server does not know them yet). */
  scripts?: S;
  connectTimeoutMs?: number;
}

export type RedisClient<S extends RedisScripts = RedisScripts> = RedisClientType<Record<string, never>, Record<string, never>, S, 2>;

/**
 * Opens a connection; fails with a DependencyError naming the (redacted) URL when the server is
 * not there. Commands issued in the same tick are pipelined by the client.
 */
export async function connectRedis<S extends RedisScripts>(url: string, options: RedisOptions<S>): Promise<RedisClient<S>> {
  const client = createClient({
    url,
    keyPrefix: options.keyPrefix,
    scripts: options.scripts,
    RESP: 2,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // Reconnect with a capped backoff; commands wait in the offline queue meanwhile.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 3000),
    },
  }) as unknown as RedisClient<S>;
  // Without a listener an 'error' event would crash the process; reconnecting is the client's job.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.destroy();
    throw new DependencyError('Redis', redactUrl(url), err as Error);
  }
  return client;
}

export async function pingRedis(client: { ping(): Promise<string> }): Promise<void> {
  await client.ping();
}

/**
 * Deletes every key under a prefix (a test file's, or a rebuild's): SCAN, not KEYS, so a large
 * keyspace is walked in steps without blocking the server.
 */
export async function deleteKeysUnder(client: RedisClient<RedisScripts>, prefix: string): Promise<number> {
  let deleted = 0;
  // SCAN's MATCH is not prefixed by the client: match on the full key, delete without the prefix.
  const own = String(client._keyPrefix ?? '');
  for await (const keys of client.scanIterator({ MATCH: `${own}${prefix}*`, COUNT: 1000 })) {
    if (keys.length === 0) continue;
    deleted += await client.unlink(keys.map((k) => k.slice(own.length)));
  }
  return deleted;
}
