// The backlog autoscaler against the real NATS JetStream server (backlog) and the run's real
// Kubernetes API server (support/cluster/) with Lumina's dev overlay in a namespace of this
// file. It calls the API with a token of the lumina-autoscaler ServiceAccount the manifests
// create, through the real @kubernetes/client-node, exactly as in its pod: the Role decides.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { TestContext } from '@lumina/common/testing';
import type { EventBus } from '@lumina/common';
import { BacklogAutoscaler, parseAutoscalerConfig, type AutoscalerConfig } from '../src/autoscaler';
import { backlogOf, readConsumerBacklog } from '../src/backlog';
import { Kube } from '../src/kube';
import { serviceAccountToken, SpareApiServer, tokenKubeconfig } from './support/cluster';
import { deployLumina, replicasOf, setReplicas } from './support/lumina-on-cluster';
import { addConsumer, drain, publishMany, resetStreams } from './support/backlog';

const NAMESPACE = 'lumina-ops-autoscaler';
const ctx = new TestContext();
let bus: EventBus;
let dir: string;
let token: string;
let kube: Kube;

const config: AutoscalerConfig = {
  intervalSeconds: 1,
  cooldownSeconds: 60,
  targets: [
    { deployment: 'timeline', service: 'timeline', min: 1, max: 4, backlogPerReplica: 5 },
    { deployment: 'search', service: 'search', min: 1, max: 3, backlogPerReplica: 5 },
    { deployment: 'media-worker', service: 'media', streams: ['MEDIA_JOBS'], min: 1, max: 5, backlogPerReplica: 2 },
  ],
};

/** A clock the test moves by hand, so the cool-down takes no real time. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function kubeAs(server?: string): Kube {
  const kc = new KubeConfig();
  kc.loadFromFile(tokenKubeconfig(join(dir, `autoscaler-${server ? 'spare' : 'main'}.kubeconfig`), token, NAMESPACE, server));
  return new Kube(kc, NAMESPACE);
}

function autoscalerWith(clock = fakeClock(), scale: Kube = kube, targets = config.targets) {
  return new BacklogAutoscaler({
    config: { ...config, targets },
    scale,
    backlog: () => readConsumerBacklog(bus.jsm, ctx.ns.streamPrefix),
    now: clock.now,
  });
}

const counts = async () => ({
  timeline: await replicasOf(NAMESPACE, 'timeline'),
  search: await replicasOf(NAMESPACE, 'search'),
  'media-worker': await replicasOf(NAMESPACE, 'media-worker'),
});

beforeAll(async () => {
  bus = await ctx.eventBus('ops-autoscaler');
  dir = mkdtempSync(join(tmpdir(), 'lumina-autoscaler-'));
  await deployLumina(NAMESPACE);
  token = await serviceAccountToken(NAMESPACE, 'lumina-autoscaler');
  kube = kubeAs();
}, 240_000);

beforeEach(async () => {
  // Every test starts from empty streams and fresh consumers, as the services would create them,
  // and one replica of each Deployment the autoscaler owns.
  await resetStreams(bus);
  await addConsumer(bus, 'POSTS', 'timeline', 'post.created');
  await addConsumer(bus, 'USERS', 'search', 'user.updated');
  await addConsumer(bus, 'MEDIA_JOBS', 'media', 'jobs.media.process');
  await addConsumer(bus, 'POSTS', 'media', 'post.created'); // the media API's, not the workers'
  await setReplicas(NAMESPACE, { timeline: 1, search: 1, 'media-worker': 1 });
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await ctx.cleanup();
});

test('a service backlog is the sum of pending and ack-pending over its own consumers', async () => {
  await publishMany(bus, 'jobs.media.process', 4);
  await publishMany(bus, 'post.created', 3);
  // Two jobs delivered but not acknowledged yet still count (as ack pending).
  const consumer = await bus.js.consumers.get(`${ctx.ns.streamPrefix}MEDIA_JOBS`, 'media--jobs-media-process');
  const batch = await consumer.fetch({ max_messages: 2, expires: 2000 });
  for await (const _ of batch) void _;

  const consumers = await readConsumerBacklog(bus.jsm, ctx.ns.streamPrefix);
  const jobs = consumers.find((c) => c.consumer === 'media--jobs-media-process');
  expect(jobs).toMatchObject({ streamKind: 'MEDIA_JOBS', service: 'media', pending: 2, ackPending: 2 });
  expect(backlogOf(consumers, 'media', ['MEDIA_JOBS'])).toBe(4);
  expect(backlogOf(consumers, 'media')).toBe(7); // + media--post-created on POSTS
  expect(backlogOf(consumers, 'timeline')).toBe(3);
  expect(backlogOf(consumers, 'search')).toBe(0);
});

test('a backlog above the threshold scales up at once, within the bounds', async () => {
  await publishMany(bus, 'post.created', 12); // timeline: ceil(12 / 5) = 3 replicas
  await publishMany(bus, 'user.updated', 40); // search: ceil(40 / 5) = 8, bounded to max 3

  const decisions = await autoscalerWith().tick();

  expect(decisions.find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'scaled-up', backlog: 12, current: 1, wanted: 3 });
  expect(decisions.find((d) => d.deployment === 'search')).toMatchObject({ action: 'scaled-up', backlog: 40, wanted: 3 });
  expect(await counts()).toEqual({ timeline: 3, search: 3, 'media-worker': 1 });
});

test('an empty backlog scales down only after the cool-down has passed', async () => {
  await setReplicas(NAMESPACE, { timeline: 4 });
  const clock = fakeClock();
  const autoscaler = autoscalerWith(clock);

  expect((await autoscaler.tick()).find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'cooling-down', backlog: 0 });
  clock.advance(59_000);
  await autoscaler.tick();
  expect(await replicasOf(NAMESPACE, 'timeline')).toBe(4);

  clock.advance(1_000);
  const decisions = await autoscaler.tick();
  expect(decisions.find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'scaled-down', current: 4, wanted: 1 });
  expect(await replicasOf(NAMESPACE, 'timeline')).toBe(1);
});

test('new backlog during the cool-down starts it over', async () => {
  await setReplicas(NAMESPACE, { 'media-worker': 3 });
  const clock = fakeClock();
  const autoscaler = autoscalerWith(clock);
  await autoscaler.tick(); // empty: cooling down from 3
  clock.advance(50_000);
  await publishMany(bus, 'jobs.media.process', 6); // wants ceil(6 / 2) = 3: as many as it has
  await autoscaler.tick();
  await drain(bus, 'MEDIA_JOBS', 'media--jobs-media-process', 6);
  clock.advance(50_000);
  await autoscaler.tick(); // empty again: the cool-down counts from here
  expect(await replicasOf(NAMESPACE, 'media-worker')).toBe(3);
  clock.advance(60_000);
  await autoscaler.tick();
  expect(await replicasOf(NAMESPACE, 'media-worker')).toBe(1);
});

test('a Deployment outside its Role is refused by the API server and left alone', async () => {
  await publishMany(bus, 'post.created', 20);
  const decisions = await autoscalerWith(fakeClock(), kube, [
    { deployment: 'posts', service: 'timeline', min: 1, max: 4, backlogPerReplica: 5 },
  ]).tick();
  expect(decisions[0]).toMatchObject({ deployment: 'posts', action: 'skipped' });
  expect(decisions[0]?.reason).toMatch(/get deployments\/posts\/scale: HTTP 403/);
  expect(await replicasOf(NAMESPACE, 'posts')).toBe(1);
});

test('when the API server is down, the replica counts are left alone; once it is back, the next tick acts', async () => {
  // A second kube-apiserver on the same etcd, stopped and started again: a real server going
  // away, while the run's own (which the other test files use) stays up.
  const spare = await SpareApiServer.start();
  try {
    await publishMany(bus, 'post.created', 20);
    const autoscaler = autoscalerWith(fakeClock(), kubeAs(spare.server));
    await spare.pause();

    const decisions = await autoscaler.tick();

    expect(decisions.map((d) => d.action)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(decisions[0]?.reason).toMatch(/get deployments\/timeline\/scale/);
    expect(autoscaler.lastTickOk).toBe(false);
    expect(await counts()).toEqual({ timeline: 1, search: 1, 'media-worker': 1 });

    await spare.resume();
    await autoscaler.tick();
    expect(await replicasOf(NAMESPACE, 'timeline')).toBe(4);
    expect(autoscaler.lastTickOk).toBe(true);
  } finally {
    await spare.stop();
  }
}, 240_000);

test('a count changed by someone else between read and update is not overwritten', async () => {
  await publishMany(bus, 'post.created', 10);
  // Another writer (the admin, through kubectl) scales timeline right after the autoscaler reads it.
  const scaleApi = kubeAs();
  const realGet = scaleApi.getScale.bind(scaleApi);
  scaleApi.getScale = async (name) => {
    const scale = await realGet(name);
    if (name === 'timeline') await setReplicas(NAMESPACE, { timeline: 2 });
    return scale;
  };
  const decisions = await autoscalerWith(fakeClock(), scaleApi).tick();
  expect(decisions.find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'skipped' });
  expect(decisions.find((d) => d.deployment === 'timeline')?.reason).toMatch(/HTTP 409.*modified/);
  expect(await replicasOf(NAMESPACE, 'timeline')).toBe(2);
});

test('when NATS cannot be asked, nothing is scaled', async () => {
  await setReplicas(NAMESPACE, { timeline: 3 });
  const autoscaler = new BacklogAutoscaler({ config, scale: kube, backlog: () => Promise.reject(new Error('connection refused')) });
  const decisions = await autoscaler.tick();
  expect(decisions.map((d) => d.action)).toEqual(['skipped', 'skipped', 'skipped']);
  expect(await counts()).toEqual({ timeline: 3, search: 1, 'media-worker': 1 });
});

test('the autoscaler config is checked', () => {
  expect(() => parseAutoscalerConfig({ targets: [{ deployment: 'x', service: 'x', min: 3, max: 2, backlogPerReplica: 1 }] })).toThrow(
    /min \(3\) is above max/,
  );
  expect(() => parseAutoscalerConfig({ targets: [] })).toThrow(/non-empty/);
  expect(
    parseAutoscalerConfig({ targets: [{ deployment: 'x', service: 'x', min: 0, max: 2, backlogPerReplica: 1 }] }).cooldownSeconds,
  ).toBe(300);
});
