import { ACCESS_TOKEN_TTL_SECONDS, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@lumina/common';
import * as argon2 from 'argon2';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { testLogger } from '@lumina/common/testing';
import { ExpiredRecordsSweeper } from '../src/sweeper';
import { hashRefreshToken } from '../src/session-tokens';
import { MySqlRateLimitStore } from '../src/store/rate-limit-store';
import { RefreshTokensStore } from '../src/store/refresh-tokens-store';
import {
  bearer,
  cookiesOf,
  count,
  jwtFromSessionCookie,
  sessionFrom,
  setCookieLine,
  setUpAuth,
  signUp,
  unique,
  type Harness,
} from './helpers';

let h: Harness;
beforeAll(async () => {
  h = await setUpAuth();
});
afterAll(() => h.close());

const api = () => request(h.app);
const signin = (body: unknown) =>
  api()
    .post('/api/v1/users/signin')
    .set('X-Forwarded-For', '192.0.2.10')
    .send(body as object);
const refreshWith = (token: string) => api().post('/api/v1/users/refresh').set('Cookie', `refresh=${token}`);
const familyOf = async (token: string) => {
  const [rows] = (await h.pool.query(
    'SELECT f.id, f.revoked_at, f.revoked_reason FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = ?',
    [hashRefreshToken(token)],
  )) as unknown as [Array<{ id: string; revoked_at: Date | null; revoked_reason: string | null }>];
  return rows[0]!;
};

describe('POST /api/v1/users/signin', () => {
  test('right credentials: 200 with the own user, both cookies; email in any case and with spaces around', async () => {
    const user = await signUp(h.app);
    const res = await signin({ email: `  ${user.email.toUpperCase()} `, password: user.password });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, username: user.username, email: user.email });
    expect(setCookieLine(res, 'session')).toMatch(/httponly/i);
    expect(setCookieLine(res, 'refresh')).toMatch(/path=\/api\/v1\/users/i);
  });

  test('a wrong password and an unknown email get the very same 401 answer', async () => {
    const user = await signUp(h.app);
    const wrong = await signin({ email: user.email, password: 'not the password' });
    const unknown = await signin({ email: `nobody.${user.username}@example.com`, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ errors: [{ message: 'Invalid email or password' }] });
    expect(unknown.body).toEqual(wrong.body);
    expect(setCookieLine(wrong, 'refresh')).toBeUndefined();
  });

  test('an unknown email still costs one argon2 verification (against a dummy hash)', async () => {
    const before = h.hasher.verifies;
    await signin({ email: 'ghost@example.com', password: 'whatever123' });
    expect(h.hasher.verifies).toBe(before + 1);
  });

  const badBodies: Array<[string, unknown]> = [
    ['an operator in email', { email: { $gt: '' }, password: 'whatever123' }],
    ['an operator in password', { email: 'a@example.com', password: { $ne: null } }],
    ['a password array', { email: 'a@example.com', password: ['a', 'b'] }],
    ['a SQL tautology as email', { email: "' OR '1'='1", password: "' OR '1'='1" }],
    ['no password', { email: 'a@example.com' }],
    ['an empty password', { email: 'a@example.com', password: '' }],
    ['a 129-character password', { email: 'a@example.com', password: 'x'.repeat(129) }],
    ['no body at all', undefined],
  ];
  test.each(badBodies)('%s is a 400 that verifies nothing', async (_label, body) => {
    const before = h.hasher.calls;
    const res = await signin(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(h.hasher.calls).toBe(before);
  });

  test('a 1 MB password is 413 and never reaches argon2', async () => {
    const before = h.hasher.calls;
    const res = await signin({ email: 'a@example.com', password: 'p'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
    expect(h.hasher.calls).toBe(before);
  });
});

describe('the access token', () => {
  test('is an ES256 JWT of 15 minutes with our kid, issuer and audience, naming the user', async () => {
    const user = await signUp(h.app);
    const decoded = jwt.decode(user.accessToken, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'ES256', kid: 'test-key' });
    const payload = decoded.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({ sub: user.id, username: user.username, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE });
    expect(payload.exp! - payload.iat!).toBe(ACCESS_TOKEN_TTL_SECONDS);
    expect(ACCESS_TOKEN_TTL_SECONDS).toBe(900);
  });
});

describe('GET /api/v1/users/currentuser', () => {
  test('is personal: private, no-store, varying on Cookie and Authorization', async () => {
    const user = await signUp(h.app);
    const res = await api().get('/api/v1/users/currentuser').set('Cookie', user.cookies).expect(200);
    expect(res.body.currentUser.id).toBe(user.id);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.headers.vary).toMatch(/Cookie.*Authorization|Authorization.*Cookie/);
  });

  test('from the session cookie: the own user with email', async () => {
    const user = await signUp(h.app);
    const res = await api().get('/api/v1/users/currentuser').set('Cookie', user.cookies);
    expect(res.status).toBe(200);
    expect(res.body.currentUser).toMatchObject({ id: user.id, email: user.email });
  });

  test('from a Bearer header', async () => {
    const user = await signUp(h.app);
    const res = await api().get('/api/v1/users/currentuser').set('Authorization', bearer(user));
    expect(res.body.currentUser.id).toBe(user.id);
  });

  test('without a token: null', async () => {
    const res = await api().get('/api/v1/users/currentuser');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });
});

describe('POST /api/v1/users/refresh', () => {
  test('rotates: a new access token and a new refresh token, the old one spent', async () => {
    const user = await signUp(h.app);
    const res = await refreshWith(user.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email });
    const next = sessionFrom(res);
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect(jwt.decode(next.accessToken)).toMatchObject({ sub: user.id });
    expect((await familyOf(next.refreshToken)).id).toBe((await familyOf(user.refreshToken)).id);
    // and the new one works in turn
    expect((await refreshWith(next.refreshToken)).status).toBe(200);
  });

  test('reusing a spent token answers 401 and revokes the whole family, the newest token included', async () => {
    const user = await signUp(h.app);
    const second = sessionFrom(await refreshWith(user.refreshToken)).refreshToken;

    const reuse = await refreshWith(user.refreshToken);
    expect(reuse.status).toBe(401);
    expect(cookiesOf(reuse).refresh).toBe(''); // cleared
    expect(await familyOf(user.refreshToken)).toMatchObject({ revoked_reason: 'reuse', revoked_at: expect.any(Date) });

    const legit = await refreshWith(second);
    expect(legit.status).toBe(401);
  });

  test('two requests racing with one token: one rotates, the other is a reuse that revokes the family', async () => {
    const user = await signUp(h.app);
    const results = await Promise.all([refreshWith(user.refreshToken), refreshWith(user.refreshToken)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    expect((await familyOf(user.refreshToken)).revoked_reason).toBe('reuse');
  });

  test('another family of the same user is untouched by a reuse', async () => {
    const user = await signUp(h.app);
    const otherDevice = sessionFrom(await signin({ email: user.email, password: user.password }));
    await refreshWith(user.refreshToken);
    expect((await refreshWith(user.refreshToken)).status).toBe(401);
    expect((await refreshWith(otherDevice.refreshToken)).status).toBe(200);
  });

  test('an expired refresh token is 401', async () => {
    const user = await signUp(h.app);
    await h.pool.query('UPDATE refresh_tokens SET expires_at = ? WHERE token_hash = ?', [
      new Date(Date.now() - 1000),
      hashRefreshToken(user.refreshToken),
    ]);
    expect((await refreshWith(user.refreshToken)).status).toBe(401);
  });

  test('no cookie, a malformed cookie, an unknown token, or SQL in the cookie: 401', async () => {
    expect((await api().post('/api/v1/users/refresh')).status).toBe(401);
    expect((await api().post('/api/v1/users/refresh').set('Cookie', 'refresh=short')).status).toBe(401);
    expect((await refreshWith('A'.repeat(43))).status).toBe(401);
    expect((await api().post('/api/v1/users/refresh').set('Cookie', "refresh=' OR 1=1 --")).status).toBe(401);
  });
});

describe('POST /api/v1/users/signout', () => {
  test('204, clears both cookies and revokes the refresh family', async () => {
    const user = await signUp(h.app);
    const res = await api().post('/api/v1/users/signout').set('Cookie', user.cookies);
    expect(res.status).toBe(204);
    const cleared = cookiesOf(res);
    expect(cleared.refresh).toBe('');
    expect(setCookieLine(res, 'refresh')).toMatch(/path=\/api\/v1\/users/i);
    expect(setCookieLine(res, 'session')).toMatch(/expires=Thu, 01 Jan 1970/i);
    expect(await familyOf(user.refreshToken)).toMatchObject({ revoked_reason: 'signout' });
    expect((await refreshWith(user.refreshToken)).status).toBe(401);
  });

  test('without cookies it is still 204', async () => {
    expect((await api().post('/api/v1/users/signout')).status).toBe(204);
  });
});

describe('cross-site requests', () => {
  test('a body-less sign-out from another site is 403 and revokes nothing; from our own origin it works', async () => {
    const user = await signUp(h.app);
    const forged = await api()
      .post('/api/v1/users/signout')
      .set('Host', 'lumina.test')
      .set('Origin', 'https://evil.example')
      .set('Cookie', user.cookies);
    expect(forged.status).toBe(403);
    expect(forged.body).toEqual({ errors: [{ message: 'Cross-site request refused' }] });
    expect((await familyOf(user.refreshToken)).revoked_at).toBeNull();

    await api()
      .post('/api/v1/users/signout')
      .set('Host', 'lumina.test')
      .set('Origin', 'http://lumina.test')
      .set('Cookie', user.cookies)
      .expect(204);
    expect((await familyOf(user.refreshToken)).revoked_at).not.toBeNull();
  });

  test('a sign-in posted from another site by its Referer is 403 and checks no password', async () => {
    const user = await signUp(h.app);
    const before = h.hasher.calls;
    await api()
      .post('/api/v1/users/signin')
      .set('Host', 'lumina.test')
      .set('Referer', 'https://evil.example/login')
      .send({ email: user.email, password: user.password })
      .expect(403);
    expect(h.hasher.calls).toBe(before);
  });
});

describe('behind TLS (COOKIE_SECURE)', () => {
  test('both cookies are Secure and prefixed: __Host-session (Path=/) and __Secure-refresh (Path=/api/v1/users)', async () => {
    const secureApp = h.buildAnother({ cookieSecure: true });
    const tag = unique();
    const res = await request(secureApp)
      .post('/api/v1/users/signup')
      .set('X-Forwarded-Proto', 'https') // the ingress terminated TLS
      .send({ username: `s_${tag}`, email: `${tag}@example.com`, password: 'correct horse battery' });
    expect(res.status).toBe(201);
    expect(setCookieLine(res, '__Host-session')).toMatch(/; path=\/;.*; secure/i);
    expect(setCookieLine(res, '__Host-session')).not.toMatch(/domain=/i);
    expect(setCookieLine(res, '__Secure-refresh')).toMatch(/; path=\/api\/v1\/users;.*; secure/i);
    expect(setCookieLine(res, 'session')).toBeUndefined();
    expect(setCookieLine(res, 'refresh')).toBeUndefined();

    // And both are read back under those names: refresh rotates, currentuser knows the user.
    const c = cookiesOf(res);
    const refreshed = await request(secureApp)
      .post('/api/v1/users/refresh')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', `__Secure-refresh=${c['__Secure-refresh']}`)
      .expect(200);
    const me = await request(secureApp)
      .get('/api/v1/users/currentuser')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', `__Host-session=${cookiesOf(refreshed)['__Host-session']}`)
      .expect(200);
    expect(me.body.currentUser.username).toBe(`s_${tag}`);
  });
});

describe('the sweeper of expired records', () => {
  test('forgets refresh tokens expired for more than a day, and ended rate-limit windows', async () => {
    const user = await signUp(h.app);
    const longAgo = new Date(Date.now() - 3 * 24 * 3600_000);
    await h.pool.query('UPDATE refresh_tokens SET expires_at = ? WHERE token_hash = ?', [longAgo, hashRefreshToken(user.refreshToken)]);
    await h.pool.query('UPDATE refresh_families SET created_at = ? WHERE id = ?', [longAgo, (await familyOf(user.refreshToken)).id]);
    await h.pool.query("INSERT INTO rate_limits (key_hash, hits, reset_at) VALUES (REPEAT('a', 64), 1, 0)");
    await new ExpiredRecordsSweeper(
      { rateLimits: new MySqlRateLimitStore(h.pool), refreshTokens: new RefreshTokensStore(h.pool) },
      testLogger,
    ).sweep();
    expect(await count(h.pool, 'SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = ?', [hashRefreshToken(user.refreshToken)])).toBe(0);
    expect(await count(h.pool, "SELECT COUNT(*) FROM rate_limits WHERE key_hash = REPEAT('a', 64)")).toBe(0);
    expect((await refreshWith(user.refreshToken)).status).toBe(401);
  });
});

describe('argon2 hashes', () => {
  test('a hash made with older, weaker parameters is upgraded at the next sign-in', async () => {
    const user = await signUp(h.app);
    const weak = await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await h.pool.query('UPDATE users SET password_hash = ? WHERE id = ?', [weak, user.id]);
    expect((await signin({ email: user.email, password: user.password })).status).toBe(200);
    const [[row]] = (await h.pool.query('SELECT password_hash FROM users WHERE id = ?', [user.id])) as unknown as [
      [{ password_hash: string }],
    ];
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,p=1,t=1\$/);
    expect((await signin({ email: user.email, password: user.password })).status).toBe(200);
  });

  test('the session cookie holds nothing but the JWT', async () => {
    const user = await signUp(h.app);
    const value = user.cookies.split(';')[0]!.slice('session='.length);
    expect(Object.keys(JSON.parse(Buffer.from(value, 'base64').toString('utf8')))).toEqual(['jwt']);
    expect(jwtFromSessionCookie(value)).toBe(user.accessToken);
    expect(await count(h.pool, 'SELECT COUNT(*) FROM users WHERE id = ?', [user.id])).toBe(1);
  });
});
