/**
 * NATS users and permissions on a nats-server of this file's own, configured exactly as
 * production is (the default namespace, stream names spelled out): each service may do its own
 * work and nothing of another's.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import {
  DEFAULT_NAMESPACE,
  Events,
  Listener,
  SERVICES,
  SERVICE_CONSUMES,
  closeEventBus,
  connectEventBus,
  createEnvelope,
  exactNamespace,
  provisionStreams,
  publishEnvelope,
  readDeadLetters,
  streamsOf,
  StreamLimitsMonitor,
  subjectFor,
  type EventBus,
  type EventData,
  type EventDefinition,
  type HandleResult,
  type ServiceName,
} from '../src';
import { eventually, generateNatsUsers, startNatsServer, testLogger, type NatsPasswords } from '../src/testing';
import { user } from './helpers';

type UserUpdated = typeof Events.userUpdated;

/** Records the user.updated events a service's consumer is handed. */
class UserUpdatedRecorder extends Listener<UserUpdated> {
  readonly event = Events.userUpdated;
  readonly seen: Array<EventData<UserUpdated>> = [];
  protected async handle(data: EventData<UserUpdated>): Promise<HandleResult> {
    this.seen.push(data);
  }
}

/** Any consumed event; handing it a payload that fails its schema sends it to the DLQ. */
class AnyEventListener extends Listener<EventDefinition> {
  constructor(
    bus: EventBus,
    service: string,
    readonly event: EventDefinition,
  ) {
    super(bus, { service, backoffMs: [100] });
  }
  protected async handle(): Promise<HandleResult> {}
}

let nats: Awaited<ReturnType<typeof startNatsServer>>;
let passwords: NatsPasswords;
const buses: EventBus[] = [];
const listeners: Listener<EventDefinition>[] = [];

async function busAs(user: string): Promise<EventBus> {
  const bus = await connectEventBus({ servers: nats.url, name: user, ns: DEFAULT_NAMESPACE, log: testLogger, user, pass: passwords[user] });
  buses.push(bus);
  return bus;
}

beforeAll(async () => {
  const generated = generateNatsUsers(exactNamespace(DEFAULT_NAMESPACE));
  passwords = generated.passwords;
  nats = await startNatsServer({
    data: { dir: mkdtempSync(join(tmpdir(), 'lumina-nats-auth-')), temporary: true },
    users: generated.users,
  });
  // Every service provisions what it needs with its own user, as each does at start-up.
  for (const service of SERVICES) {
    await provisionStreams(await busAs(service), streamsOf(service), { replicas: 1, service });
  }
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
  await Promise.all(buses.map((b) => closeEventBus(b)));
  await nats?.stop();
});

const refused = /permission|authorization/i;

test('a connection without a user, or with a wrong password, is refused', async () => {
  await expect(connect({ servers: nats.url, maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(refused);
  await expect(connect({ servers: nats.url, reconnect: false, user: 'posts', pass: 'not-the-password' })).rejects.toThrow(refused);
});

test("posts' credentials cannot publish a user.updated: the publish is refused and no consumer is handed it", async () => {
  const [auth, posts, timeline] = [buses[0], await busAs('posts'), await busAs('timeline')];
  const recorder = new UserUpdatedRecorder(timeline, { service: 'timeline' });
  listeners.push(recorder);
  await recorder.start();

  const forged = createEnvelope(Events.userUpdated, { ...user('victim'), displayName: 'forged', version: 2147483647 });
  await expect(publishEnvelope(posts, forged, { timeoutMs: 3000 })).rejects.toThrow(refused);
  const genuine = createEnvelope(Events.userUpdated, { ...user('victim'), displayName: 'genuine', version: 2 });
  await publishEnvelope(auth!, genuine);

  await eventually(() => expect(recorder.seen.map((u) => u.displayName)).toContain('genuine'));
  expect(recorder.seen.map((u) => u.displayName)).toEqual(['genuine']);
  expect((await auth!.jsm.streams.info('USERS')).state.messages).toBe(1);
});

test("no service may take messages from another's consumer, nor change or delete another's stream", async () => {
  const posts = await busAs('posts');
  // timeline's consumer exists (the test above made it); posts may not read from it.
  await expect(posts.js.consumers.get('USERS', 'timeline--user-updated')).rejects.toThrow(refused);
  await expect(
    posts.nc.request('$JS.API.CONSUMER.MSG.NEXT.USERS.timeline--user-updated', '{"batch":1}', { timeout: 3000 }),
  ).rejects.toThrow(refused);
  await expect(posts.jsm.streams.update('USERS', { max_msgs: 1 })).rejects.toThrow(refused);
  await expect(posts.jsm.streams.purge('USERS')).rejects.toThrow(refused);
  await expect(posts.jsm.streams.delete('USERS')).rejects.toThrow(refused);
  await expect(posts.jsm.consumers.delete('USERS', 'timeline--user-updated')).rejects.toThrow(refused);
});

test('search replays a stream with an ordered consumer, but cannot pull from another service’s durable consumer', async () => {
  const search = await busAs('search');
  const ordered = await search.js.consumers.get('USERS');
  const first = await ordered.next({ expires: 5000 });
  expect(first?.subject).toBe('lumina.user.updated');
  await expect(
    search.nc.request('$JS.API.CONSUMER.MSG.NEXT.USERS.timeline--user-updated', '{"batch":1}', { timeout: 3000 }),
  ).rejects.toThrow(refused);
});

test.each(SERVICES)(
  '%s, with its own user, creates each of its consumers, consumes from it, dead-letters what it cannot handle and watches its limits',
  async (service: ServiceName) => {
    const bus = await busAs(service);
    const publisherOf = (event: EventDefinition) => busAs(event.stream === 'USERS' ? 'auth' : event.stream === 'POSTS' ? 'posts' : 'media');
    for (const name of SERVICE_CONSUMES[service]) {
      const event = Events[name];
      const listener = new AnyEventListener(bus, service, event);
      listeners.push(listener);
      await listener.start();
      // A payload that fails the schema: the listener takes it, acks (terminates) it and dead-letters it.
      await (await publisherOf(event)).js.publish(subjectFor(DEFAULT_NAMESPACE, event), JSON.stringify({ broken: service }));
      await eventually(
        async () => {
          const info = await bus.jsm.consumers.info(listener.streamName, listener.durableName);
          expect(info.num_pending + info.num_ack_pending).toBe(0);
        },
        { timeoutMs: 20_000 },
      );
    }
    // Reading the DLQ is the operator's (admin) job: no service may.
    const letters = (await readDeadLetters(await busAs('admin'))).filter((l) => l.service === service);
    expect(letters.length).toBeGreaterThanOrEqual(SERVICE_CONSUMES[service].length);

    // The stream limits monitor reads its streams and consumers, and the age of a waiting message.
    const own = listeners.filter((l) => l instanceof AnyEventListener && l.durableName.startsWith(`${service}--`));
    await own[0]!.stop();
    await (await publisherOf(own[0]!.event)).js.publish(subjectFor(DEFAULT_NAMESPACE, own[0]!.event), '{}');
    const report = await new StreamLimitsMonitor(bus, { streams: streamsOf(service), consumers: own, log: testLogger }).check();
    expect(report.streams.map((s) => s.stream).sort()).toEqual(streamsOf(service).sort());
    expect(report.consumers.find((c) => c.consumer === own[0]!.durableName)).toMatchObject({
      pending: 1,
      oldestUnackedAgeMs: expect.any(Number),
    });
  },
);

test('every service may publish its own events', async () => {
  for (const [service, event] of [
    ['auth', Events.userFollowed],
    ['posts', Events.commentCreated],
    ['media', Events.mediaReady],
    ['media', Events.mediaProcessRequested],
  ] as const) {
    const bus = await busAs(service);
    const ack = await bus.js.publish(subjectFor(DEFAULT_NAMESPACE, event), JSON.stringify({ from: service }));
    expect(ack.seq).toBeGreaterThan(0);
  }
});
