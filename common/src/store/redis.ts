/**
 * Redis through node-redis (the `redis` package): the connection a service's caches use, with
 * every key under the service's own prefix, so several services, test files or one-machine
 * systems can share one server without seeing each other's keys.
 */
import { createHash } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import { DependencyError } from '../dependency-error';
import { redactUrl } from './mysql';

export interface RedisOptions {
  /** Prepended to every key sent (not to SCAN patterns or Pub/Sub channels). */
  keyPrefix: string;
  connectTimeoutMs?: number;
}

export type RedisClient = ReturnType<typeof createRedisClient>;

function createRedisClient(url: string, options: RedisOptions) {
  return createClient({
    url,
    keyPrefix: options.keyPrefix,
    // node-redis 6 gives every command a 5 s AbortSignal.timeout by default: a timer per command
    // that fires (and builds a DOMException) even after the reply came, a tenth of a home page's
    // CPU. Instead a PING every few seconds finds a dead server and the client reconnects.
    commandOptions: { timeout: 0 },
    pingInterval: 5000,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // Reconnect with a capped backoff; commands wait in the offline queue meanwhile.
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 3000),
    },
  });
}

/**
 * Opens a connection; fails with a DependencyError naming the (redacted) URL when the server is
 * not there. Commands issued in the same tick are pipelined by the client.
 */
export async function connectRedis(url: string, options: RedisOptions): Promise<RedisClient> {
  const client = createRedisClient(url, options);
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

/** The same connection, answering Redis strings as bytes (Buffers): what is passed on as it came is never decoded. */
export function answeringBytes(client: RedisClient) {
  return client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

export async function pingRedis(client: { ping(): Promise<string> }): Promise<void> {
  await client.ping();
}

/**
 * Deletes every key under a prefix (a test file's, or a rebuild's): SCAN, not KEYS, so a large
 * keyspace is walked in steps without blocking the server.
 */
export async function deleteKeysUnder(client: RedisClient, prefix: string): Promise<number> {
  let deleted = 0;
  // SCAN's MATCH is not prefixed by the client: match on the full key, delete without the prefix.
  const own = String(client._keyPrefix ?? '');
  for await (const keys of client.scanIterator({ MATCH: `${own}${prefix}*`, COUNT: 1000 })) {
    if (keys.length === 0) continue;
    deleted += await client.unlink(keys.map((k) => k.slice(own.length)));
  }
  return deleted;
}

/** What a Lua script is run with: a client that has EVALSHA and EVAL (a connection or a cluster). */
interface ScriptRunner {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/**
 * A Lua script run by its SHA1, sent whole only when the server does not know it yet (a new or
 * flushed server). A script sees one key's slot in a cluster only if all its keys share a hash
 * tag: give every key of one call the same `{…}`.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: ScriptRunner, keys: string[], args: Array<string | number>): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await client.evalSha(this.sha, options);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, options);
    }
  }
}
