// The backlog autoscaler against the real NATS JetStream server (backlog) and a FAKE Kubernetes
// API served over HTTP by this test (no cluster runs here; see support/fake-kube.ts). The
// Kubernetes side goes through the real @kubernetes/client-node, exactly as in a pod.
import { KubeConfig } from '@kubernetes/client-node';
import { TestContext } from '@lumina/common/testing';
import type { EventBus } from '@lumina/common';
import { BacklogAutoscaler, parseAutoscalerConfig, type AutoscalerConfig } from '../src/autoscaler';
import { backlogOf, readConsumerBacklog } from '../src/backlog';
import { Kube } from '../src/kube';
import { FakeKubeApi } from './support/fake-kube';
import { addConsumer, drain, publishMany, resetStreams } from './support/backlog';

const ctx = new TestContext();
let bus: EventBus;
let api: FakeKubeApi;
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

function autoscalerWith(clock = fakeClock()) {
  return new BacklogAutoscaler({ config, scale: kube, backlog: () => readConsumerBacklog(bus.jsm, ctx.ns.streamPrefix), now: clock.now });
}

beforeAll(async () => {
  bus = await ctx.eventBus('ops-autoscaler');
});

beforeEach(async () => {
  // Every test starts from empty streams and fresh consumers, as the services would create them.
  await resetStreams(bus);
  await addConsumer(bus, 'POSTS', 'timeline', 'post.created');
  await addConsumer(bus, 'USERS', 'search', 'user.updated');
  await addConsumer(bus, 'MEDIA_JOBS', 'media', 'jobs.media.process');
  await addConsumer(bus, 'POSTS', 'media', 'post.created'); // the media API's, not the workers'
  api = new FakeKubeApi('lumina');
  await api.start();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: api.url, skipTLSVerify: true }],
    users: [{ name: 'autoscaler', token: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'autoscaler', namespace: 'lumina' }],
    currentContext: 'fake',
  });
  kube = new Kube(kc, 'lumina');
  api.addDeployment('timeline', 1);
  api.addDeployment('search', 1);
  api.addDeployment('media-worker', 1);
});

afterEach(() => api.stop());
afterAll(() => ctx.cleanup());

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

  expect(api.replicas('timeline')).toBe(3);
  expect(api.replicas('search')).toBe(3);
  expect(decisions.find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'scaled-up', backlog: 12, current: 1, wanted: 3 });
  expect(decisions.find((d) => d.deployment === 'search')).toMatchObject({ action: 'scaled-up', backlog: 40, wanted: 3 });
  // Through the scale subresource only: what the autoscaler's Role allows.
  expect(api.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
    'PUT /apis/apps/v1/namespaces/lumina/deployments/timeline/scale',
    'PUT /apis/apps/v1/namespaces/lumina/deployments/search/scale',
  ]);
});

test('an empty backlog scales down only after the cool-down has passed', async () => {
  api.addDeployment('timeline', 4);
  const clock = fakeClock();
  const autoscaler = autoscalerWith(clock);

  expect((await autoscaler.tick()).find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'cooling-down', backlog: 0 });
  clock.advance(59_000);
  await autoscaler.tick();
  expect(api.replicas('timeline')).toBe(4);

  clock.advance(1_000);
  const decisions = await autoscaler.tick();
  expect(decisions.find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'scaled-down', current: 4, wanted: 1 });
  expect(api.replicas('timeline')).toBe(1);
});

test('new backlog during the cool-down starts it over', async () => {
  api.addDeployment('media-worker', 3);
  const clock = fakeClock();
  const autoscaler = autoscalerWith(clock);
  await autoscaler.tick(); // empty: cooling down from 3
  clock.advance(50_000);
  await publishMany(bus, 'jobs.media.process', 6); // wants ceil(6 / 2) = 3: as many as it has
  await autoscaler.tick();
  await drain(bus, 'MEDIA_JOBS', 'media--jobs-media-process', 6);
  clock.advance(50_000);
  await autoscaler.tick(); // empty again: the cool-down counts from here
  expect(api.replicas('media-worker')).toBe(3);
  clock.advance(60_000);
  await autoscaler.tick();
  expect(api.replicas('media-worker')).toBe(1);
});

test('when the Kubernetes API fails, the replica counts are left alone', async () => {
  await publishMany(bus, 'post.created', 20);
  api.failWith = 500;
  const autoscaler = autoscalerWith();

  const decisions = await autoscaler.tick();

  expect(decisions.every((d) => d.action === 'skipped')).toBe(true);
  expect(decisions[0]?.reason).toMatch(/get deployments\/timeline\/scale/);
  expect(api.writes()).toEqual([]);
  api.failWith = undefined;
  expect(api.replicas('timeline')).toBe(1);
  expect(autoscaler.lastTickOk).toBe(false);

  // Once the API answers again, the next tick acts.
  await autoscaler.tick();
  expect(api.replicas('timeline')).toBe(4);
});

test('a count changed by someone else between read and update is not overwritten', async () => {
  await publishMany(bus, 'post.created', 10);
  // Another writer bumps the Deployment right after the autoscaler reads its scale.
  const realGet = kube.getScale.bind(kube);
  kube.getScale = async (name) => {
    const scale = await realGet(name);
    if (name === 'timeline') {
      const d = api.deployments.get('timeline')!;
      d.replicas = 2;
      d.resourceVersion++;
    }
    return scale;
  };
  const decisions = await autoscalerWith().tick();
  expect(decisions.find((d) => d.deployment === 'timeline')).toMatchObject({ action: 'skipped' });
  expect(decisions.find((d) => d.deployment === 'timeline')?.reason).toMatch(/modified/);
  expect(api.replicas('timeline')).toBe(2);
});

test('when NATS cannot be asked, nothing is scaled', async () => {
  const autoscaler = new BacklogAutoscaler({ config, scale: kube, backlog: () => Promise.reject(new Error('connection refused')) });
  const decisions = await autoscaler.tick();
  expect(decisions.map((d) => d.action)).toEqual(['skipped', 'skipped', 'skipped']);
  expect(api.requests).toEqual([]);
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
