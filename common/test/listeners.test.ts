// listeners(): a listener in one line behaves as a Listener subclass does (ack, retry, DLQ).
import { Events, listeners, PermanentError, Publisher, readDeadLetters, type EventBus, type HandlerListener } from '../src';
import { TestContext, eventually } from '../src/testing';
import { user } from './helpers';

const ctx = new TestContext();
let bus: EventBus;
let publisher: Publisher<typeof Events.userCreated>;
const running: Array<HandlerListener<typeof Events.userCreated>> = [];

beforeAll(async () => {
  bus = await ctx.eventBus();
  publisher = new Publisher(bus, Events.userCreated);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
});
afterAll(() => ctx.cleanup());

test('the service is named once; each listener is its durable consumer, with the shared options', async () => {
  const handled: Array<{ id: string; attempt: number }> = [];
  const on = listeners(bus, { service: 'one-line', backoffMs: [100], ackWaitMs: 5000 });
  const l = on(Events.userCreated, (data, envelope, { deliveryCount }) => {
    expect(envelope.type).toBe('user.created');
    if (deliveryCount === 1) return 'retry';
    handled.push({ id: data.id, attempt: deliveryCount });
  });
  running.push(l);
  expect(l.durableName).toBe('one-line--user-created');
  await l.start();
  await publisher.publish(user('ol1'));
  await eventually(() => expect(handled).toEqual([{ id: 'ol1', attempt: 2 }]));
  await eventually(async () => expect((await bus.jsm.consumers.info(l.streamName, l.durableName)).num_ack_pending).toBe(0));
});

test('a PermanentError from a one-line handler goes to the DLQ under the shared service name', async () => {
  const on = listeners(bus, { service: 'one-line-dlq', backoffMs: [100] });
  const l = on(Events.userCreated, (data) => {
    if (data.id === 'ol2') throw new PermanentError('no such media');
  });
  running.push(l);
  await l.start();
  await publisher.publish(user('ol2'));
  await eventually(async () => {
    const letters = (await readDeadLetters(bus)).filter((d) => d.service === 'one-line-dlq');
    expect(letters.map((d) => d.reason)).toEqual(['no such media']);
  });
});

test('options given to one listener override the shared ones', async () => {
  const on = listeners(bus, { service: 'one-line-options', maxDeliver: 6 });
  const shared = on(Events.userCreated, () => undefined);
  const own = on(Events.userUpdated, () => undefined, { maxDeliver: 2 });
  await shared.ensureConsumer();
  await own.ensureConsumer();
  // One delivery more than the tries allowed (see Listener.ensureConsumer).
  expect((await bus.jsm.consumers.info(shared.streamName, shared.durableName)).config.max_deliver).toBe(7);
  expect((await bus.jsm.consumers.info(own.streamName, own.durableName)).config.max_deliver).toBe(3);
  expect(own.durableName).toBe('one-line-options--user-updated');
});
