/**
 * The contract check (response-check.ts) and the API documentation (api-docs.ts) on a small app:
 * an answer its route's schema does not allow is a 500 naming the route and the zod issue, and
 * is recorded for the test kit; the docs are served at the root and under the prefix.
 */
import { createServer, type Server } from 'node:http';
import { defineRoutes, json, noContent, type ServiceContract } from '@lumina/contract';
import { Router } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createHttpApp, takeContractViolations } from '../src';
import { apiDocsProblems, testKeys, testLogger } from '../src/testing';

const routes = defineRoutes({
  good: {
    method: 'get',
    path: '/api/things/good',
    summary: 'Answers its shape',
    responses: { 200: json('A thing', z.strictObject({ n: z.number() })) },
  },
  leaky: {
    method: 'get',
    path: '/api/things/leaky',
    summary: 'Answers an extra field',
    responses: { 200: json('A thing', z.strictObject({ n: z.number() })) },
  },
  created: {
    method: 'post',
    path: '/api/things',
    summary: 'Answers a status it does not declare',
    responses: { 201: json('A thing', z.strictObject({ n: z.number() })) },
  },
  gone: { method: 'delete', path: '/api/things/:id', summary: 'No body', responses: { 204: noContent('Gone') } },
});
const contract: ServiceContract = { service: 'things', title: 'Things', description: 'A test service', prefix: '/api/things', routes };

function buildApp(extra?: (router: Router) => void) {
  const router = Router();
  router.get('/good', (_req, res) => {
    res.json({ n: 1 });
  });
  router.get('/leaky', (_req, res) => {
    res.json({ n: 1, _id: 'secret' });
  });
  router.post('/', (_req, res) => {
    res.status(200).json({ n: 1 });
  });
  router.delete('/:id', (_req, res) => {
    res.status(204).end();
  });
  extra?.(router);
  return createHttpApp({
    service: 'things',
    log: testLogger,
    publicKeys: testKeys().publicKeys,
    routes: [{ prefix: '/api/things', router }],
    readiness: {},
    contract,
    checkResponses: true,
  });
}

afterEach(() => {
  takeContractViolations();
});

test('an answer its schema allows passes unchanged; so do errors in the error shape and bodiless answers', async () => {
  const app = buildApp();
  expect((await request(app).get('/api/things/good')).body).toEqual({ n: 1 });
  expect((await request(app).delete('/api/things/x')).status).toBe(204);
  expect((await request(app).get('/api/things/nothing/here')).status).toBe(404);
  expect(takeContractViolations()).toEqual([]);
});

test('a field the schema does not name is a 500 naming the route and the issue, and is recorded', async () => {
  const res = await request(buildApp()).get('/api/things/leaky');
  expect(res.status).toBe(500);
  expect(res.body.errors[0].message).toContain('GET /api/things/leaky → 200');
  expect(res.body.errors[0].message).toContain('_id');
  expect(takeContractViolations()).toEqual([expect.stringContaining('GET /api/things/leaky → 200')]);
});

test('a status the route does not declare is a violation', async () => {
  const res = await request(buildApp()).post('/api/things');
  expect(res.status).toBe(500);
  expect(takeContractViolations()).toEqual([expect.stringContaining('the contract declares only 201')]);
});

test('building an app that mounts a route its contract does not declare fails at once', () => {
  expect(() => buildApp((router) => router.get('/secret', (_req, res) => res.json({})))).toThrow('GET /api/things/secret');
});

test('the document and Swagger UI are served on the port and under the prefix, the document valid OpenAPI 3.1', async () => {
  const server: Server = createServer(buildApp());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    expect(await apiDocsProblems(server, '/api/things')).toEqual([]);
    const page = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/docs/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
