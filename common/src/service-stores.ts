/**
 * The stores a service opens at start-up, described once each: how to open it, how /readyz
 * checks it, how to close it. bootService opens them in order, names them as the service does
 * (`{ pool: mysqlStore(…) }` gives `pool`), and closes them on shutdown or a failed start.
 */
import type { Connection } from 'mongoose';
import type { Pool } from 'mysql2/promise';
import type { Logger } from 'pino';
import { connectMongo, pingMongo } from './store/mongo';
import { createMysqlPool, ensureMysqlDatabase, pingMysql } from './store/mysql';
import { connectRedis, pingRedis, type RedisClient } from './store/redis';

export interface StoreSpec<T> {
  /** The name of its readiness check in /readyz. */
  readonly check: string;
  open(log: Logger): Promise<T>;
  /** Throws when the store cannot be reached. */
  ping(store: T): Promise<void>;
  close(store: T): Promise<void> | void;
}

export type StoreSpecs = Record<string, StoreSpec<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What each spec opens, by the name the service gave it. */
export type OpenStores<S extends StoreSpecs> = { [K in keyof S]: S[K] extends StoreSpec<infer T> ? T : never };

/** A MySQL pool: the database is created if missing, pinged (a clear error if unreachable) and migrated. */
export function mysqlStore(options: {
  url: string;
  poolSize?: number;
  migrate?: (pool: Pool) => Promise<readonly unknown[]>;
}): StoreSpec<Pool> {
  return {
    check: 'mysql',
    async open(log) {
      await ensureMysqlDatabase(options.url);
      const pool = createMysqlPool(options.url, { connectionLimit: options.poolSize });
      try {
        await pingMysql(pool, options.url);
        const applied = (await options.migrate?.(pool)) ?? [];
        if (applied.length > 0) log.info({ applied }, 'migrations applied');
        return pool;
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw err;
      }
    },
    ping: (pool) => pingMysql(pool, options.url),
    close: (pool) => pool.end(),
  };
}

/** A MongoDB connection. */
export function mongoStore(options: { url: string; check?: string }): StoreSpec<Connection> {
  return {
    check: options.check ?? 'mongodb',
    open: () => connectMongo(options.url),
    ping: (conn) => pingMongo(conn),
    close: (conn) => conn.close(),
  };
}

/** A Redis connection with every key under the service's prefix. */
export function redisStore(options: { url: string; keyPrefix: string }): StoreSpec<RedisClient> {
  return {
    check: 'redis',
    open: () => connectRedis(options.url, { keyPrefix: options.keyPrefix }),
    ping: (client) => pingRedis(client),
    close: (client) => client.destroy(),
  };
}
