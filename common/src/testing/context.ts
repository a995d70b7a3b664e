/**
 * Per-test-file isolation: each file gets its own MySQL and MongoDB databases, its own Redis key
 * prefix and its own event namespace (subject and stream prefixes), so files run in parallel
 * against the same servers and clean up after themselves.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { mongo } from 'mongoose';
import pino from 'pino';
import {
  ALL_STREAMS,
  closeEventBus,
  connectEventBus,
  provisionStreams,
  streamNameFor,
  type EventBus,
  type EventNamespace,
} from '../events/bus';
import type { StreamName } from '../events/catalogue';
import type { ServiceName } from '../events/permissions';
import { signAccessToken, type SigningKey, type UserPayload } from '../http/tokens';
import { connectRedis, deleteKeysUnder } from '../store/redis';
import { waitForConsumers, type DrainedOptions } from './drained';
import { createPublicKey } from 'node:crypto';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest with the Lumina preset (its globalSetup finds the servers)`);
  return value;
}

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A short random tag that is safe in database, subject and stream names. */
export function uniqueTag(): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface TestKeys {
  signing: SigningKey & { publicKeyPem: string };
  /** The JWT_PUBLIC_KEYS value a service under test is configured with. */
  publicKeysJson: string;
  publicKeys: Map<string, ReturnType<typeof createPublicKey>>;
}

let keys: TestKeys | undefined;
export function testKeys(): TestKeys {
  if (keys) return keys;
  const signing = JSON.parse(requireEnv('LUMINA_TEST_SIGNING_KEY')) as TestKeys['signing'];
  keys = {
    signing,
    publicKeysJson: JSON.stringify({ [signing.kid]: signing.publicKeyPem }),
    publicKeys: new Map([[signing.kid, createPublicKey(signing.publicKeyPem)]]),
  };
  return keys;
}

/** A Bearer token for a user, signed with the run's test key. */
export function tokenFor(user: UserPayload): string {
  return signAccessToken(testKeys().signing, user);
}

/** The `session` cookie cookie-session would set for this user. */
export function sessionCookieFor(user: UserPayload): string {
  return `session=${Buffer.from(JSON.stringify({ jwt: tokenFor(user) })).toString('base64')}`;
}

export class TestContext {
  readonly tag = uniqueTag();
  readonly ns: EventNamespace = { subjectPrefix: this.tag, streamPrefix: `${this.tag.toUpperCase()}_` };
  private readonly cleanups: Array<() => Promise<void>> = [];
  /** The first bus eventBus() connected (or one of drained()'s own): what drained() asks JetStream through. */
  private observer?: Promise<EventBus>;

  get natsUrl(): string {
    return requireEnv('NATS_URL');
  }

  /**
   * A NATS user's name and password on the test kit's NATS: a service's, `ops`, or `admin` (may
   * do anything: what the tests themselves connect as).
   */
  natsCredentials(user: ServiceName | 'ops' | 'operator' | 'admin'): { user: string; pass: string } {
    const passwords = JSON.parse(requireEnv('LUMINA_NATS_USERS')) as Record<string, string>;
    const pass = passwords[user];
    if (!pass) throw new Error(`the test NATS has no user ${user}`);
    return { user, pass };
  }

  /** A fresh MySQL database; answers its URL. */
  async mysqlDatabase(base: string): Promise<string> {
    const name = `${base}_${this.tag}`;
    const serverUrl = requireEnv('MYSQL_URL');
    const conn = await mysql.createConnection({ uri: serverUrl });
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.end();
    this.cleanups.push(async () => {
      const c = await mysql.createConnection({ uri: serverUrl });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    });
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** A MongoDB URL naming a database of this file's own; dropped at cleanup. */
  mongoDatabase(base: string): string {
    const name = `${base}_${this.tag}`;
    const serverUrl = requireEnv('MONGO_URL');
    this.cleanups.push(async () => {
      const client = await mongo.MongoClient.connect(serverUrl);
      await client
        .db(name)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    });
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  get redisUrl(): string {
    return requireEnv('REDIS_URL');
  }

  /** A Redis key prefix of this file's own (`<base>:<tag>:`); its keys are deleted at cleanup. */
  redisPrefix(base: string): string {
    const prefix = `${base}:${this.tag}:`;
    const url = this.redisUrl;
    this.cleanups.push(async () => {
      const client = await connectRedis(url, { keyPrefix: '' });
      await deleteKeysUnder(client, prefix);
      client.destroy();
    });
    return prefix;
  }

  /** A connected bus in this file's namespace with its streams provisioned. */
  async eventBus(name = 'test', streams: StreamName[] = ALL_STREAMS): Promise<EventBus> {
    const bus = await connectEventBus({
      servers: this.natsUrl,
      name: `${name}-${this.tag}`,
      ns: this.ns,
      log: testLogger,
      ...this.natsCredentials('admin'),
    });
    await provisionStreams(bus, streams, { replicas: 1, duplicateWindowMs: 60_000 });
    this.observer ??= Promise.resolve(bus);
    this.cleanups.push(async () => {
      for (const stream of streams) await bus.jsm.streams.delete(streamNameFor(this.ns, stream)).catch(() => undefined);
      await closeEventBus(bus);
    });
    return bus;
  }

  /**
   * Environment for a service under test, pointed at this file's databases and namespace, and
   * connecting to NATS as the service's own user (so its tests also prove its permissions suffice).
   */
  serviceEnv(service: ServiceName, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const nats = this.natsCredentials(service);
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      NATS_URL: this.natsUrl,
      NATS_USER: nats.user,
      NATS_PASSWORD: nats.pass,
      EVENT_SUBJECT_PREFIX: this.ns.subjectPrefix,
      EVENT_STREAM_PREFIX: this.ns.streamPrefix,
      JWT_PUBLIC_KEYS: testKeys().publicKeysJson,
      ...extra,
    };
  }

  /**
   * Waits until the services in this file's namespace have handled every event there is (see
   * waitForConsumers): what a test waits for before checking that something did NOT happen.
   */
  async drained(options: DrainedOptions = {}): Promise<void> {
    this.observer ??= connectEventBus({
      servers: this.natsUrl,
      name: `drained-${this.tag}`,
      ns: this.ns,
      log: testLogger,
      ...this.natsCredentials('admin'),
    }).then((bus) => {
      this.cleanups.push(() => closeEventBus(bus));
      return bus;
    });
    await waitForConsumers(await this.observer, options);
  }

  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.reverse()) await fn().catch(() => undefined);
    this.cleanups.length = 0;
    this.observer = undefined;
  }
}
