/**
 * /api/v1 and its deprecated unversioned alias on common's app: every route answers under both
 * the same, an alias's answer carries `Deprecation: @<unix seconds>` (RFC 9745) and a
 * `successor-version` Link to the same path and query under /api/v1, a v1 answer neither; the
 * contract check and the metrics name the v1 route for both; the documentation lists v1 only.
 */
import { createServer, type Server } from 'node:http';
import { defineRoutes, json, LEGACY_DEPRECATED_AT, servicePrefix, type ServiceContract } from '@lumina/contract';
import { Router } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createHttpApp, takeContractViolations } from '../src';
import { apiDocsProblems, testKeys, testLogger } from '../src/testing';

const PREFIX = servicePrefix('things');
const routes = defineRoutes({
  one: {
    method: 'get',
    path: `${PREFIX}/:id`,
    summary: 'A thing',
    request: { params: z.object({ id: z.string() }), query: z.object({ q: z.string().optional() }) },
    responses: { 200: json('A thing', z.strictObject({ id: z.string(), q: z.string().nullable() })) },
  },
  leaky: {
    method: 'get',
    path: `${PREFIX}/leaky/too`,
    summary: 'Answers an extra field',
    responses: { 200: json('A thing', z.strictObject({ n: z.number() })) },
  },
  create: {
    method: 'post',
    path: PREFIX,
    summary: 'Makes a thing',
    responses: { 201: json('A thing', z.strictObject({ made: z.boolean() })) },
  },
});
const contract: ServiceContract = { service: 'things', title: 'Things', description: 'A test service', prefix: PREFIX, routes };

function buildApp() {
  const router = Router();
  router.get('/leaky/too', (_req, res) => {
    res.json({ n: 1, _id: 'secret' });
  });
  router.get('/:id', (req, res) => {
    res.json({ id: req.params.id, q: typeof req.query.q === 'string' ? req.query.q : null });
  });
  router.post('/', (_req, res) => {
    res.status(201).json({ made: true });
  });
  return createHttpApp({
    service: 'things',
    log: testLogger,
    publicKeys: testKeys().publicKeys,
    routes: [{ prefix: PREFIX, router }],
    readiness: {},
    contract,
    checkResponses: true,
  });
}

afterEach(() => {
  takeContractViolations();
});

test('the v1 path is canonical: it answers without Deprecation or Link', async () => {
  expect(PREFIX).toBe('/api/v1/things');
  const res = await request(buildApp()).get('/api/v1/things/a1?q=x');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ id: 'a1', q: 'x' });
  expect(res.headers.deprecation).toBeUndefined();
  expect(res.headers.link).toBeUndefined();
});

test('the unversioned alias answers the same, with Deprecation and the successor-version Link (query kept)', async () => {
  const app = buildApp();
  for (const [method, path, status] of [
    ['get', '/things/a1?q=x&limit=2', 200],
    ['post', '/things', 201],
  ] as const) {
    const v1 = await request(app)[method](`/api/v1${path}`);
    const alias = await request(app)[method](`/api${path}`);
    expect({ status: alias.status, body: alias.body }).toEqual({ status: v1.status, body: v1.body });
    expect(alias.status).toBe(status);
    expect(alias.headers.deprecation).toBe(`@${LEGACY_DEPRECATED_AT}`);
    expect(alias.headers.link).toBe(`</api/v1${path}>; rel="successor-version"`);
    expect(v1.headers.deprecation).toBeUndefined();
  }
  // An RFC 9745 date: `@` and whole seconds since the epoch, in the past.
  expect(`@${LEGACY_DEPRECATED_AT}`).toMatch(/^@\d+$/);
  expect(LEGACY_DEPRECATED_AT * 1000).toBeLessThanOrEqual(Date.now());
  expect(takeContractViolations()).toEqual([]);
});

test('an error under the alias is the same error, also marked', async () => {
  const app = buildApp();
  const v1 = await request(app).get('/api/v1/things/a/b/c');
  const alias = await request(app).get('/api/things/a/b/c');
  expect(v1.status).toBe(404);
  expect({ status: alias.status, body: alias.body }).toEqual({ status: 404, body: v1.body });
  expect(alias.headers.deprecation).toBe(`@${LEGACY_DEPRECATED_AT}`);
});

test('the contract check holds an alias to its v1 route, and names that route', async () => {
  const res = await request(buildApp()).get('/api/things/leaky/too');
  expect(res.status).toBe(500);
  expect(takeContractViolations()).toEqual([expect.stringContaining('GET /api/v1/things/leaky/too → 200')]);
});

test('an alias request is counted as its v1 route in the metrics', async () => {
  const app = buildApp();
  await request(app).get('/api/things/counted?q=1').expect(200);
  const text = (await request(app).get('/metrics')).text;
  expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/things\/:id"/);
  expect(text).not.toMatch(/route="\/api\/things\//);
});

test('the documentation lists the v1 paths only, served under /api/v1 and (deprecated) under the alias', async () => {
  const server: Server = createServer(buildApp());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    expect(await apiDocsProblems(server, '/api/v1/things')).toEqual([]);
    expect(await apiDocsProblems(server, '/api/things')).toEqual([]);
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const document = (await (await fetch(`${base}/api/v1/things/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).sort()).toEqual(['/api/v1/things', '/api/v1/things/leaky/too', '/api/v1/things/{id}']);
    const alias = await fetch(`${base}/api/things/openapi.json`);
    expect(alias.headers.get('deprecation')).toBe(`@${LEGACY_DEPRECATED_AT}`);
    expect(alias.headers.get('link')).toBe('</api/v1/things/openapi.json>; rel="successor-version"');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
