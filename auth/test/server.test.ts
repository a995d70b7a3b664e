/**
 * The real start-up path, as index.ts and the one-machine launcher run it: configuration from
 * the environment, a key pair generated on first start, migrations, streams, relay, listener.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Events, loadPublicKeys, verifyAccessToken } from '@lumina/common';
import { apiDocsProblems, collectEvents, eventually, freePort, TestContext } from '@lumina/common/testing';
import request from 'supertest';
import { loadConfig } from '../src/config';
import { startAuthService, type RunningAuth } from '../src/server';
import { sessionFrom } from './helpers';

const ctx = new TestContext();
const dir = mkdtempSync(join(tmpdir(), 'lumina-auth-keys-'));
let auth: RunningAuth;
let env: NodeJS.ProcessEnv;
let base: string;

beforeAll(async () => {
  const mysqlUrl = await ctx.mysqlDatabase('authsrv');
  const port = await freePort();
  env = ctx.serviceEnv('auth', {
    MYSQL_URL: mysqlUrl,
    PORT: String(port),
    JWT_PRIVATE_KEY_FILE: join(dir, 'private', 'auth.pem'),
    JWT_KID: 'one-machine-1',
    JWT_GENERATE_KEY_IF_MISSING: 'true',
    JWT_PUBLIC_KEYS_DIR: join(dir, 'public'),
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
  });
  delete env.JWT_PUBLIC_KEYS;
  // The database is not created here: start-up must create it (ensureMysqlDatabase).
  const bare = new URL(mysqlUrl);
  bare.pathname = `${bare.pathname}_fresh`;
  env.MYSQL_URL = bare.toString();
  ctx.onCleanup(async () => {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ uri: process.env.MYSQL_URL! });
    await conn.query(`DROP DATABASE IF EXISTS \`${bare.pathname.slice(1)}\``);
    await conn.end();
  });
  auth = await startAuthService(loadConfig(env));
  base = `http://127.0.0.1:${auth.running.port}`;
});
afterAll(async () => {
  await auth?.running.shutdown('test over');
  await ctx.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('first start generated the key pair: private key 0600, public key under its kid for the other services', () => {
  expect(statSync(env.JWT_PRIVATE_KEY_FILE!).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(dir, 'public', 'one-machine-1.pem'), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
});

test('health, readiness and metrics answer on the service port', async () => {
  expect((await request(base).get('/healthz')).body).toEqual({ status: 'ok' });
  const ready = await request(base).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', checks: { mysql: 'ok', nats: 'ok' } });
  expect((await request(base).get('/metrics')).text).toContain('http_request_duration_seconds');
});

test("/metrics shows the streams' use against their limits and each consumer's backlog (the stream limits monitor)", async () => {
  const prefix = env.EVENT_STREAM_PREFIX!;
  await eventually(async () => {
    const text = (await request(base).get('/metrics')).text;
    expect(text).toContain(`jetstream_stream_max_bytes{stream="${prefix}USERS"} ${1024 ** 3}`);
    expect(text).toContain(`jetstream_stream_max_age_seconds{stream="${prefix}DLQ"} ${30 * 24 * 3600}`);
    expect(text).toMatch(new RegExp(`jetstream_consumer_pending_messages\\{stream="${prefix}MEDIA",consumer="auth--media-ready"\\} \\d+`));
  });
});

test('sign-up over HTTP: user.created reaches NATS promptly, and other services can verify the token', async () => {
  // Watched as the test's own (admin) user: auth's NATS user may read only its own consumers.
  const created = await collectEvents(await ctx.eventBus('auth-test'), Events.userCreated);
  try {
    const res = await request(base)
      .post('/api/v1/users/signup')
      .send({ email: 'srv@example.com', username: 'server_user', password: 'correct horse battery' });
    expect(res.status).toBe(201);
    const event = await created.waitFor((d) => d.id === res.body.user.id);
    expect(event.data.username).toBe('server_user');

    const { accessToken, cookies } = sessionFrom(res);
    const keysOfAnotherService = loadPublicKeys({ dir: join(dir, 'public') });
    expect(verifyAccessToken(accessToken, keysOfAnotherService)).toEqual({ id: res.body.user.id, username: 'server_user' });
    const me = await request(base).get('/api/v1/users/currentuser').set('Cookie', cookies);
    expect(me.body.currentUser.username).toBe('server_user');
  } finally {
    await created.stop();
  }
});

test('the media.ready listener runs under its durable name', async () => {
  const info = await auth.bus.jsm.consumers.info(`${ctx.ns.streamPrefix}MEDIA`, 'auth--media-ready');
  expect(info.config.durable_name).toBe('auth--media-ready');
});

test('a second start on the same key file and database reuses both', async () => {
  const again = await startAuthService(loadConfig({ ...env, PORT: String(await freePort()) }));
  try {
    expect((await request(`http://127.0.0.1:${again.running.port}`).get('/readyz')).status).toBe(200);
  } finally {
    await again.running.shutdown('second instance done');
  }
});

describe('configuration errors are one clear message', () => {
  test('missing variables', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    try {
      loadConfig({});
    } catch (err) {
      expect((err as Error).message).toMatch(/MYSQL_URL/);
      expect((err as Error).message).toMatch(/JWT_PRIVATE_KEY_FILE/);
      expect((err as Error).message).toMatch(/JWT_KID/);
    }
  });

  test('a missing key file without JWT_GENERATE_KEY_IF_MISSING', async () => {
    const config = loadConfig({ ...env, JWT_PRIVATE_KEY_FILE: join(dir, 'absent.pem'), JWT_GENERATE_KEY_IF_MISSING: 'false' });
    await expect(startAuthService(config)).rejects.toThrow(/JWT_PRIVATE_KEY_FILE: .*absent\.pem does not exist/);
  });
});

test('serves its OpenAPI 3.1 document (valid, every mounted route in it) and Swagger UI, on its port and under /api/v1/users', async () => {
  expect(await apiDocsProblems(auth.running.server, '/api/v1/users')).toEqual([]);
});
