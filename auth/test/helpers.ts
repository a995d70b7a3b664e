/**
 * The auth app against real servers: a MySQL database and an event namespace of this test
 * file's own, migrations applied, the outbox relay running (unless a test plays a crash).
 */
import { createMysqlPool, MySqlOutboxRelay, streamNameFor, type EventBus, type EventDefinition, type RateLimitStore } from '@lumina/common';
import { eventually, TestContext, testKeys, testLogger } from '@lumina/common/testing';
import type { Express } from 'express';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import request from 'supertest';
import { buildApp } from '../src/app';
import type { RateLimits } from '../src/config';
import { Argon2PasswordHasher, type Argon2Options, type PasswordHasher } from '../src/passwords';
import { migrate } from '../src/store/migrations';

/** Cheaper than production (which one test checks) so the suite stays fast; still argon2id. */
export const TEST_ARGON2: Argon2Options = { memoryCost: 8192, timeCost: 1, parallelism: 1 };

export const GENEROUS_LIMITS: RateLimits = {
  windowMs: 60_000,
  signUpPerAddress: 100_000,
  signUpPerAccount: 100_000,
  followsPerMinute: 100_000,
  profileEditsPerMinute: 100_000,
  signIn: {
    failuresBeforeDelayPerPair: 100_000,
    failuresBeforeDelayPerAddress: 100_000,
    baseDelayMs: 1000,
    maxDelayMs: 60_000,
    memoryMs: 3600_000,
  },
};

/** Wraps the real hasher and counts what it was asked to do. */
export class CountingHasher implements PasswordHasher {
  hashes = 0;
  verifies = 0;
  constructor(readonly inner: PasswordHasher = new Argon2PasswordHasher(TEST_ARGON2)) {}
  hash(password: string) {
    this.hashes += 1;
    return this.inner.hash(password);
  }
  verify(hash: string, password: string) {
    this.verifies += 1;
    return this.inner.verify(hash, password);
  }
  verifyNothing(password: string) {
    this.verifies += 1;
    return this.inner.verifyNothing(password);
  }
  needsRehash(hash: string) {
    return this.inner.needsRehash(hash);
  }
  get calls() {
    return this.hashes + this.verifies;
  }
}

export interface AppOptions {
  limits?: Partial<RateLimits>;
  hasher?: PasswordHasher;
  rateLimits?: RateLimitStore;
  cookieSecure?: boolean;
  /** false: no relay and no notify, as if the process died right after each commit. */
  relay?: boolean;
  refreshTtlMs?: number;
}

export interface Harness {
  ctx: TestContext;
  pool: Pool;
  bus: EventBus;
  dbUrl: string;
  app: Express;
  hasher: CountingHasher;
  relay?: MySqlOutboxRelay;
  /**
   * Everything a request could have written (rows and published events), after the relay has
   * published what was pending; equal snapshots around a request prove it wrote nothing.
   */
  snapshot(): Promise<Record<string, number>>;
  /** Another app over the same database and bus (a second replica). */
  buildAnother(options?: AppOptions): Express;
  close(): Promise<void>;
}

export async function setUpAuth(options: AppOptions = {}): Promise<Harness> {
  const ctx = new TestContext();
  const dbUrl = await ctx.mysqlDatabase('auth');
  const pool = createMysqlPool(dbUrl, { connectionLimit: 20 });
  await migrate(pool);
  const bus = await ctx.eventBus('auth', ['USERS', 'MEDIA', 'DLQ']);
  const relays: MySqlOutboxRelay[] = [];
  const hasher = options.hasher instanceof CountingHasher ? options.hasher : new CountingHasher(options.hasher);

  const make = (opts: AppOptions): Express => {
    let relay: MySqlOutboxRelay | undefined;
    if (opts.relay !== false) {
      relay = new MySqlOutboxRelay(pool, bus, { log: testLogger, pollIntervalMs: 200 });
      relay.start();
      relays.push(relay);
    }
    return buildApp({
      log: testLogger,
      pool,
      signingKey: testKeys().signing,
      publicKeys: testKeys().publicKeys,
      hasher: opts.hasher instanceof CountingHasher ? opts.hasher : hasher,
      limits: { ...GENEROUS_LIMITS, ...opts.limits },
      rateLimits: opts.rateLimits,
      refreshTtlMs: opts.refreshTtlMs ?? 30 * 24 * 3600_000,
      cookieSecure: opts.cookieSecure ?? false,
      trustProxyHops: 1,
      notifyOutbox: relay ? () => relay.notify() : undefined,
      readiness: { mysql: async () => void (await pool.query('SELECT 1')) },
    });
  };
  const app = make(options);

  return {
    ctx,
    pool,
    bus,
    dbUrl,
    app,
    hasher,
    relay: relays[0],
    buildAnother: (opts = {}) => make(opts),
    async snapshot() {
      // The running relay may hold a batch mid-publish (rows locked, not yet deleted): wait it out.
      for (const r of relays) await r.drain();
      await eventually(async () =>
        expect(await count(pool, 'SELECT COUNT(*) FROM outbox_events')).toBe(relays.length > 0 ? 0 : expect.any(Number)),
      );
      const info = await bus.jsm.streams.info(streamNameFor(bus.ns, 'USERS'));
      return {
        users: await count(pool, 'SELECT COUNT(*) FROM users'),
        userVersions: await count(pool, 'SELECT COALESCE(SUM(version), 0) FROM users'),
        follows: await count(pool, 'SELECT COALESCE(SUM(version), 0) FROM follows'),
        refreshTokens: await count(pool, 'SELECT COUNT(*) FROM refresh_tokens'),
        outbox: await count(pool, 'SELECT COUNT(*) FROM outbox_events'),
        events: Number(info.state.messages),
      };
    },
    async close() {
      await Promise.all(relays.map((r) => r.stop()));
      await pool.end();
      await ctx.cleanup();
    },
  };
}

let counter = 0;
/** A short unique suffix for usernames and emails within this run. */
export function unique(): string {
  counter += 1;
  return `${Date.now().toString(36).slice(-5)}${counter.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export interface SignedUp {
  id: string;
  username: string;
  email: string;
  password: string;
  /** The Cookie header value with both cookies, as a browser would send it to /api/v1/users. */
  cookies: string;
  accessToken: string;
  refreshToken: string;
}

/** Cookie name → value from a response's Set-Cookie headers. */
export function cookiesOf(res: request.Response): Record<string, string> {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  const out: Record<string, string> = {};
  for (const line of raw ?? []) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return out;
}

export function setCookieLine(res: request.Response, name: string): string | undefined {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return raw?.find((l) => l.startsWith(`${name}=`));
}

/** The JWT inside a cookie-session `session` cookie value. */
export function jwtFromSessionCookie(value: string): string {
  return (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt: string }).jwt;
}

export function sessionFrom(res: request.Response): { cookies: string; accessToken: string; refreshToken: string } {
  const c = cookiesOf(res);
  return { cookies: `session=${c.session}; refresh=${c.refresh}`, accessToken: jwtFromSessionCookie(c.session!), refreshToken: c.refresh! };
}

export async function signUp(
  app: Express,
  overrides: Partial<{ username: string; email: string; password: string; displayName: string }> = {},
): Promise<SignedUp> {
  const tag = unique();
  const body = { username: `u_${tag}`, email: `${tag}@example.com`, password: 'correct horse battery', ...overrides };
  const res = await request(app).post('/api/v1/users/signup').set('X-Forwarded-For', '198.51.100.1').send(body);
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username: res.body.user.username, email: body.email, password: body.password, ...sessionFrom(res) };
}

export const bearer = (user: { accessToken: string }) => `Bearer ${user.accessToken}`;

export async function count(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>(sql, params);
  return Number(Object.values(rows[0] ?? { n: 0 })[0]);
}

/** Every event of a type in the stream right now (read from its start), data and envelope ids. */
export async function eventsIn<E extends EventDefinition>(
  bus: EventBus,
  event: E,
): Promise<Array<{ id: string; data: Record<string, unknown> }>> {
  const stream = streamNameFor(bus.ns, event.stream);
  const subject = `${bus.ns.subjectPrefix}.${event.type}`;
  const info = await bus.jsm.streams.info(stream, { subjects_filter: subject });
  const total = Number(info.state.subjects?.[subject] ?? 0);
  if (total === 0) return [];
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: [subject] });
  const out: Array<{ id: string; data: Record<string, unknown> }> = [];
  const messages = await consumer.fetch({ max_messages: total, expires: 3000 });
  for await (const m of messages) {
    const envelope = JSON.parse(Buffer.from(m.data).toString('utf8')) as { id: string; data: Record<string, unknown> };
    out.push(envelope);
    if (out.length >= total) break;
  }
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
