/** Retention limits on the real JetStream: applied on provisioning, enforced by NATS, watched by the monitor. */
import pino from 'pino';
import {
  DEFAULT_STREAM_LIMITS,
  Events,
  Listener,
  baseServiceEnv,
  metrics,
  parseConfig,
  provisionStreams,
  publishEnvelope,
  createEnvelope,
  streamLimitsFrom,
  streamNameFor,
  StreamLimitsMonitor,
  ConfigError,
  type EventBus,
  type HandleResult,
  type StreamLimits,
} from '../src';
import { TestContext, eventually } from '../src/testing';
import { user } from './helpers';

const ctx = new TestContext();
let bus: EventBus;
const HOUR_MS = 3600_000;

beforeAll(async () => {
  bus = await ctx.eventBus('limits');
});
afterAll(() => ctx.cleanup());

const limitsOf = async (stream: 'USERS' | 'POSTS' | 'MEDIA' | 'MEDIA_JOBS' | 'DLQ') => {
  const { config } = await bus.jsm.streams.info(streamNameFor(bus.ns, stream));
  return { maxAgeMs: config.max_age / 1e6, maxBytes: config.max_bytes };
};
const withLimit = (stream: keyof StreamLimits, maxAgeMs: number, maxBytes: number): StreamLimits => ({
  ...DEFAULT_STREAM_LIMITS,
  [stream]: { maxAgeMs, maxBytes },
});

/** A consumer that never acknowledges: the monitor's view of a service that fell behind. */
class StalledListener extends Listener<typeof Events.userCreated> {
  readonly event = Events.userCreated;
  protected async handle(): Promise<HandleResult> {
    return 'retry';
  }
}

describe('configuration', () => {
  test('defaults: event streams keep 7 days or 1 GiB, the DLQ 30 days', () => {
    const config = parseConfig(baseServiceEnv, {});
    expect(streamLimitsFrom(config)).toEqual({
      USERS: { maxAgeMs: 7 * 24 * HOUR_MS, maxBytes: 1024 ** 3 },
      POSTS: { maxAgeMs: 7 * 24 * HOUR_MS, maxBytes: 1024 ** 3 },
      MEDIA: { maxAgeMs: 7 * 24 * HOUR_MS, maxBytes: 1024 ** 3 },
      MEDIA_JOBS: { maxAgeMs: 7 * 24 * HOUR_MS, maxBytes: 1024 ** 3 },
      DLQ: { maxAgeMs: 30 * 24 * HOUR_MS, maxBytes: 1024 ** 3 },
    });
  });

  test('the environment sets them for all event streams, and STREAM_LIMITS per stream', () => {
    const config = parseConfig(baseServiceEnv, {
      STREAM_MAX_AGE_HOURS: '48',
      STREAM_MAX_BYTES: '5000000',
      DLQ_MAX_AGE_HOURS: '100',
      STREAM_LIMITS: '{"USERS": {"maxAgeHours": 0}, "POSTS": {"maxBytes": 7000000}}',
    });
    const limits = streamLimitsFrom(config);
    expect(limits.USERS).toEqual({ maxAgeMs: 0, maxBytes: 5_000_000 });
    expect(limits.POSTS).toEqual({ maxAgeMs: 48 * HOUR_MS, maxBytes: 7_000_000 });
    expect(limits.MEDIA).toEqual({ maxAgeMs: 48 * HOUR_MS, maxBytes: 5_000_000 });
    expect(limits.DLQ).toEqual({ maxAgeMs: 100 * HOUR_MS, maxBytes: 1024 ** 3 });
  });

  test('a bad STREAM_LIMITS stops start-up with a message naming it', () => {
    for (const bad of ['{not json', '{"NOPE": {"maxBytes": 1}}', '{"USERS": {"maxAge": 1}}', '{"USERS": {"maxBytes": -5}}']) {
      expect(() => parseConfig(baseServiceEnv, { STREAM_LIMITS: bad })).toThrow(ConfigError);
      expect(() => parseConfig(baseServiceEnv, { STREAM_LIMITS: bad })).toThrow(/STREAM_LIMITS/);
    }
  });
});

describe('provisioning', () => {
  test('the streams get the limits, and an existing stream is updated to new ones', async () => {
    expect(await limitsOf('POSTS')).toEqual(DEFAULT_STREAM_LIMITS.POSTS);
    expect(await limitsOf('DLQ')).toEqual(DEFAULT_STREAM_LIMITS.DLQ);
    await provisionStreams(bus, ['POSTS'], { replicas: 1, limits: withLimit('POSTS', 2 * HOUR_MS, 50_000_000) });
    expect(await limitsOf('POSTS')).toEqual({ maxAgeMs: 2 * HOUR_MS, maxBytes: 50_000_000 });
  });

  test("only the stream's owner changes an existing stream's limits; the others only create missing ones", async () => {
    const changed = withLimit('USERS', 3 * HOUR_MS, 40_000_000);
    await provisionStreams(bus, ['USERS'], { replicas: 1, limits: changed, service: 'search' });
    expect(await limitsOf('USERS')).toEqual(DEFAULT_STREAM_LIMITS.USERS);
    await provisionStreams(bus, ['USERS'], { replicas: 1, limits: changed, service: 'auth' });
    expect(await limitsOf('USERS')).toEqual({ maxAgeMs: 3 * HOUR_MS, maxBytes: 40_000_000 });
  });

  test('past max_bytes NATS drops the oldest messages, so the stream stays within its limit', async () => {
    await provisionStreams(bus, ['MEDIA'], { replicas: 1, limits: withLimit('MEDIA', HOUR_MS, 4000) });
    for (let i = 0; i < 40; i += 1) {
      await publishEnvelope(bus, createEnvelope(Events.mediaDeleted, { id: `m${i}`, ownerId: 'owner', version: 1 }));
    }
    const { state } = await bus.jsm.streams.info(streamNameFor(bus.ns, 'MEDIA'));
    expect(state.bytes).toBeLessThanOrEqual(4000);
    expect(state.first_seq).toBeGreaterThan(1);
    expect(state.last_seq).toBe(40);
  });
});

describe('the monitor', () => {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg as string) });

  test('warns before a stream reaches its byte limit, and exports its use', async () => {
    await provisionStreams(bus, ['DLQ'], { replicas: 1, limits: withLimit('DLQ', HOUR_MS, 10_000) });
    const monitor = new StreamLimitsMonitor(bus, { streams: ['DLQ'], consumers: [], log });
    expect((await monitor.check()).warnings).toEqual([]);
    const stream = streamNameFor(bus.ns, 'DLQ');
    for (let i = 0; (await bus.jsm.streams.info(stream)).state.bytes < 8500; i += 1) {
      await bus.js.publish(`${bus.ns.subjectPrefix}.dlq.test.filler`, 'x'.repeat(400), { msgID: `filler-${i}` });
    }
    const report = await monitor.check();
    expect(report.warnings).toEqual([expect.stringMatching(new RegExp(`^stream ${stream} holds \\d+ of its 10000 bytes`))]);
    expect(warnings).toContain(report.warnings[0]);
    const exported = await metrics().registry.getSingleMetricAsString('jetstream_stream_max_bytes');
    expect(exported).toContain(`jetstream_stream_max_bytes{stream="${stream}"} 10000`);
  });

  test('warns once a consumer’s oldest unacknowledged message is older than 80 % of max_age, and exports its backlog', async () => {
    // A 30 s max_age and a warning at a fifth of it: the warning comes after 6 s, long before
    // NATS deletes the message.
    await provisionStreams(bus, ['USERS'], { replicas: 1, limits: withLimit('USERS', 30_000, 1_000_000), duplicateWindowMs: 10_000 });
    const stalled = new StalledListener(bus, { service: 'stalled', backoffMs: [60_000] });
    await stalled.ensureConsumer();
    const monitor = new StreamLimitsMonitor(bus, { streams: ['USERS'], consumers: [stalled], log, warnRatio: 0.2 });
    await publishEnvelope(bus, createEnvelope(Events.userCreated, user('late')));

    const early = await monitor.check();
    expect(early.consumers).toEqual([
      { stream: stalled.streamName, consumer: 'stalled--user-created', pending: 1, redelivered: 0, oldestUnackedAgeMs: expect.any(Number) },
    ]);
    expect(early.consumers[0]!.oldestUnackedAgeMs).toBeLessThan(6000);
    expect(early.warnings).toEqual([]);
    expect(await metrics().registry.getSingleMetricAsString('jetstream_consumer_pending_messages')).toContain(
      `jetstream_consumer_pending_messages{stream="${stalled.streamName}",consumer="stalled--user-created"} 1`,
    );

    const late = await eventually(
      async () => {
        const report = await monitor.check();
        expect(report.warnings).toHaveLength(1);
        return report;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(late.warnings[0]).toMatch(/^consumer stalled--user-created is \d+ s behind on .*USERS, whose messages are deleted after 30 s/);
    expect(late.consumers[0]!.oldestUnackedAgeMs).toBeGreaterThanOrEqual(6000);
    expect(warnings).toContain(late.warnings[0]);
  }, 30_000);

  test('exports how many of a consumer’s messages were delivered again and wait for an ack: a handler failing', async () => {
    const failing = new StalledListener(bus, { service: 'failing', backoffMs: [100], maxDeliver: 1000 });
    await publishEnvelope(bus, createEnvelope(Events.userCreated, user('retried')));
    await failing.start();
    try {
      const monitor = new StreamLimitsMonitor(bus, { streams: ['USERS'], consumers: [failing], log });
      const report = await eventually(async () => {
        const r = await monitor.check();
        expect(r.consumers[0]?.redelivered).toBeGreaterThan(0);
        return r;
      });
      const { pending, redelivered } = report.consumers[0]!;
      expect(redelivered).toBeLessThanOrEqual(pending);
      expect(await metrics().registry.getSingleMetricAsString('jetstream_consumer_redelivered_messages')).toContain(
        `jetstream_consumer_redelivered_messages{stream="${failing.streamName}",consumer="failing--user-created"} ${redelivered}`,
      );
    } finally {
      await failing.stop();
    }
  });
});
