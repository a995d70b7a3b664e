import { headers } from '@nats-io/nats-core';
import type { JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import { streamNameFor, type EventBus } from './bus';

/** What the DLQ stream holds for each message no handler could process. */
export const deadLetterSchema = z.object({
  reason: z.string(),
  service: z.string(),
  consumer: z.string(),
  subject: z.string(),
  stream: z.string(),
  streamSequence: z.number(),
  deliveryCount: z.number(),
  failedAt: z.string(),
  /** The original message body, as UTF-8 text. */
  original: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export function deadLetterSubject(bus: EventBus, service: string, eventType: string): string {
  return `${bus.ns.subjectPrefix}.dlq.${service}.${eventType}`;
}

/**
 * Copies a message to the DLQ stream with the reason. The id is derived from the original's
 * stream position and consumer, so a retried dead-lettering stores one copy.
 */
export async function sendToDeadLetter(bus: EventBus, msg: JsMsg, service: string, eventType: string, reason: string): Promise<void> {
  const letter: DeadLetter = {
    reason: reason.slice(0, 2000),
    service,
    consumer: msg.info.consumer,
    subject: msg.subject,
    stream: msg.info.stream,
    streamSequence: msg.info.streamSequence,
    deliveryCount: msg.info.deliveryCount,
    failedAt: new Date().toISOString(),
    original: Buffer.from(msg.data).toString('utf8'),
  };
  const h = headers();
  h.set('Lumina-Dlq-Reason', letter.reason.slice(0, 200).replace(/[\r\n]/g, ' '));
  await bus.js.publish(deadLetterSubject(bus, service, eventType), JSON.stringify(letter), {
    msgID: `dlq:${letter.stream}:${letter.streamSequence}:${letter.consumer}`,
    headers: h,
  });
}

/** Reads every dead letter (for operators and tests): an ordered consumer from the start. */
export async function readDeadLetters(bus: EventBus, options: { max?: number; timeoutMs?: number } = {}): Promise<DeadLetter[]> {
  const stream = streamNameFor(bus.ns, 'DLQ');
  const info = await bus.jsm.streams.info(stream);
  const total = info.state.messages;
  if (total === 0) return [];
  const consumer = await bus.js.consumers.get(stream);
  const letters: DeadLetter[] = [];
  const messages = await consumer.fetch({ max_messages: Math.min(total, options.max ?? 1000), expires: options.timeoutMs ?? 2000 });
  for await (const m of messages) {
    letters.push(deadLetterSchema.parse(JSON.parse(Buffer.from(m.data).toString('utf8'))));
    if (letters.length >= Math.min(total, options.max ?? 1000)) break;
  }
  return letters;
}
