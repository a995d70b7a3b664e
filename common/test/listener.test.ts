import { AckPolicy } from '@nats-io/jetstream';
import { createEnvelope, Events, Publisher, readDeadLetters, replaySubjectFor, streamNameFor, subjectFor, type EventBus } from '../src';
import { TestContext, eventually } from '../src/testing';
import { PermanentError, RecordingListener, user } from './helpers';

const ctx = new TestContext();
let bus: EventBus;
let publisher: Publisher<typeof Events.userCreated>;
const running: RecordingListener[] = [];

function listener(
  service: string,
  behaviour?: ConstructorParameters<typeof RecordingListener>[2],
  options: { maxDeliver?: number; concurrency?: number } = {},
) {
  const l = new RecordingListener(bus, { service, backoffMs: [200, 400], ackWaitMs: 5000, ...options }, behaviour);
  running.push(l);
  return l;
}

beforeAll(async () => {
  bus = await ctx.eventBus();
  publisher = new Publisher(bus, Events.userCreated);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
});
afterAll(() => ctx.cleanup());

/** A handler's stand-in for work that takes a while. */
const work = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Each test uses ids of its own prefix: a new durable consumer replays the stream from its start. */
const ids = (l: RecordingListener, prefix: string) => l.handled.map((h) => h.id).filter((id) => id.startsWith(prefix));
const lettersFor = async (service: string, prefix: string) =>
  (await readDeadLetters(bus)).filter((d) => d.service === service && String(JSON.parse(d.original)?.data?.id ?? '').startsWith(prefix));

test('an event published once is handled once', async () => {
  const l = listener('once');
  await l.start();
  await publisher.publish(user('u1'));
  await eventually(() => expect(ids(l, 'u1')).toEqual(['u1']));
  await ctx.drained({ services: ['once'] });
  expect(ids(l, 'u1')).toHaveLength(1);
});

test('the same event published twice is handled once', async () => {
  const l = listener('twice');
  await l.start();
  const envelope = await publisher.publish(user('u2'));
  await publisher.publish(user('u2'), { id: envelope.id });
  await eventually(() => expect(ids(l, 'u2')).toEqual(['u2']));
  await ctx.drained({ services: ['twice'] });
  expect(ids(l, 'u2')).toHaveLength(1);
});

test('a handler that throws is retried after a delay and then succeeds', async () => {
  let failedAt = 0;
  const l = listener('flaky', async (data, attempt) => {
    if (data.id === 'u3' && attempt === 1) {
      failedAt = Date.now();
      throw new Error('database hiccup');
    }
  });
  await l.start();
  await publisher.publish(user('u3'));
  await eventually(() => expect(l.handled.filter((h) => h.id === 'u3').map((h) => h.attempt)).toEqual([2]));
  expect(l.handled.find((h) => h.id === 'u3')!.at - failedAt).toBeGreaterThanOrEqual(150);
});

test('a handler that always throws ends in the DLQ with its reason after maxDeliver tries', async () => {
  let attempts = 0;
  const l = listener(
    'doomed',
    async (data) => {
      if (data.id !== 'u4') return;
      attempts += 1;
      throw new Error('always broken');
    },
    { maxDeliver: 3 },
  );
  await l.start();
  await publisher.publish(user('u4'));
  const letter = await eventually(async () => {
    const letters = await lettersFor('doomed', 'u4');
    expect(letters).toHaveLength(1);
    return letters[0]!;
  });
  expect(attempts).toBe(3);
  expect(letter.reason).toContain('always broken');
  expect(letter.deliveryCount).toBe(3);
  expect(JSON.parse(letter.original).data.id).toBe('u4');
});

test('a PermanentError goes straight to the DLQ', async () => {
  let attempts = 0;
  const l = listener('permanent', async (data) => {
    if (data.id !== 'u5') return;
    attempts += 1;
    throw new PermanentError('refers to nothing');
  });
  await l.start();
  await publisher.publish(user('u5'));
  await eventually(async () => expect(await lettersFor('permanent', 'u5')).toHaveLength(1));
  expect(attempts).toBe(1);
});

test('a malformed payload goes to the DLQ and the listener carries on', async () => {
  const l = listener('strict');
  await l.start();
  await bus.js.publish(subjectFor(bus.ns, Events.userCreated), '{"not":"an envelope"}');
  await bus.js.publish(
    subjectFor(bus.ns, Events.userCreated),
    JSON.stringify({
      id: 'x1',
      type: 'user.created',
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      correlationId: 'x1',
      data: { id: 'bad', username: 42 },
    }),
  );
  await publisher.publish(user('u6'));
  await eventually(() => expect(ids(l, 'u6')).toEqual(['u6']));
  const letters = await eventually(async () => {
    const found = (await readDeadLetters(bus)).filter((d) => d.service === 'strict' && !d.original.includes('"username":"user_'));
    expect(found).toHaveLength(2);
    return found;
  });
  expect(letters.map((d) => d.reason).join(' ')).toMatch(/invalid payload/);
});

test('a listener stopped and restarted resumes where it left off and loses nothing', async () => {
  const first = listener('resume');
  await first.start();
  await publisher.publish(user('r1'));
  await eventually(() => expect(ids(first, 'r')).toEqual(['r1']));
  await first.stop();

  await publisher.publish(user('r2'));
  await publisher.publish(user('r3'));

  const second = listener('resume');
  await second.start();
  await eventually(() => expect(ids(second, 'r').sort()).toEqual(['r2', 'r3']));
});

test('two instances of one listener share the messages, each handled by one', async () => {
  const slow = async () => void (await work(20));
  const a = listener('shared', slow, { concurrency: 2 });
  const b = listener('shared', slow, { concurrency: 2 });
  await a.start();
  await b.start();
  const sent = Array.from({ length: 40 }, (_, i) => `s${i}`);
  for (const id of sent) await publisher.publish(user(id));
  await eventually(() => expect(ids(a, 's').length + ids(b, 's').length).toBe(40));
  await ctx.drained({ services: ['shared'] });
  expect([...ids(a, 's'), ...ids(b, 's')].sort()).toEqual([...sent].sort());
  expect(ids(a, 's').length).toBeGreaterThan(0);
  expect(ids(b, 's').length).toBeGreaterThan(0);
});

test('concurrency is bounded', async () => {
  let inFlight = 0;
  let peak = 0;
  // The first handlers wait until three run at once, so "more than one at a time" is a fact the
  // test waits for, not a race between 30 ms of work and the next publish on a busy machine.
  let release: () => void = () => undefined;
  const threeAtOnce = new Promise<void>((resolve) => (release = resolve));
  const l = listener(
    'bounded',
    async (data) => {
      if (!data.id.startsWith('b')) return;
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      if (inFlight === 3) release();
      await threeAtOnce;
      await work(10);
      inFlight -= 1;
    },
    { concurrency: 3 },
  );
  // All in the stream before the listener starts: it has more than it may take at once.
  for (let i = 0; i < 15; i += 1) await publisher.publish(user(`b${i}`));
  await l.start();
  await eventually(() => expect(ids(l, 'b')).toHaveLength(15), { timeoutMs: 20_000 });
  expect(peak).toBe(3);
});

test('a replay reaches the consumer of the service it names, and no other consumer of the event', async () => {
  const named = listener('replay-named');
  const other = listener('replay-other');
  await named.start();
  await other.start();
  const replay = createEnvelope(Events.userCreated, user('p1'));
  await bus.js.publish(replaySubjectFor(bus.ns, 'replay-named', Events.userCreated), JSON.stringify(replay));
  await publisher.publish(user('p2')); // published after the replay: once the other has it, it would have had the replay
  await eventually(() => expect(ids(named, 'p').sort()).toEqual(['p1', 'p2']));
  await eventually(() => expect(ids(other, 'p')).toEqual(['p2']));
});

test('a consumer made before replays existed takes its replay subject on the next start', async () => {
  const stream = streamNameFor(bus.ns, 'USERS');
  await bus.jsm.consumers.add(stream, {
    durable_name: 'older--user-created',
    filter_subject: subjectFor(bus.ns, Events.userCreated),
    ack_policy: AckPolicy.Explicit,
  });
  const l = listener('older');
  await l.start();
  const { config } = await bus.jsm.consumers.info(stream, 'older--user-created');
  expect(config.filter_subjects).toEqual(l.filterSubjects);
  expect(config.filter_subject ?? '').toBe('');
});
