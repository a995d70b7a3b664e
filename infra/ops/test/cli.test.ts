// lumina-ops commands end to end: a kubeconfig pointing at a FAKE Kubernetes API served over
// HTTP by this test (no cluster runs here; see support/fake-kube.ts) and the real NATS server
// for the backlog.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestContext, eventually } from '@lumina/common/testing';
import type { EventBus } from '@lumina/common';
import { main } from '../src/cli';
import { FakeKubeApi } from './support/fake-kube';
import { addConsumer, publishMany } from './support/backlog';

const ctx = new TestContext();
let bus: EventBus;
let api: FakeKubeApi;
let dir: string;
let kubeconfig: string;

/** The ops NATS user, as in the cluster: it may read the backlog and nothing else. */
function opsLogin() {
  const { user, pass } = ctx.natsCredentials('ops');
  return { NATS_USER: user, NATS_PASSWORD: pass };
}

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    env: { KUBECONFIG: kubeconfig, NATS_URL: ctx.natsUrl, ...opsLogin(), EVENT_STREAM_PREFIX: ctx.ns.streamPrefix },
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  return { code, out, err };
}

beforeAll(async () => {
  bus = await ctx.eventBus('ops-cli');
  await addConsumer(bus, 'POSTS', 'timeline', 'post.created');
  await addConsumer(bus, 'USERS', 'timeline', 'user.followed');
  await addConsumer(bus, 'MEDIA_JOBS', 'media', 'jobs.media.process');
  await publishMany(bus, 'post.created', 7);
  await publishMany(bus, 'user.followed', 2);
  await publishMany(bus, 'jobs.media.process', 3);
  dir = mkdtempSync(join(tmpdir(), 'lumina-ops-'));
});

beforeEach(async () => {
  api = new FakeKubeApi('lumina');
  await api.start();
  kubeconfig = api.writeKubeconfig(dir);
  for (const name of ['auth', 'timeline', 'media', 'media-worker']) api.addDeployment(name, 2);
  api.hpas.push({ name: 'auth', target: 'auth', min: 2, max: 6 });
});

afterEach(() => api.stop());
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await ctx.cleanup();
});

test('status shows each Deployment, what scales it and its backlog', async () => {
  const { code, out } = await run('status');
  expect(code).toBe(0);
  const line = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
  expect(line('auth')).toMatch(/2\/2\s+hpa 2-6/);
  expect(line('timeline')).toMatch(/2\/2\s+backlog 2-10\s+9$/); // 7 post.created + 2 user.followed
  expect(line('media-worker')).toMatch(/backlog 1-8\s+3$/); // MEDIA_JOBS only
  expect(line('media')).toMatch(/\s0$/); // the API's consumers: none with a backlog here
  expect(out).toMatch(/timeline--post-created\s+\S+POSTS\s+7\s+0/);
});

test('status still answers when NATS cannot be reached', async () => {
  let out = '';
  const code = await main(['status', '--nats', 'nats://127.0.0.1:1'], {
    env: { KUBECONFIG: kubeconfig },
    out: (t) => void (out += t),
    err: () => undefined,
  });
  expect(code).toBe(0);
  expect(out).toMatch(/^timeline\s+2\/2\s+backlog 2-10\s+\?$/m);
  expect(out).toMatch(/backlog: cannot reach NATS/);
});

test('scale sets the replica count through the scale subresource', async () => {
  const { code, out, err } = await run('scale', 'auth', '4');
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toContain('auth: 2 → 4 replicas');
  expect(api.replicas('auth')).toBe(4);
  expect(api.writes()).toMatchObject([{ method: 'PUT', path: '/apis/apps/v1/namespaces/lumina/deployments/auth/scale' }]);
});

test('scale refuses an unknown service or a bad count, and changes nothing', async () => {
  expect(await run('scale', 'nginx', '3')).toMatchObject({ code: 2, err: expect.stringContaining('unknown SERVICE nginx') });
  expect(await run('scale', 'auth', '-1')).toMatchObject({ code: 2, err: expect.stringContaining('N must be') });
  expect(await run('scale', 'auth', 'lots')).toMatchObject({ code: 2 });
  expect(api.requests).toEqual([]);
});

test('restart rolls the pods with a new template annotation (strategic merge patch)', async () => {
  const { code, out } = await run('restart', 'timeline');
  expect(code).toBe(0);
  expect(out).toContain('timeline: restarting');
  const [patch] = api.writes();
  expect(patch).toMatchObject({
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/lumina/deployments/timeline',
    contentType: 'application/strategic-merge-patch+json',
  });
  const restartedAt = api.deployments.get('timeline')!.templateAnnotations['kubectl.kubernetes.io/restartedAt'];
  expect(Date.now() - Date.parse(restartedAt!)).toBeLessThan(60_000);
  expect(api.replicas('timeline')).toBe(2);
});

test('an API failure is reported with exit code 1 and changes nothing', async () => {
  api.failWith = 503;
  const { code, err } = await run('scale', 'timeline', '5');
  expect(code).toBe(1);
  expect(err).toMatch(/get deployments\/timeline\/scale: HTTP 503/);
  api.failWith = undefined;
  expect(api.replicas('timeline')).toBe(2);
});

test('autoscale runs the loop with its health endpoints until stopped', async () => {
  const config = join(dir, 'autoscaler.json');
  writeFileSync(
    config,
    JSON.stringify({
      intervalSeconds: 1,
      cooldownSeconds: 0,
      targets: [{ deployment: 'media-worker', service: 'media', streams: ['MEDIA_JOBS'], min: 1, max: 5, backlogPerReplica: 1 }],
    }),
  );
  const stop = new AbortController();
  let port = 0;
  let out = '';
  const running = main(['autoscale', '--config', config], {
    env: { KUBECONFIG: kubeconfig, NATS_URL: ctx.natsUrl, ...opsLogin(), EVENT_STREAM_PREFIX: ctx.ns.streamPrefix, PORT: '0' },
    out: (t) => void (out += t),
    err: (t) => void (out += t),
    signal: stop.signal,
    onListening: (p) => void (port = p),
  });
  await eventually(() => expect(api.replicas('media-worker')).toBe(3)); // 3 jobs waiting, 1 per replica
  await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
  expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe('ok\n');
  expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
    'lumina_autoscaler_backlog{deployment="media-worker"} 3',
  );
  stop.abort();
  expect(await running).toBe(0);
  expect(out).toContain('"action":"scaled-up"');
});
