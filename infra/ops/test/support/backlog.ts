/** Real JetStream consumers with a backlog, in a test file's own namespace (TestContext). */
import { AckPolicy } from '@nats-io/jetstream';
import type { EventBus } from '@lumina/common';

/** Creates the durable `<service>--<event>` consumer the service's Listener would create. */
export async function addConsumer(
  bus: EventBus,
  stream: string,
  service: string,
  eventType: string,
  extra: { max_ack_pending?: number } = {},
): Promise<string> {
  const durable = `${service}--${eventType.replace(/\./g, '-')}`;
  await bus.jsm.consumers.add(`${bus.ns.streamPrefix}${stream}`, {
    durable_name: durable,
    filter_subject: `${bus.ns.subjectPrefix}.${eventType}`,
    ack_policy: AckPolicy.Explicit,
    ...extra,
  });
  return durable;
}

export async function publishMany(bus: EventBus, eventType: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await bus.js.publish(`${bus.ns.subjectPrefix}.${eventType}`, JSON.stringify({ n: i }));
  }
}

/** Empties every stream of the namespace and deletes its consumers. */
export async function resetStreams(bus: EventBus): Promise<void> {
  for (const kind of ['USERS', 'POSTS', 'MEDIA', 'MEDIA_JOBS', 'DLQ']) {
    const stream = `${bus.ns.streamPrefix}${kind}`;
    for await (const c of bus.jsm.consumers.list(stream)) await bus.jsm.consumers.delete(stream, c.name);
    await bus.jsm.streams.purge(stream);
  }
}

/** Takes n messages and acknowledges them: work done, backlog gone. */
export async function drain(bus: EventBus, stream: string, durable: string, n: number): Promise<void> {
  const consumer = await bus.js.consumers.get(`${bus.ns.streamPrefix}${stream}`, durable);
  let left = n;
  while (left > 0) {
    const batch = await consumer.fetch({ max_messages: left, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      await m.ackAck();
      got++;
    }
    if (got === 0) throw new Error(`${durable}: ${left} messages never came`);
    left -= got;
  }
}

/**
 * Takes one message, hands it back and takes it again without acknowledging it: one redelivered,
 * waiting for its ack. The consumer needs max_ack_pending 1, so the second take is that message.
 */
export async function redeliverOne(bus: EventBus, stream: string, durable: string): Promise<void> {
  const consumer = await bus.js.consumers.get(`${bus.ns.streamPrefix}${stream}`, durable);
  for (const handBack of [true, false]) {
    const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      if (handBack) m.nak();
    }
    if (got === 0) throw new Error(`${durable}: no message to redeliver`);
  }
}
