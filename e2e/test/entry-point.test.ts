/**
 * The one-machine system's edges: NGINX is the entry point, the services listen on loopback
 * only (not reachable from the network, /metrics included), and a client cannot forge its way
 * past a per-address limit with its own X-Forwarded-For.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { authRoutes, LEGACY_DEPRECATED_AT } from '@lumina/contract';
import { ApiClient } from '@lumina/datasets';
import { startE2eSystem, type E2eSystem } from './support';

/** Sign-ins per address per window, tight for this test (the one-machine default is far larger). */
const SIGNIN_MAX_PER_ADDRESS = 5;

let e2e: E2eSystem;
beforeAll(async () => {
  e2e = await startE2eSystem({ SIGNIN_MAX_PER_ADDRESS: String(SIGNIN_MAX_PER_ADDRESS) });
}, 120_000);
afterAll(() => e2e?.stop(), 60_000);

/** An address of this machine that is not loopback (IPv4 first), if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && !a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80')))
  .sort((a, b) => (a!.family === b!.family ? 0 : a!.family === 'IPv4' ? -1 : 1))[0];

/** Whether a TCP connection to host:port is accepted (a refusal or a timeout: not reachable). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

test('NGINX answers at the entry point', async () => {
  expect(e2e.system.entryPoint).toBe('nginx');
  const res = await new ApiClient(e2e.url).send(authRoutes.currentUser);
  expect(res.status).toBe(200);
  expect(res.response.headers.get('server')).toBe('nginx');
});

(external ? test : test.skip)(
  `no service port, nor the entry point, is reachable on this machine's non-loopback address ${external?.address ?? '(this machine has none: nothing to check)'}`,
  async () => {
    const ports = [...e2e.system.processes.values()].map((p) => ({ service: p.spec.name, port: p.port }));
    ports.push({ service: 'entry point', port: Number(new URL(e2e.url).port) });
    for (const { service, port } of ports) {
      // Reachable on loopback (so the check below can tell), not on the other address.
      expect({ service, loopback: await accepts('127.0.0.1', port) }).toEqual({ service, loopback: true });
      expect({ service, external: await accepts(external!.address, port) }).toEqual({ service, external: false });
    }
    const metrics = await fetch(`http://127.0.0.1:${ports[0]!.port}/metrics`);
    expect(metrics.status).toBe(200); // /metrics is there, on loopback only
  },
);

test('through NGINX, the deprecated /api/<service> paths answer as /api/v1 does, marked Deprecation and successor-version', async () => {
  const tag = Date.now().toString(36);
  const ann = new ApiClient(e2e.url);
  await ann.signUpOrIn({
    email: `alias-${tag}@example.com`,
    username: `alias_${tag}`,
    password: 'correct horse battery',
    displayName: 'Alias',
  });
  const headers = { Authorization: `Bearer ${ann.accessToken}` };
  const paths = [
    '/users/currentuser',
    `/users/alias_${tag}`,
    `/posts?authorId=${ann.id}&limit=5`,
    '/media/limits',
    '/search/users?q=zq9nobodyzq9',
    '/timeline?limit=5',
    '/timeline/notifications?limit=5',
  ];
  for (const path of paths) {
    const v1 = await fetch(`${e2e.url}/api/v1${path}`, { headers });
    const alias = await fetch(`${e2e.url}/api${path}`, { headers });
    expect(v1.status).toBe(200);
    expect({ path, status: alias.status, body: await alias.json() }).toEqual({ path, status: v1.status, body: await v1.json() });
    expect({ path, deprecation: v1.headers.get('deprecation'), link: v1.headers.get('link') }).toEqual({
      path,
      deprecation: null,
      link: null,
    });
    expect({ path, deprecation: alias.headers.get('deprecation'), link: alias.headers.get('link') }).toEqual({
      path,
      deprecation: `@${LEGACY_DEPRECATED_AT}`,
      link: `</api/v1${path}>; rel="successor-version"`,
    });
  }
  // The documents are served under both; they list the v1 paths only.
  for (const prefix of ['/api/v1/posts', '/api/posts']) {
    const document = (await (await fetch(`${e2e.url}${prefix}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const listed = Object.keys(document.paths);
    expect({ prefix, unversioned: listed.filter((p) => !p.startsWith('/api/v1/')) }).toEqual({ prefix, unversioned: [] });
    expect(listed).toContain('/api/v1/posts/{id}');
  }
});

test('a forged X-Forwarded-For through the entry point does not reset the per-address sign-in limit', async () => {
  const signIn = (n: number, forwardedFor?: string) =>
    new ApiClient(e2e.url).send(
      authRoutes.signIn,
      // A different unknown account each time, so only the per-address limit can be reached.
      { body: { email: `nobody-${n}@example.com`, password: 'not the password' } },
      { headers: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {} },
    );
  const statuses: number[] = [];
  for (let n = 0; n < SIGNIN_MAX_PER_ADDRESS; n += 1) statuses.push((await signIn(n)).status);
  expect(statuses.every((s) => s === 401 || s === 400)).toBe(true);
  expect((await signIn(100)).status).toBe(429);
  // A new address every time, as a client would claim to bypass the limit.
  for (const forged of ['203.0.113.9', '198.51.100.1, 203.0.113.10', '127.0.0.2']) {
    expect({ forged, status: (await signIn(200, forged)).status }).toEqual({ forged, status: 429 });
  }
});
