import express from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { z } from 'zod';
import {
  MemoryRateLimitStore,
  NotFoundError,
  createHttpApp,
  generateSigningKeyPair,
  parseWith,
  rateLimit,
  readPageRequest,
  requireAuth,
  signAccessToken,
  signedInUser,
  timeIdCursor,
  toPage,
  encodeCursor,
  byClientAddress,
  sendJsonText,
} from '../src';
import { sessionCookieFor, testKeys, testLogger, tokenFor } from '../src/testing';

const alice = { id: 'u-alice', username: 'alice' };
let healthy = true;

function buildApp() {
  const router = express.Router();
  router.get('/me', requireAuth, (req, res) => {
    res.json({ user: signedInUser(req) });
  });
  router.post('/echo', (req, res) => {
    const body = parseWith(z.object({ name: z.string().max(10) }), req.body);
    res.status(201).json(body);
  });
  router.get('/list', (req, res) => {
    const { limit, after } = readPageRequest(req.query, timeIdCursor);
    const rows = Array.from({ length: 250 }, (_, i) => ({ t: 1000 - i, id: `i${i}` })).filter((r) => !after || r.t < after.t);
    res.json(
      toPage(
        rows.slice(0, limit + 1),
        limit,
        (r) => ({ t: r.t, id: r.id }),
        (r) => r.id,
      ),
    );
  });
  router.get('/missing', () => {
    throw new NotFoundError('No such thing');
  });
  router.get('/boom', () => {
    throw new Error('SELECT secret FROM users -- internal detail');
  });
  router.post(
    '/limited',
    rateLimit(new MemoryRateLimitStore(), { name: 'test', windowMs: 60_000, max: 2, key: byClientAddress }),
    (_req, res) => {
      res.status(204).end();
    },
  );
  return createHttpApp({
    service: 'test',
    log: testLogger,
    publicKeys: testKeys().publicKeys,
    routes: [{ prefix: '/api/test', router }],
    readiness: {
      database: async () => {
        if (!healthy) throw new Error('connection refused');
      },
    },
  });
}
const app = buildApp();

describe('access tokens', () => {
  test('a valid token in the Bearer header or the session cookie signs the user in', async () => {
    await request(app)
      .get('/api/test/me')
      .set('Authorization', `Bearer ${tokenFor(alice)}`)
      .expect(200, { user: alice });
    await request(app).get('/api/test/me').set('Cookie', sessionCookieFor(alice)).expect(200, { user: alice });
  });

  test('no token is 401 in the error shape', async () => {
    await request(app)
      .get('/api/test/me')
      .expect(401, { errors: [{ message: 'Not signed in' }] });
  });

  const { signing, publicKeyPem } = { signing: testKeys().signing, publicKeyPem: testKeys().signing.publicKeyPem };
  const claims = { username: 'alice', sub: 'u-alice', iss: 'lumina-auth', aud: 'lumina' };
  const attacks: Array<[string, () => string]> = [
    [
      'alg none',
      () =>
        `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: signing.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`,
    ],
    [
      'HS256 with the public key as secret',
      () => jwt.sign(claims, publicKeyPem, { algorithm: 'HS256', keyid: signing.kid, expiresIn: 600 }),
    ],
    ['another key with our kid', () => signAccessToken({ ...generateSigningKeyPair(signing.kid) }, alice)],
    ['an unknown kid', () => signAccessToken(generateSigningKeyPair('stranger'), alice)],
    ['expired', () => signAccessToken(signing, alice, -10)],
    [
      'an altered payload',
      () => {
        const [h, , s] = tokenFor(alice).split('.');
        return `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'u-admin', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.${s}`;
      },
    ],
  ];
  test.each(attacks)('a token with %s is refused', async (_name, make) => {
    await request(app).get('/api/test/me').set('Authorization', `Bearer ${make()}`).expect(401);
  });
});

describe('errors', () => {
  test('malformed JSON is 400', async () => {
    const res = await request(app).post('/api/test/echo').set('Content-Type', 'application/json').send('{"name":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  });

  test('a body over the limit is 413', async () => {
    const res = await request(app)
      .post('/api/test/echo')
      .send({ name: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
  });

  test('a JSON body that is not an object is 400', async () => {
    await request(app).post('/api/test/echo').set('Content-Type', 'application/json').send('[1,2]').expect(400);
  });

  test('invalid fields are listed with their names; operator objects are not strings', async () => {
    const res = await request(app)
      .post('/api/test/echo')
      .send({ name: { $gt: '' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('name');
  });

  test('unknown routes are 404 in the error shape', async () => {
    await request(app)
      .get('/api/test/nowhere')
      .expect(404, { errors: [{ message: 'Route not found' }] });
    await request(app)
      .get('/api/test/missing')
      .expect(404, { errors: [{ message: 'No such thing' }] });
  });

  test('an unexpected error is a 500 that leaks nothing', async () => {
    const res = await request(app).get('/api/test/boom');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/SELECT|secret|at /);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
  });
});

describe('pagination', () => {
  test('pages neither skip nor repeat', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(app)
        .get('/api/test/list')
        .query(cursor ? { limit: '100', cursor } : { limit: '100' });
      seen.push(...(res.body.items as string[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  });

  test.each([['0'], ['101'], ['abc'], ['-1']])('limit=%s is 400', async (limit) => {
    const res = await request(app).get('/api/test/list').query({ limit });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('limit');
  });

  test('a forged or garbled cursor is 400', async () => {
    await request(app).get('/api/test/list').query({ cursor: 'not-a-cursor' }).expect(400);
    await request(app)
      .get('/api/test/list')
      .query({ cursor: encodeCursor({ t: 'x', id: 1 }) })
      .expect(400);
  });
});

test('a rate limit answers 429 with Retry-After once the window is full', async () => {
  await request(app).post('/api/test/limited').expect(204);
  await request(app).post('/api/test/limited').expect(204);
  const res = await request(app).post('/api/test/limited');
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
});

describe('operations endpoints', () => {
  test('/healthz touches nothing; /readyz reflects dependencies', async () => {
    healthy = false;
    await request(app).get('/healthz').expect(200);
    const notReady = await request(app).get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.database).toBe('connection refused');
    healthy = true;
    await request(app).get('/readyz').expect(200);
  });

  test('/metrics serves Prometheus text with the HTTP histogram', async () => {
    await request(app).get('/api/test/missing');
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
  });

  test('every answer carries a request id and security headers', async () => {
    const res = await request(app).get('/api/test/missing').set('X-Request-Id', 'abc-123');
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('sendJsonText', () => {
  const page = '{"items":[{"caption":"Café ☕ 🌍 — über"}],"nextCursor":null}';
  const app = express();
  app.get('/text', (_req, res) => sendJsonText(res, page));
  app.get('/bytes', (_req, res) => sendJsonText(res, Buffer.from(page, 'utf8')));
  app.get('/checked', (_req, res) => {
    res.locals.checkResponses = true;
    sendJsonText(res, Buffer.from(page, 'utf8'));
  });

  test.each(['/text', '/bytes', '/checked'])('%s: the same JSON, byte for byte, as UTF-8', async (path) => {
    const res = await request(app).get(path).expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.text).toBe(page);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(page));
  });
});
