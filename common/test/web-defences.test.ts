/**
 * What common's app factory does for every service: no cache keeps an API answer unless its route
 * says so, cross-site writes are refused, and the session cookie is `__Host-` behind TLS.
 */
import express from 'express';
import request from 'supertest';
import { createHttpApp, requireAuth, signedInUser, type HttpAppOptions } from '../src';
import { sessionCookieFor, testKeys, testLogger, tokenFor } from '../src/testing';

const alice = { id: 'u-alice', username: 'alice' };

function buildApp(options: Partial<HttpAppOptions> = {}) {
  const router = express.Router();
  router.get('/me', requireAuth, (req, res) => {
    res.json({ user: signedInUser(req) });
  });
  router.get('/public-image', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=31536000, immutable').send('bytes');
  });
  router.get('/stream', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform' });
    res.end(': hello\n\n');
  });
  router.post('/signout', (req, res) => {
    req.session = null;
    res.status(204).end();
  });
  router.delete('/thing', (_req, res) => {
    res.status(204).end();
  });
  router.get('/thing', (_req, res) => {
    res.json({ ok: true });
  });
  return createHttpApp({
    service: 'test',
    log: testLogger,
    publicKeys: testKeys().publicKeys,
    routes: [{ prefix: '/api/test', router }],
    readiness: {},
    writesSession: true,
    ...options,
  });
}
const app = buildApp();

describe('Cache-Control', () => {
  test('a personal answer is private, no-store and varies on Cookie and Authorization', async () => {
    const res = await request(app).get('/api/test/me').set('Cookie', sessionCookieFor(alice)).expect(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers.vary).toMatch(/\bCookie\b/);
    expect(res.headers.vary).toMatch(/\bAuthorization\b/);
  });

  test('errors are not cached either', async () => {
    const res = await request(app).get('/api/test/me').expect(401);
    expect(res.headers['cache-control']).toBe('private, no-store');
  });

  test("a route's own Cache-Control wins, without the personal Vary (public variants stay shareable)", async () => {
    const res = await request(app).get('/api/test/public-image').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.vary ?? '').not.toMatch(/Cookie/);
    const stream = await request(app).get('/api/test/stream').expect(200);
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
  });
});

describe('cross-site writes', () => {
  const cookie = sessionCookieFor(alice);

  test('a POST from another site (Origin) is 403 in the error shape, even body-less', async () => {
    const res = await request(app)
      .post('/api/test/signout')
      .set('Host', 'lumina.test')
      .set('Origin', 'https://evil.example')
      .set('Cookie', cookie);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [{ message: 'Cross-site request refused' }] });
  });

  test('a sibling subdomain is another origin too', async () => {
    await request(app).delete('/api/test/thing').set('Host', 'lumina.test').set('Origin', 'http://uploads.lumina.test').expect(403);
  });

  test('without Origin, a foreign Referer is refused and our own passes', async () => {
    await request(app).post('/api/test/signout').set('Host', 'lumina.test').set('Referer', 'https://evil.example/page').expect(403);
    await request(app).post('/api/test/signout').set('Host', 'lumina.test').set('Referer', 'http://lumina.test/settings').expect(204);
  });

  test('Origin: null (a sandboxed frame) is refused', async () => {
    await request(app).post('/api/test/signout').set('Host', 'lumina.test').set('Origin', 'null').expect(403);
  });

  test('our own origin passes, as the host the proxy forwarded for', async () => {
    await request(app).post('/api/test/signout').set('Host', 'lumina.test').set('Origin', 'http://lumina.test').expect(204);
    await request(app)
      .post('/api/test/signout')
      .set('Host', 'auth:3000')
      .set('X-Forwarded-Host', 'lumina.test:8080')
      .set('Origin', 'http://lumina.test:8080')
      .expect(204);
  });

  test('no Origin and no Referer (curl, a Bearer client, another server) passes', async () => {
    await request(app)
      .post('/api/test/signout')
      .set('Authorization', `Bearer ${tokenFor(alice)}`)
      .expect(204);
  });

  test('reads are never refused, whatever their Origin', async () => {
    await request(app).get('/api/test/thing').set('Origin', 'https://evil.example').expect(200);
  });

  test('configured allowed origins replace the same-host rule', async () => {
    const configured = buildApp({ allowedOrigins: ['https://lumina.example'] });
    await request(configured).post('/api/test/signout').set('Host', 'api.internal').set('Origin', 'https://lumina.example').expect(204);
    await request(configured).post('/api/test/signout').set('Host', 'lumina.test').set('Origin', 'http://lumina.test').expect(403);
  });
});

describe('the session cookie behind TLS', () => {
  test('is __Host-session: Secure, Path=/, no Domain', async () => {
    const secure = buildApp({ cookieSecure: true });
    const res = await request(secure).post('/api/test/signout').set('X-Forwarded-Proto', 'https').set('Cookie', '__Host-session=x');
    const line = (res.headers['set-cookie'] as unknown as string[]).find((l) => l.startsWith('__Host-session='));
    expect(line).toMatch(/; path=\/;/i);
    expect(line).toMatch(/; secure/i);
    expect(line).not.toMatch(/domain=/i);
  });

  test('is read under that name', async () => {
    const secure = buildApp({ cookieSecure: true });
    const value = sessionCookieFor(alice).slice('session='.length);
    await request(secure).get('/api/test/me').set('X-Forwarded-Proto', 'https').set('Cookie', `__Host-session=${value}`).expect(200);
    await request(secure).get('/api/test/me').set('X-Forwarded-Proto', 'https').set('Cookie', `session=${value}`).expect(401);
  });
});

describe('the session cookie, in a service that only reads it', () => {
  const reader = buildApp({ writesSession: false });

  test('signs its holder in, as cookie-session wrote it', async () => {
    const res = await request(reader)
      .get('/api/test/me')
      .set('Cookie', `theme=dark; ${sessionCookieFor(alice)}; other=1`)
      .expect(200);
    expect(res.body).toEqual({ user: alice });
  });

  test('anything else in it is no session: 401, never a 500', async () => {
    const notJson = Buffer.from('not json').toString('base64');
    const noJwt = Buffer.from(JSON.stringify({ user: 'alice' })).toString('base64');
    const forged = Buffer.from(JSON.stringify({ jwt: `${tokenFor(alice)}x` })).toString('base64');
    for (const value of ['', '%%%', notJson, noJwt, forged, 'bnVsbA==' /* null */]) {
      await request(reader).get('/api/test/me').set('Cookie', `session=${value}`).expect(401);
    }
  });

  test('never writes it: `req.session = null` there clears nothing', async () => {
    const res = await request(reader).post('/api/test/signout').set('Cookie', sessionCookieFor(alice)).expect(204);
    expect(res.headers['set-cookie']).toBeUndefined();
    const writer = await request(app).post('/api/test/signout').set('Cookie', sessionCookieFor(alice)).expect(204);
    expect(writer.headers['set-cookie']?.[0]).toMatch(/^session=;/);
  });
});
