import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createGateway } from '../gateway';
import { loadRoutes, routeFor } from '../routes';

const routes = loadRoutes();

test('the route table and DESIGN.md route the same prefixes to the same services', () => {
  const design = readFileSync(join(__dirname, '..', '..', '..', '..', 'shared', 'DESIGN.md'), 'utf8');
  const section = design.slice(design.indexOf('| path prefix | goes to |'), design.indexOf('One route table feeds'));
  const designed = [...section.matchAll(/\|\s*`([^`]+)`\s*\|\s*(\w+)\s*\|/g)].map((m) => ({ prefix: m[1], service: m[2] }));
  expect(designed.length).toBeGreaterThan(0);
  expect(routes.map((r) => ({ prefix: r.prefix, service: r.service }))).toEqual(designed);
});

test('prefixes match on path-segment boundaries, longest first, as an Ingress Prefix path does', () => {
  expect(routeFor(routes, '/api/users')?.service).toBe('auth');
  expect(routeFor(routes, '/api/users/signin')?.service).toBe('auth');
  expect(routeFor(routes, '/api/usersx')?.service).toBe('client');
  expect(routeFor(routes, '/api/media/abc/thumb')?.service).toBe('media');
  expect(routeFor(routes, '/profile/ann')?.service).toBe('client');
});

describe('the gateway', () => {
  let upstream: Server;
  let seen: Array<{ url: string; forwardedFor?: string; body: string }> = [];
  let clientDir: string;

  beforeAll(async () => {
    // A real HTTP server stands in for each service: it echoes what reached it.
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', forwardedFor: req.headers['x-forwarded-for'] as string | undefined, body });
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': 'yes' }).end(JSON.stringify({ path: req.url }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    clientDir = mkdtempSync(join(tmpdir(), 'client-'));
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>Lumina</title>');
  });
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())));
  beforeEach(() => (seen = []));

  const gateway = (maxBodyBytes?: number) => {
    const address = upstream.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return createGateway({
      routes,
      targets: { auth: base, posts: base, media: base, search: base, timeline: base },
      clientDir,
      maxBodyBytes,
    });
  };

  test('forwards the path unchanged, with the query and body, and X-Forwarded-For', async () => {
    const res = await request(gateway()).post('/api/posts/123/comments?x=1').send({ body: 'hi' });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(seen[0]).toMatchObject({ url: '/api/posts/123/comments?x=1', body: '{"body":"hi"}' });
    expect(seen[0]!.forwardedFor).toBeTruthy();
  });

  test('serves the client for every other GET, with index.html for client routes', async () => {
    const res = await request(gateway()).get('/profile/ann');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>Lumina</title>');
    expect(seen).toHaveLength(0);
  });

  test('refuses a body over the ingress limit with 413 before any service sees it', async () => {
    const res = await request(gateway(1024)).post('/api/media').set('Content-Type', 'application/octet-stream').send(Buffer.alloc(4096));
    expect(res.status).toBe(413);
    expect(seen).toHaveLength(0);
  });

  test('answers 502 in the error shape when a service is down', async () => {
    const app = createGateway({ routes, targets: { auth: 'http://127.0.0.1:9' }, clientDir });
    const res = await request(app).get('/api/users/currentuser');
    expect(res.status).toBe(502);
    expect(res.body.errors[0].message).toMatch(/not reachable/);
  });
});
