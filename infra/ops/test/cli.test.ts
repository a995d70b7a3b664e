// lumina-ops commands end to end against the run's real Kubernetes API server (kube-apiserver,
// controllers and kwok nodes, support/cluster/) with Lumina's dev overlay applied in a namespace
// of this file, and the real NATS server for the backlog. Every command runs with a token of a
// ServiceAccount the manifests create, so the manifests' RBAC decides what it may do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestContext, eventually } from '@lumina/common/testing';
import type { EventBus } from '@lumina/common';
import { main } from '../src/cli';
import { kubectlJson, serviceAccountToken, type ApiObject, SpareApiServer, tokenKubeconfig, waitFor } from './support/cluster';
import { canI, deployLumina, replicasOf, setReplicas } from './support/lumina-on-cluster';
import { addConsumer, publishMany, redeliverOne } from './support/backlog';

const NAMESPACE = 'lumina-ops-cli';
const ctx = new TestContext();
let bus: EventBus;
let dir: string;
/** `kubectl create token lumina-operator`: what an operator runs the tool with. */
let operator: string;
/** The in-cluster autoscaler's account: only the scale of the Deployments it owns. */
let autoscaler: string;
let operatorToken: string;

/** The ops NATS user, as in the cluster: it may read the backlog and nothing else. */
function opsLogin() {
  const { user, pass } = ctx.natsCredentials('ops');
  return { NATS_USER: user, NATS_PASSWORD: pass };
}

async function run(kubeconfig: string, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    env: { KUBECONFIG: kubeconfig, NAMESPACE, NATS_URL: ctx.natsUrl, ...opsLogin(), EVENT_STREAM_PREFIX: ctx.ns.streamPrefix },
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
  // The same 2 user.followed: one taken twice and not acknowledged, the other waiting behind it.
  await addConsumer(bus, 'USERS', 'search', 'user.followed', { max_ack_pending: 1 });
  await redeliverOne(bus, 'USERS', 'search--user-followed');
  dir = mkdtempSync(join(tmpdir(), 'lumina-ops-'));
  await deployLumina(NAMESPACE);
  operatorToken = await serviceAccountToken(NAMESPACE, 'lumina-operator');
  operator = tokenKubeconfig(join(dir, 'operator.kubeconfig'), operatorToken, NAMESPACE);
  autoscaler = tokenKubeconfig(join(dir, 'autoscaler.kubeconfig'), await serviceAccountToken(NAMESPACE, 'lumina-autoscaler'), NAMESPACE);
}, 240_000);

beforeEach(() => setReplicas(NAMESPACE, { timeline: 1, 'media-worker': 1 }));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await ctx.cleanup();
});

test('status shows each Deployment, what scales it and its backlog', async () => {
  const { code, out, err } = await run(operator, 'status');
  expect(err).toBe('');
  expect(code).toBe(0);
  const line = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
  expect(line('auth')).toMatch(/^auth\s+1\/1\s+hpa 1-2 \(wants \d\)/); // the dev overlay's HPA bounds
  expect(line('timeline')).toMatch(/1\/1\s+backlog 2-10\s+9$/); // 7 post.created + 2 user.followed
  expect(line('media-worker')).toMatch(/backlog 1-8\s+3$/); // MEDIA_JOBS only
  expect(line('media')).toMatch(/\s0$/); // the API's consumers: none with a backlog here
  expect(line('timeline-redis')).toMatch(/1\/1\s+fixed\s+-$/); // a cache: one replica, no consumers
  expect(out).toMatch(/timeline--post-created\s+\S+POSTS\s+7\s+0/);
});

test('status shows, per service and consumer, the redelivered messages and the age of the oldest unacknowledged one', async () => {
  const { out } = await run(operator, 'status');
  expect(out).toMatch(/^SERVICE\s+CONSUMER\s+STREAM\s+PENDING\s+ACK PENDING\s+REDELIVERED\s+OLDEST UNACKED$/m);
  // PENDING counts the undelivered one, ACK PENDING the one taken twice.
  expect(out).toMatch(/^search\s+search--user-followed\s+\S+USERS\s+1\s+1\s+1\s+\d+(s|m\d\ds)$/m);
  expect(out).toMatch(/^timeline\s+timeline--post-created\s+\S+POSTS\s+7\s+0\s+0\s+\d+(s|m\d\ds)$/m);
  const serviceColumn = out
    .split('\n')
    .filter((l) => /--/.test(l))
    .map((l) => l.split(/\s+/)[0]);
  expect(serviceColumn).toEqual([...serviceColumn].sort());
});

test('status still answers when NATS cannot be reached', async () => {
  let out = '';
  const code = await main(['status', '--nats', 'nats://127.0.0.1:1'], {
    env: { KUBECONFIG: operator, NAMESPACE },
    out: (t) => void (out += t),
    err: () => undefined,
  });
  expect(code).toBe(0);
  expect(out).toMatch(/^timeline\s+1\/1\s+backlog 2-10\s+\?$/m);
  expect(out).toMatch(/backlog: cannot reach NATS/);
});

test('scale sets the replica count through the scale subresource, and the pods follow', async () => {
  const { code, out, err } = await run(operator, 'scale', 'timeline', '3');
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toContain('timeline: 1 → 3 replicas');
  expect(out).toContain('the backlog autoscaler owns timeline');
  expect(await replicasOf(NAMESPACE, 'timeline')).toBe(3);
  await waitFor(
    'timeline at 3 Ready pods',
    async () => (await kubectlJson('get', 'deployment/timeline', '-n', NAMESPACE)).status.readyReplicas === 3,
    60_000,
  );
});

test('scale refuses an unknown service or a bad count, and changes nothing', async () => {
  const before = await kubectlJson('get', 'deployment/timeline', '-n', NAMESPACE);
  expect(await run(operator, 'scale', 'nginx', '3')).toMatchObject({ code: 2, err: expect.stringContaining('unknown SERVICE nginx') });
  expect(await run(operator, 'scale', 'timeline', '-1')).toMatchObject({ code: 2, err: expect.stringContaining('N must be') });
  expect(await run(operator, 'scale', 'timeline', 'lots')).toMatchObject({ code: 2 });
  const after = await kubectlJson('get', 'deployment/timeline', '-n', NAMESPACE);
  // The generation counts spec changes only (the controllers' status updates do not move it).
  expect({ generation: after.metadata.generation, replicas: after.spec.replicas }).toEqual({
    generation: before.metadata.generation,
    replicas: 1,
  });
});

test('restart rolls the pods: a new template annotation, a new ReplicaSet, the same count', async () => {
  const before = await kubectlJson('get', 'deployment/media-worker', '-n', NAMESPACE);
  const { code, out } = await run(operator, 'restart', 'media-worker');
  expect(code).toBe(0);
  expect(out).toContain('media-worker: restarting');
  const after = await kubectlJson('get', 'deployment/media-worker', '-n', NAMESPACE);
  const restartedAt = after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
  expect(Date.now() - Date.parse(restartedAt)).toBeLessThan(60_000);
  expect(after.metadata.generation).toBe(before.metadata.generation + 1);
  // The Deployment controller rolls it out for real: a new ReplicaSet, whose pod turns Ready on kwok.
  await waitFor(
    'media-worker rolled out',
    async () => {
      const d = await kubectlJson('get', 'deployment/media-worker', '-n', NAMESPACE);
      return (
        d.status.observedGeneration === after.metadata.generation &&
        d.status.updatedReplicas === 1 &&
        d.status.readyReplicas === 1 &&
        !d.status.unavailableReplicas &&
        d.status.replicas === 1
      );
    },
    90_000,
  );
  const sets = (
    await kubectlJson<{ items: ApiObject[] }>('get', 'replicasets', '-n', NAMESPACE, '-l', 'app.kubernetes.io/name=media-worker')
  ).items;
  expect(sets.length).toBeGreaterThanOrEqual(2);
  expect(await replicasOf(NAMESPACE, 'media-worker')).toBe(1);
});

test("the autoscaler's account may scale the Deployments it owns and nothing else; kubectl auth can-i agrees", async () => {
  expect(await canI(NAMESPACE, 'lumina-autoscaler', 'update', 'deployments/timeline', '--subresource=scale')).toBe(true);
  expect(await canI(NAMESPACE, 'lumina-autoscaler', 'update', 'deployments/auth', '--subresource=scale')).toBe(false);
  expect(await canI(NAMESPACE, 'lumina-autoscaler', 'list', 'deployments')).toBe(false);
  expect(await canI(NAMESPACE, 'lumina-autoscaler', 'get', 'secrets')).toBe(false);

  const owned = await run(autoscaler, 'scale', 'media-worker', '2');
  expect({ code: owned.code, err: owned.err }).toEqual({ code: 0, err: '' });
  expect(await replicasOf(NAMESPACE, 'media-worker')).toBe(2);

  const other = await run(autoscaler, 'scale', 'auth', '2');
  expect(other.code).toBe(1);
  expect(other.err).toMatch(/get deployments\/auth\/scale: HTTP 403 .*forbidden/);
  expect(await replicasOf(NAMESPACE, 'auth')).toBe(1);
  const status = await run(autoscaler, 'status');
  expect(status.code).toBe(1);
  expect(status.err).toMatch(/HTTP 403/);
});

test("the operator's account may read, scale and restart, but not read Secrets or delete anything", async () => {
  expect(await canI(NAMESPACE, 'lumina-operator', 'list', 'deployments')).toBe(true);
  expect(await canI(NAMESPACE, 'lumina-operator', 'patch', 'deployments')).toBe(true);
  expect(await canI(NAMESPACE, 'lumina-operator', 'get', 'secrets')).toBe(false);
  expect(await canI(NAMESPACE, 'lumina-operator', 'delete', 'deployments')).toBe(false);
  expect(await canI(NAMESPACE, 'lumina-operator', 'create', 'pods')).toBe(false);
  expect(await canI(NAMESPACE, 'lumina-operator', 'list', 'deployments', '--namespace=default')).toBe(false);
});

test('when the API server is down, the command fails with exit code 1 and changes nothing', async () => {
  // A second kube-apiserver on the same etcd, stopped: a real server gone, the run's own untouched.
  const spare = await SpareApiServer.start();
  try {
    const throughSpare = tokenKubeconfig(join(dir, 'spare.kubeconfig'), operatorToken, NAMESPACE, spare.server);
    expect(await run(throughSpare, 'scale', 'timeline', '2')).toMatchObject({ code: 0 }); // it works while up
    await spare.pause();
    const { code, err } = await run(throughSpare, 'scale', 'timeline', '5');
    expect(code).toBe(1);
    expect(err).toMatch(/get deployments\/timeline\/scale: .*(ECONNREFUSED|fetch failed|connect)/i);
    expect(await replicasOf(NAMESPACE, 'timeline')).toBe(2);
  } finally {
    await spare.stop();
  }
}, 180_000);

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
    env: { KUBECONFIG: autoscaler, NAMESPACE, NATS_URL: ctx.natsUrl, ...opsLogin(), EVENT_STREAM_PREFIX: ctx.ns.streamPrefix, PORT: '0' },
    out: (t) => void (out += t),
    err: (t) => void (out += t),
    signal: stop.signal,
    onListening: (p) => void (port = p),
  });
  try {
    await eventually(async () => expect(await replicasOf(NAMESPACE, 'media-worker')).toBe(3), { timeoutMs: 30_000 }); // 3 jobs waiting, 1 per replica
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200));
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe('ok\n');
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(
      'lumina_autoscaler_backlog{deployment="media-worker"} 3',
    );
  } finally {
    stop.abort();
  }
  expect(await running).toBe(0);
  expect(out).toContain('"action":"scaled-up"');
});
