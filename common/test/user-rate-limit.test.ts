/**
 * The per-user write limiter on its MongoDB store (FerretDB here) and its Redis store: exact
 * under a burst, windows that end, one user's hits never another's, and 429 with Retry-After
 * through the middleware.
 */
import express from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import {
  connectRedis,
  createHttpApp,
  MongoRateLimitStore,
  perUserRateLimit,
  RedisRateLimitStore,
  requireAuth,
  type RateLimitWindowDoc,
  type RedisClient,
} from '../src';
import { TestContext, testKeys, testLogger, tokenFor } from '../src/testing';

const ctx = new TestContext();
let mongo: mongoose.Connection;
let redis: RedisClient;
const windows = () => mongo.db!.collection<RateLimitWindowDoc>('rate_limits');

beforeAll(async () => {
  mongo = await mongoose.createConnection(ctx.mongoDatabase('ratelimit')).asPromise();
  redis = await connectRedis(ctx.redisUrl, { keyPrefix: ctx.redisPrefix('ratelimit') });
});
afterAll(async () => {
  await mongo.close();
  redis.destroy();
  await ctx.cleanup();
});

describe('on Redis', () => {
  test('50 hits at once on one key count 1..50 exactly, from two connections (two replicas)', async () => {
    const other = await connectRedis(ctx.redisUrl, { keyPrefix: ctx.redisPrefix('ratelimit') });
    try {
      const stores = [new RedisRateLimitStore(redis), new RedisRateLimitStore(other)];
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.hit('burst', 60_000)));
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    } finally {
      other.destroy();
    }
  });

  test('a window ends on its boundary (its key expires with it) and counting starts again; reset forgets a key', async () => {
    let now = Date.now();
    now -= now % 60_000;
    now += 10_000;
    const store = new RedisRateLimitStore(redis, () => now);
    expect(await store.hit('clocked', 60_000)).toEqual({ count: 1, resetAt: now + 50_000 });
    expect(await store.hit('clocked', 60_000)).toEqual({ count: 2, resetAt: now + 50_000 });
    const ttl = await redis.pTTL(`rate-limit:{clocked}@${now - 10_000}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000); // it ends with the window (the real clock is somewhere in it)
    now += 50_000;
    expect(await store.hit('clocked', 60_000)).toEqual({ count: 1, resetAt: now + 60_000 });
    await store.hit('clocked', 60_000);
    await store.reset('clocked');
    expect((await store.hit('clocked', 60_000)).count).toBe(1);
    expect((await store.hit('other-key', 60_000)).count).toBe(1);
  });
});

test('50 hits at once on one key count 1..50 exactly (no $inc lost on FerretDB)', async () => {
  const store = new MongoRateLimitStore(windows());
  const results = await Promise.all(Array.from({ length: 50 }, () => store.hit('burst', 60_000)));
  expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
});

test('a window ends on its boundary and counting starts again; ended windows are purged; reset forgets a key', async () => {
  let now = 1_000_000_000_000 + 10_000;
  const store = new MongoRateLimitStore(windows(), () => now);
  expect(await store.hit('clocked', 60_000)).toEqual({ count: 1, resetAt: 1_000_000_020_000 });
  now += 5_000;
  expect(await store.hit('clocked', 60_000)).toEqual({ count: 2, resetAt: 1_000_000_020_000 });
  now = 1_000_000_020_000;
  expect(await store.hit('clocked', 60_000)).toEqual({ count: 1, resetAt: 1_000_000_080_000 });
  now += 120_000;
  expect(await store.purgeExpired()).toBeGreaterThanOrEqual(2);
  await store.hit('clocked', 60_000);
  await store.reset('clocked');
  expect((await store.hit('clocked', 60_000)).count).toBe(1);
});

test('perUserRateLimit: the user over the limit gets 429 with Retry-After; another user does not', async () => {
  const store = new MongoRateLimitStore(windows());
  const router = express.Router();
  router.post('/like', requireAuth, perUserRateLimit(store, { name: 'likes', max: 3, windowMs: 60_000 }), (_req, res) => {
    res.status(204).end();
  });
  const app = createHttpApp({
    service: 'test',
    log: testLogger,
    publicKeys: testKeys().publicKeys,
    routes: [{ prefix: '/api', router }],
    readiness: {},
  });
  const as = (id: string) => ({ Authorization: `Bearer ${tokenFor({ id, username: id })}` });

  for (let i = 0; i < 3; i += 1) await request(app).post('/api/like').set(as('greedy')).expect(204);
  const refused = await request(app).post('/api/like').set(as('greedy')).expect(429);
  expect(refused.body).toEqual({ errors: [{ message: 'Too many requests, try again later' }] });
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  await request(app).post('/api/like').set(as('modest')).expect(204);
  await request(app).post('/api/like').expect(401);
});
