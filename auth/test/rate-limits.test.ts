/**
 * Sign-in slow-down per (account, address) and per address, sign-up limits per address and per
 * account, counted in MySQL so that replicas share them. Small limits here; production's come from the environment (see config.ts).
 */
import type { Express } from 'express';
import request from 'supertest';
import { MySqlRateLimitStore } from '../src/store/rate-limit-store';
import { setUpAuth, signUp, sleep, unique, type Harness } from './helpers';

let h: Harness;
let app: Express;
const limits = {
  windowMs: 60_000,
  signUpPerAddress: 3,
  signUpPerAccount: 2,
  followsPerMinute: 4,
  profileEditsPerMinute: 2,
  signIn: { failuresBeforeDelayPerPair: 3, failuresBeforeDelayPerAddress: 6, baseDelayMs: 1500, maxDelayMs: 60_000, memoryMs: 3600_000 },
};
beforeAll(async () => {
  h = await setUpAuth();
  app = h.buildAnother({ limits });
});
afterAll(() => h.close());

let addresses = 0;
/** A documentation-range address of the test's own, so tests do not share counters. */
const newAddress = () => `198.18.${Math.floor(++addresses / 250)}.${addresses % 250}`;
const signinFrom = (target: Express, address: string, email: string, password = 'wrong password') =>
  request(target).post('/api/v1/users/signin').set('X-Forwarded-For', address).send({ email, password });
const signupFrom = (target: Express, address: string, body: object) =>
  request(target).post('/api/v1/users/signup').set('X-Forwarded-For', address).send(body);
const newSignup = () => {
  const tag = unique();
  return { username: `r_${tag}`, email: `${tag}@example.com`, password: 'correct horse battery' };
};

describe('sign-in', () => {
  test('50 failures from an attacker’s address: the owner signs in at once from another; the attacker is slowed', async () => {
    // A first delay of a minute, so that the attacker is still waiting at the end of the test.
    const app = h.buildAnother({ limits: { ...limits, signIn: { ...limits.signIn, baseDelayMs: 60_000 } } });
    const owner = await signUp(h.app);
    const attacker = newAddress();
    const answers: number[] = [];
    for (let i = 0; i < 50; i += 1) answers.push((await signinFrom(app, attacker, owner.email)).status);
    // Three free failures, then a doubling delay: every further try within it is refused unchecked.
    expect(answers.slice(0, 3)).toEqual([401, 401, 401]);
    expect(answers.slice(3).every((s) => s === 429)).toBe(true);

    const fromHome = await signinFrom(app, newAddress(), owner.email, owner.password);
    expect(fromHome.status).toBe(200);
    expect(fromHome.body.user.id).toBe(owner.id);

    const before = h.hasher.calls;
    const slowed = await signinFrom(app, attacker, owner.email, owner.password);
    expect(slowed.status).toBe(429);
    expect(slowed.body).toEqual({ errors: [{ message: 'Too many requests, try again later' }] });
    expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(0);
    expect(h.hasher.calls).toBe(before); // a slowed guess costs no argon2
  });

  test('slowed, not locked: once the delay has passed, the right password from the same address gets in', async () => {
    const owner = await signUp(h.app);
    const shared = newAddress();
    for (let i = 0; i < 3; i += 1) expect((await signinFrom(app, shared, owner.email)).status).toBe(401);
    const refused = await signinFrom(app, shared, owner.email, owner.password);
    expect(refused.status).toBe(429);
    const waitMs = Number(refused.headers['retry-after']) * 1000;
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(limits.signIn.baseDelayMs + 1000);
    await sleep(waitMs);
    expect((await signinFrom(app, shared, owner.email, owner.password)).status).toBe(200);
    // And the right password ended that pair's count: three free failures again.
    for (let i = 0; i < 3; i += 1) expect((await signinFrom(app, shared, owner.email)).status).toBe(401);
  });

  test('the delay doubles with each further failure', async () => {
    const owner = await signUp(h.app);
    const address = newAddress();
    for (let i = 0; i < 3; i += 1) await signinFrom(app, address, owner.email);
    const first = Number((await signinFrom(app, address, owner.email)).headers['retry-after']);
    await sleep(first * 1000);
    expect((await signinFrom(app, address, owner.email)).status).toBe(401); // the 4th failure
    const second = Number((await signinFrom(app, address, owner.email)).headers['retry-after']);
    expect(second).toBeGreaterThan(first);
  });

  test('per address: one address trying many accounts is slowed after 6 failures, another address is not', async () => {
    const address = newAddress();
    for (let i = 0; i < 6; i += 1) expect((await signinFrom(app, address, `nobody${i}.${unique()}@example.com`)).status).toBe(401);
    expect((await signinFrom(app, address, `nobody.${unique()}@example.com`)).status).toBe(429);
    expect((await signinFrom(app, newAddress(), `nobody.${unique()}@example.com`)).status).toBe(401);
  });

  test('successful sign-ins do not use up the address’s allowance', async () => {
    const owner = await signUp(h.app);
    const office = newAddress();
    for (let i = 0; i < 10; i += 1) expect((await signinFrom(app, office, owner.email, owner.password)).status).toBe(200);
  });

  test('many right passwords at once from one address (a second seeding run) all get in', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp(h.app)));
    const address = newAddress();
    // The generous limits: no delay is ever due, so any 429 would be a bug (a stale clock under the row lock).
    const results = await Promise.all(users.map((u) => signinFrom(h.app, address, u.email, u.password)));
    expect(results.map((r) => r.status)).toEqual(users.map(() => 200));
  });

  test('two replicas share the counts (the store is MySQL)', async () => {
    const replica = h.buildAnother({ limits });
    const user = await signUp(h.app);
    const address = newAddress();
    expect((await signinFrom(app, address, user.email)).status).toBe(401);
    expect((await signinFrom(replica, address, user.email)).status).toBe(401);
    expect((await signinFrom(app, address, user.email)).status).toBe(401);
    expect((await signinFrom(replica, address, user.email)).status).toBe(429);
  });

  test('a burst of parallel attempts cannot slip past the free failures', async () => {
    const user = await signUp(h.app);
    const address = newAddress();
    const results = await Promise.all(Array.from({ length: 10 }, () => signinFrom(app, address, user.email)));
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

describe('writes per signed-in user', () => {
  const follow = (target: Express, who: { cookies: string }, id: string, method: 'put' | 'delete' = 'put') =>
    request(target)[method](`/api/v1/users/${id}/follow`).set('Cookie', who.cookies);

  test('follow and unfollow share a limit of 4 a minute: the 5th is 429 with Retry-After and writes nothing', async () => {
    const [fan, a, b] = [await signUp(h.app), await signUp(h.app), await signUp(h.app)];
    await follow(app, fan, a.id).expect(204);
    await follow(app, fan, a.id, 'delete').expect(204);
    await follow(app, fan, a.id).expect(204);
    await follow(app, fan, b.id).expect(204);
    const before = await h.snapshot();
    const refused = await follow(app, fan, a.id, 'delete');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ errors: [{ message: 'Too many requests, try again later' }] });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await h.snapshot()).toEqual(before);
    // Someone else is not slowed by it.
    const other = await signUp(h.app);
    await follow(app, other, a.id).expect(204);
  });

  test('PATCH /me: the 3rd edit in a minute is 429 and changes nothing', async () => {
    const user = await signUp(h.app);
    const patch = (bio: string) => request(app).patch('/api/v1/users/me').set('Cookie', user.cookies).send({ bio });
    expect((await patch('one')).status).toBe(200);
    expect((await patch('two')).status).toBe(200);
    expect((await patch('three')).status).toBe(429);
    expect((await request(app).get(`/api/v1/users/${user.username}`)).body.user.bio).toBe('two');
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
