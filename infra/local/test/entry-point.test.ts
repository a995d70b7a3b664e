/**
 * The one-machine entry point, NGINX (Debian's, run here as an unprivileged child process) and
 * the Node gateway alike: every behaviour below runs against both, with the route table's
 * limits. A real HTTP server stands in for the services and echoes what reached it.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startEntryPoint, type EntryPoint, type EntryPointKind } from '../entry-point';
import { nginxConfig } from '../nginx';
import { ingressAnnotations, loadRouteTable, oneMachineLimits, routeFor, type EntryPointLimits } from '../routes';

const table = loadRouteTable();
const { routes } = table;
const REPO = join(__dirname, '..', '..', '..');

test('the route table and DESIGN.md route the same prefixes to the same services', () => {
  // shared/ sits beside the repository (or beside the worktrees folder of a worktree).
  const file = [join(REPO, '..', 'shared', 'DESIGN.md'), join(REPO, '..', '..', 'shared', 'DESIGN.md')].find((f) => existsSync(f));
  if (!file) throw new Error('DESIGN.md not found beside the repository');
  const design = readFileSync(file, 'utf8');
  const section = design.slice(design.indexOf('| path prefix | goes to |'), design.indexOf('One route table feeds'));
  const designed = [...section.matchAll(/\|\s*`([^`]+)`\s*\|\s*(\w+)\s*\|/g)].map((m) => ({ prefix: m[1], service: m[2] }));
  expect(designed.length).toBeGreaterThan(0);
  // DESIGN.md's prefixes are unversioned: each API one is in the table as the deprecated alias of
  // its /api/v1 prefix (to the same service), and the table routes nothing else.
  const aliases = routes.filter((r) => r.aliasOf || r.prefix === '/').map((r) => ({ prefix: r.prefix, service: r.service }));
  expect(aliases).toEqual(designed);
  const versioned = routes.filter((r) => !r.aliasOf && r.prefix !== '/');
  expect(versioned.map((r) => ({ prefix: r.prefix.replace('/api/v1/', '/api/'), service: r.service }))).toEqual(
    designed.filter((d) => d.prefix !== '/'),
  );
  for (const r of routes.filter((r) => r.aliasOf)) expect(r.aliasOf).toBe(r.prefix.replace('/api/', '/api/v1/'));
});

test('prefixes match on path-segment boundaries, longest first, as an Ingress Prefix path does', () => {
  expect(routeFor(routes, '/api/v1/users')?.service).toBe('auth');
  expect(routeFor(routes, '/api/v1/users/signin')?.service).toBe('auth');
  expect(routeFor(routes, '/api/usersx')?.service).toBe('client');
  expect(routeFor(routes, '/api/v1/media/abc/thumb')?.service).toBe('media');
  expect(routeFor(routes, '/api/users/signin')?.service).toBe('auth'); // the deprecated alias
  expect(routeFor(routes, '/api/v1/usersx')?.service).toBe('client');
  expect(routeFor(routes, '/api/v1')?.service).toBe('client');
  expect(routeFor(routes, '/profile/ann')?.service).toBe('client');
});

describe('one table for the Ingress and the local NGINX', () => {
  const ingress = parse(readFileSync(join(REPO, 'infra', 'k8s', 'base', 'ingress.yaml'), 'utf8')) as {
    metadata: { annotations: Record<string, string> };
  };
  const annotations = ingress.metadata.annotations;

  test("the Ingress's annotations are exactly those the table's limits give", () => {
    expect(annotations).toEqual(ingressAnnotations(table.limits));
  });

  test('the generated nginx.conf enforces the values the Ingress annotates', () => {
    const conf = nginxConfig({
      routes,
      limits: table.limits,
      targets: {
        auth: 'http://127.0.0.1:1',
        posts: 'http://127.0.0.1:2',
        media: 'http://127.0.0.1:3',
        search: 'http://127.0.0.1:4',
        timeline: 'http://127.0.0.1:5',
      },
      clientDir: '/client',
      port: 8080,
      prefix: '/prefix',
    });
    const directive = (name: string) => [...conf.matchAll(new RegExp(`^\\s*${name} ([^;]+);`, 'gm'))].map((m) => m[1]);
    expect(directive('client_max_body_size')).toEqual([annotations['nginx.ingress.kubernetes.io/proxy-body-size']]);
    expect(directive('client_max_body_size')).toEqual([annotations['nginx.org/client-max-body-size']]);
    expect(directive('limit_req_zone')).toEqual([
      `$binary_remote_addr zone=per_address:10m rate=${annotations['nginx.org/limit-req-rate']}`,
    ]);
    expect(directive('limit_req')).toEqual([`zone=per_address burst=${annotations['nginx.org/limit-req-burst']} nodelay`]);
    const rps = Number(annotations['nginx.ingress.kubernetes.io/limit-rps']);
    const multiplier = Number(annotations['nginx.ingress.kubernetes.io/limit-burst-multiplier']);
    expect(directive('limit_req')).toEqual([`zone=per_address burst=${rps * multiplier} nodelay`]);
    expect(directive('limit_req_status')).toEqual([annotations['nginx.org/limit-req-reject-code']]);
    expect(directive('proxy_buffering')).toEqual([annotations['nginx.ingress.kubernetes.io/proxy-buffering']]);
    expect(directive('proxy_read_timeout')).toEqual([annotations['nginx.org/proxy-read-timeout']]);
    expect(directive('proxy_read_timeout')).toEqual([`${annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']}s`]);
    // Loopback only, and every service reached through an upstream of ours.
    expect(directive('listen')).toEqual(['127.0.0.1:8080']);
    expect(directive('proxy_pass').every((p) => /^http:\/\/(auth|posts|media|search|timeline)$/.test(p!))).toBe(true);
  });

  test('the one-machine mode changes only the rate per address', () => {
    const { ratePerAddress, oneMachine, ...rest } = oneMachineLimits(table.limits);
    const { ratePerAddress: _ingressRate, oneMachine: _same, ...ingressRest } = table.limits;
    expect(rest).toEqual(ingressRest);
    expect(ratePerAddress).toEqual(oneMachine.ratePerAddress);
  });
});

interface ErrorBody {
  errors: Array<{ message: string }>;
}

interface Seen {
  url: string;
  forwardedFor?: string;
  body: string;
}

/** A real HTTP server that records what reached it; `/api/v1/timeline/stream` stays open as SSE does. */
async function echoServer(seen: Seen[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', forwardedFor: req.headers['x-forwarded-for'] as string | undefined, body });
      if (req.url === '/api/v1/timeline/stream') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.write('event: hello\ndata: first\n\n');
        return; // and nothing more: a buffering proxy would hold this back
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': 'yes' }).end(JSON.stringify({ path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/** Sends a request exactly as written over a raw socket; answers the raw response. */
function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer; got so far: ${answer}`)));
  });
}

describe.each<EntryPointKind>(['nginx', 'node'])('the %s entry point', (kind) => {
  let upstream: { server: Server; url: string };
  let decoy: { server: Server; url: string };
  const seen: Seen[] = [];
  const decoyHits: Seen[] = [];
  let clientDir: string;
  let running: EntryPoint[] = [];

  beforeAll(async () => {
    upstream = await echoServer(seen);
    decoy = await echoServer(decoyHits);
    clientDir = mkdtempSync(join(tmpdir(), 'client-'));
    chmodSync(clientDir, 0o755);
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>Lumina</title>');
  });
  afterAll(async () => {
    await Promise.all([upstream, decoy].map(({ server }) => new Promise<void>((r) => server.close(() => r()))));
  });
  beforeEach(() => {
    seen.length = 0;
    decoyHits.length = 0;
  });
  afterEach(async () => {
    await Promise.all(running.map((e) => e.stop()));
    running = [];
  });

  const start = async (limits: EntryPointLimits = oneMachineLimits(table.limits), targets?: Record<string, string>) => {
    const base = upstream.url;
    const entry = await startEntryPoint({
      kind,
      routes,
      limits,
      targets: targets ?? { auth: base, posts: base, media: base, search: base, timeline: base },
      clientDir,
      port: 0,
    });
    running.push(entry);
    expect(entry.kind).toBe(kind);
    return entry.url;
  };

  test('forwards the path unchanged, with the query and body; X-Forwarded-For is the client, whatever it claims', async () => {
    const url = await start();
    const res = await fetch(`${url}/api/v1/posts/123/comments?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.7' },
      body: JSON.stringify({ body: 'hi' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(seen).toEqual([{ url: '/api/v1/posts/123/comments?x=1', body: '{"body":"hi"}', forwardedFor: '127.0.0.1' }]);
  });

  test('routes the deprecated unversioned prefix to the same service as /api/v1, the path unchanged', async () => {
    const url = await start();
    for (const path of [
      '/api/v1/users/currentuser',
      '/api/users/currentuser',
      '/api/v1/timeline/notifications?limit=2',
      '/api/timeline/notifications?limit=2',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect({ path, status: res.status, upstream: res.headers.get('x-upstream'), body: await res.json() }).toEqual({
        path,
        status: 200,
        upstream: 'yes',
        body: { path },
      });
    }
    expect(seen.map((s) => s.url)).toEqual([
      '/api/v1/users/currentuser',
      '/api/users/currentuser',
      '/api/v1/timeline/notifications?limit=2',
      '/api/timeline/notifications?limit=2',
    ]);
  });

  test('serves the client for every other GET, with index.html for client routes, and /api/usersx is not auth', async () => {
    const url = await start();
    for (const path of ['/profile/ann', '/api/usersx', '/api/v1/usersx', '/api/v1', '/']) {
      const res = await fetch(`${url}${path}`);
      expect({ path, status: res.status, html: (await res.text()).includes('<title>Lumina</title>') }).toEqual({
        path,
        status: 200,
        html: true,
      });
    }
    expect(seen).toHaveLength(0);
  });

  test("refuses a body over the table's maxBodySize (21m) with 413 in the error shape, before any service sees it", async () => {
    const url = await start();
    const res = await fetch(`${url}/api/v1/media`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.alloc(22 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).errors[0]!.message).toMatch(/too large/i);
    expect(seen).toHaveLength(0);
    // …and a 20 MB one passes.
    const ok = await fetch(`${url}/api/v1/media`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.alloc(20 * 1024 * 1024),
    });
    expect(ok.status).toBe(200);
    expect(seen[0]?.body.length).toBe(20 * 1024 * 1024);
  });

  test("answers 429 past the Ingress's rate per address (20/s, bursts of 100), and a forged X-Forwarded-For does not help", async () => {
    const url = await start(table.limits);
    const statuses: number[] = [];
    let refusal = '';
    // 10 connections as fast as they go (far faster than 20/s), until refused or 3,000 requests.
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let i = 0; statuses.length < 3_000 && !statuses.includes(429); i += 1) {
          const res = await fetch(`${url}/api/v1/search/users?q=a`, {
            headers: { 'X-Forwarded-For': `198.51.100.${(lane * 25 + i) % 250}` },
          });
          const body = await res.text();
          if (res.status === 429) refusal = body;
          statuses.push(res.status);
        }
      }),
    );
    const elapsedS = (Date.now() - started) / 1000;
    const allowed = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses).toContain(429);
    // The burst and no more than the rate allows on top of it (plus the requests in flight).
    expect(allowed).toBeGreaterThanOrEqual(100);
    expect(allowed).toBeLessThanOrEqual(101 + Math.ceil(elapsedS * 20) + 10);
    expect((JSON.parse(refusal) as ErrorBody).errors[0]!.message).toMatch(/too many/i);
  });

  test('passes Server-Sent Events through unbuffered: the first event arrives while the stream stays open', async () => {
    const url = await start();
    const res = await fetch(`${url}/api/v1/timeline/stream`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString()).toContain('data: first');
    await reader.cancel();
  });

  test('answers 502 in the error shape when a service is down', async () => {
    const url = await start(undefined, {
      auth: 'http://127.0.0.1:9',
      posts: upstream.url,
      media: upstream.url,
      search: upstream.url,
      timeline: upstream.url,
    });
    const res = await fetch(`${url}/api/v1/users/currentuser`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as ErrorBody).errors[0]!.message).toMatch(/not reachable/);
  });

  test('an absolute-form request target naming another host is forwarded only to the route table’s target', async () => {
    const url = await start();
    const decoyHost = new URL(decoy.url).host;
    const answer = await rawRequest(url, `GET ${decoy.url}/api/v1/users/x HTTP/1.1\r\nHost: ${decoyHost}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(decoyHits).toEqual([]);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/users/x']);
  });
});

test.each<EntryPointKind>(['nginx', 'node'])('the %s entry point refuses to start on a port another server holds', async (kind) => {
  const other = createServer((_req, res) => res.end('someone else'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const address = other.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const nowhere = 'http://127.0.0.1:9';
    const targets = { auth: nowhere, posts: nowhere, media: nowhere, search: nowhere, timeline: nowhere };
    const starting = startEntryPoint({ kind, routes, limits: table.limits, targets, clientDir: tmpdir(), port });
    await expect(starting).rejects.toThrow(/address already in use|EADDRINUSE/i);
  } finally {
    other.closeAllConnections();
    await new Promise<void>((r) => other.close(() => r()));
  }
});

describe('where NGINX is not installed', () => {
  const nowhere = 'http://127.0.0.1:9';
  const options = {
    routes,
    limits: table.limits,
    targets: { auth: nowhere, posts: nowhere, media: nowhere, search: nowhere, timeline: nowhere },
    clientDir: tmpdir(),
    port: 0,
  };
  beforeEach(() => (process.env.NGINX_BIN = join(tmpdir(), 'no-nginx-here')));
  afterEach(() => delete process.env.NGINX_BIN);

  test('npm start (`auto`) says in one line how to install it, and uses the Node gateway', async () => {
    const said: string[] = [];
    const entry = await startEntryPoint({ ...options, kind: 'auto', onFallback: (line) => said.push(line) });
    await entry.stop();
    expect(entry.kind).toBe('node');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/apt-get install -y nginx/);
    expect(said[0]).not.toContain('\n');
  });

  test('the e2e tests (`nginx`) fail, saying how to install it', async () => {
    await expect(startEntryPoint({ ...options, kind: 'nginx' })).rejects.toThrow(/apt-get install -y nginx/);
  });
});
