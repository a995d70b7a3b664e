/**
 * Sign-in and sign-up limits per address and per account, counted in MySQL so that replicas
 * share them. Small limits here; production's come from the environment (see config.ts).
 */
import type { Express } from 'express';
import request from 'supertest';
import { MySqlRateLimitStore } from '../src/store/rate-limit-store';
import { setUpAuth, signUp, unique, type Harness } from './helpers';

let h: Harness;
let app: Express;
const limits = { windowMs: 60_000, signInPerAddress: 6, signInPerAccount: 3, signUpPerAddress: 3, signUpPerAccount: 2 };
beforeAll(async () => {
  h = await setUpAuth();
  app = h.buildAnother({ limits });
});
afterAll(() => h.close());

let addresses = 0;
/** A documentation-range address of the test's own, so tests do not share counters. */
const newAddress = () => `198.18.${Math.floor(++addresses / 250)}.${addresses % 250}`;
const signinFrom = (target: Express, address: string, email: string, password = 'wrong password') =>
  request(target).post('/api/users/signin').set('X-Forwarded-For', address).send({ email, password });
const signupFrom = (target: Express, address: string, body: object) =>
  request(target).post('/api/users/signup').set('X-Forwarded-For', address).send(body);
const newSignup = () => {
  const tag = unique();
  return { username: `r_${tag}`, email: `${tag}@example.com`, password: 'correct horse battery' };
};

describe('sign-in', () => {
  test('per account: after 3 tries on one email, the 4th is 429 with Retry-After, from any address, and is not hashed', async () => {
    const user = await signUp(h.app);
    for (let i = 0; i < 3; i += 1) expect((await signinFrom(app, newAddress(), user.email)).status).toBe(401);
    const before = h.hasher.calls;
    const blocked = await signinFrom(app, newAddress(), user.email.toUpperCase(), user.password);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ errors: [{ message: 'Too many requests, try again later' }] });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(h.hasher.calls).toBe(before);
    // other accounts are not affected
    const other = await signUp(h.app);
    expect((await signinFrom(app, newAddress(), other.email, other.password)).status).toBe(200);
  });

  test('per address: one address trying many emails is stopped after 6', async () => {
    const address = newAddress();
    for (let i = 0; i < 6; i += 1) expect((await signinFrom(app, address, `nobody${i}.${unique()}@example.com`)).status).toBe(401);
    expect((await signinFrom(app, address, `nobody.${unique()}@example.com`)).status).toBe(429);
    expect((await signinFrom(app, newAddress(), `nobody.${unique()}@example.com`)).status).toBe(401);
  });

  test('a correct password resets the account counter', async () => {
    const user = await signUp(h.app);
    await signinFrom(app, newAddress(), user.email);
    await signinFrom(app, newAddress(), user.email);
    expect((await signinFrom(app, newAddress(), user.email, user.password)).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await signinFrom(app, newAddress(), user.email)).status).toBe(401);
    expect((await signinFrom(app, newAddress(), user.email)).status).toBe(429);
  });

  test('two replicas share the counts (the store is MySQL)', async () => {
    const replica = h.buildAnother({ limits });
    const user = await signUp(h.app);
    expect((await signinFrom(app, newAddress(), user.email)).status).toBe(401);
    expect((await signinFrom(replica, newAddress(), user.email)).status).toBe(401);
    expect((await signinFrom(app, newAddress(), user.email)).status).toBe(401);
    expect((await signinFrom(replica, newAddress(), user.email)).status).toBe(429);
  });

  test('a burst of parallel attempts cannot slip past the limit', async () => {
    const user = await signUp(h.app);
    const results = await Promise.all(Array.from({ length: 10 }, () => signinFrom(app, newAddress(), user.email)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(7);
  });
});

describe('sign-up', () => {
  test('per address: the 4th sign-up from one address is 429 and creates nothing', async () => {
    const address = newAddress();
    for (let i = 0; i < 3; i += 1) expect((await signupFrom(app, address, newSignup())).status).toBe(201);
    const before = await h.snapshot();
    expect((await signupFrom(app, address, newSignup())).status).toBe(429);
    expect(await h.snapshot()).toEqual(before);
  });

  test('per account: the same email tried again and again is stopped after 2', async () => {
    const body = newSignup();
    expect((await signupFrom(app, newAddress(), body)).status).toBe(201);
    expect((await signupFrom(app, newAddress(), { ...body, username: `x${body.username}` })).status).toBe(409);
    expect((await signupFrom(app, newAddress(), { ...body, username: `y${body.username}` })).status).toBe(429);
  });
});

describe('the MySQL store', () => {
  test('a window ends: counting starts again, and ended windows are purged', async () => {
    let now = 1_000_000;
    const store = new MySqlRateLimitStore(h.pool, () => now);
    expect(await store.hit('window-test', 1000)).toEqual({ count: 1, resetAt: 1_001_000 });
    now += 500;
    expect(await store.hit('window-test', 1000)).toEqual({ count: 2, resetAt: 1_001_000 });
    now += 600;
    expect(await store.hit('window-test', 1000)).toEqual({ count: 1, resetAt: 1_002_100 });
    now += 5000;
    expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await store.hit('window-test', 1000)).toEqual({ count: 1, resetAt: now + 1000 });
    await store.reset('window-test');
    expect((await store.hit('window-test', 1000)).count).toBe(1);
  });

  test('keys are stored hashed, never as the address or email', async () => {
    const user = await signUp(h.app);
    await signinFrom(app, '198.19.0.77', user.email);
    const [rows] = (await h.pool.query('SELECT key_hash FROM rate_limits')) as unknown as [Array<{ key_hash: string }>];
    for (const row of rows) expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
