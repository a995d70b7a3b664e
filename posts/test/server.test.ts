/** The started service as Kubernetes and the launcher see it: health, readiness, metrics, config errors. */
import { ConfigError } from '@lumina/common';
import { loadConfig } from '../src/config';
import { apiDocsProblems } from '@lumina/common/testing';
import { Harness } from './harness';

const h = new Harness();

beforeAll(() => h.start());
afterAll(() => h.stop());

test('/healthz, /readyz (MongoDB, NATS and Redis) and /metrics answer', async () => {
  expect((await h.http.get('/healthz')).body).toEqual({ status: 'ok' });
  const ready = await h.http.get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', checks: { mongodb: 'ok', nats: 'ok', redis: 'ok' } });
  const metrics = await h.http.get('/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.text).toContain('http_request_duration');
});

test('an unknown route is a JSON 404', async () => {
  const res = await h.http.get('/api/v1/posts/abc/nothing-here');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ errors: [{ message: 'Route not found' }] });
});

test('a malformed JSON body is a 400, never a 500', async () => {
  const res = await h.http.post('/api/v1/posts').set('Content-Type', 'application/json').send('{"caption":');
  expect(res.status).toBe(400);
});

test('the indexes the lists rely on exist', async () => {
  const keys = async (name: 'Post' | 'Like' | 'Comment') =>
    (await h.svc.models[name].collection.indexes()).map((i) => ({ key: i.key, unique: i.unique ?? false }));
  expect(await keys('Post')).toContainEqual({ key: { authorId: 1, createdAt: -1, _id: -1 }, unique: false });
  expect(await keys('Like')).toContainEqual({ key: { postId: 1, userId: 1 }, unique: true });
  expect(await keys('Comment')).toContainEqual({ key: { postId: 1, createdAt: 1, _id: 1 }, unique: false });
  // The outbox relay polls by this flag (declared sparse; FerretDB 1.24 builds it without that).
  expect(await keys('Post')).toContainEqual({ key: { _outboxPending: 1 }, unique: false });
});

test('a missing REDIS_URL stops start-up with a message naming it; the key prefix defaults to posts:', () => {
  const env = { JWT_PUBLIC_KEYS: '{}', MONGO_URL: 'mongodb://127.0.0.1:27017/posts' };
  expect(() => loadConfig(env)).toThrow(/REDIS_URL/);
  expect(loadConfig({ ...env, REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_KEY_PREFIX).toBe('posts:');
});

test('a missing MONGO_URL stops start-up with a message naming it', () => {
  expect(() => loadConfig({ JWT_PUBLIC_KEYS: '{}' })).toThrow(ConfigError);
  expect(() => loadConfig({ JWT_PUBLIC_KEYS: '{}' })).toThrow(/MONGO_URL/);
});

test('serves its OpenAPI 3.1 document (valid, every mounted route in it) and Swagger UI, on its port and under /api/v1/posts', async () => {
  expect(await apiDocsProblems(h.svc.running.server, '/api/v1/posts')).toEqual([]);
});
