/**
 * The dead-letter queue: messages no handler could process, each with the consumer, the reason,
 * the tries and the time, and the original body. Operators list, replay and purge them with
 * `lumina-ops dlq` (infra/ops); what they need from the stream is here.
 *
 * A letter's id is its sequence in the DLQ stream. Replaying one republishes its original on the
 * replay subject of the consumer that failed it, `<subject>.replay.<service>`
 * (`lumina.user.created.replay.timeline`): it lands in the original's stream, and only that
 * service's consumer filters on it besides the event's own subject, so the other services that
 * consume the event never see the replay. The letter is deleted once the replay is stored: a
 * replay that fails again comes back as a new letter (its subject ends in `.replay.<service>`).
 */
import { headers } from '@nats-io/nats-core';
import type { JsMsg, StoredMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import { isNotFound, streamNameFor, subjectFor, type EventBus } from './bus';
import type { EventDefinition } from './catalogue';

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

/** A letter as the DLQ stream holds it: its id (the DLQ sequence) and the event type. */
export interface StoredDeadLetter extends DeadLetter {
  id: number;
  eventType: string;
}

export function deadLetterSubject(bus: EventBus, service: string, eventType: string): string {
  return `${bus.ns.subjectPrefix}.dlq.${service}.${eventType}`;
}

/** The subject a replay of `event` to `service`'s consumer is published on; see the file's head. */
export function replaySubjectFor(ns: EventBus['ns'], service: string, event: Pick<EventDefinition, 'type'>): string {
  return `${subjectFor(ns, event)}.replay.${service}`;
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

/** Which letters an operator means. Every field narrows; `reason` matches a part of the reason, ignoring case. */
export interface DeadLetterFilter {
  service?: string;
  /** The event type, `user.created`. */
  event?: string;
  reason?: string;
  id?: number;
}

/** The DLQ subject a filter narrows the stream to (the service and event are subject tokens). */
export function deadLetterFilterSubject(bus: EventBus, filter: Pick<DeadLetterFilter, 'service' | 'event'>): string {
  return `${bus.ns.subjectPrefix}.dlq.${filter.service ?? '*'}.${filter.event ?? '>'}`;
}

function matches(letter: StoredDeadLetter, filter: DeadLetterFilter): boolean {
  return (
    (filter.service === undefined || letter.service === filter.service) &&
    (filter.event === undefined || letter.eventType === filter.event) &&
    (filter.id === undefined || letter.id === filter.id) &&
    (filter.reason === undefined || letter.reason.toLowerCase().includes(filter.reason.toLowerCase()))
  );
}

function parseStored(bus: EventBus, id: number, subject: string, data: Uint8Array): StoredDeadLetter {
  const text = Buffer.from(data).toString('utf8');
  // <prefix>.dlq.<service>.<event type>
  const [service = '?', ...eventTokens] = subject.slice(`${bus.ns.subjectPrefix}.dlq.`.length).split('.');
  const eventType = eventTokens.join('.');
  let letter: DeadLetter;
  try {
    letter = deadLetterSchema.parse(JSON.parse(text));
  } catch (err) {
    // Not written by sendToDeadLetter: still listed, counted and purgeable, never replayable.
    const reason = `not a Lumina dead letter: ${(err as Error).message.slice(0, 200)}`;
    letter = { reason, service, consumer: '', subject: '', stream: '', streamSequence: 0, deliveryCount: 0, failedAt: '', original: text };
  }
  return { ...letter, id, eventType };
}

/**
 * Every letter the filter selects, oldest first, read in batches by an ordered consumer on the
 * filter's subject: memory stays one batch whatever the DLQ holds.
 */
export async function* scanDeadLetters(
  bus: EventBus,
  filter: DeadLetterFilter = {},
  options: { batch?: number } = {},
): AsyncGenerator<StoredDeadLetter> {
  if (filter.id !== undefined) {
    const one = await getDeadLetter(bus, filter.id);
    if (one && matches(one, filter)) yield one;
    return;
  }
  const stream = streamNameFor(bus.ns, 'DLQ');
  const { state } = await bus.jsm.streams.info(stream);
  if (state.messages === 0) return;
  // Letters that arrive during the scan (a replay failing again) wait for the next one, so a
  // replay of everything ends.
  const lastAtStart = state.last_seq;
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: deadLetterFilterSubject(bus, filter) });
  try {
    for (;;) {
      let caughtUp = false;
      let got = 0;
      const messages = await consumer.fetch({ max_messages: options.batch ?? 500, expires: 1000 });
      for await (const m of messages) {
        got += 1;
        if (m.seq > lastAtStart) {
          caughtUp = true;
          break;
        }
        const letter = parseStored(bus, m.seq, m.subject, m.data);
        if (matches(letter, filter)) yield letter;
        if (m.info.pending === 0 || m.seq === lastAtStart) {
          caughtUp = true;
          break;
        }
      }
      if (caughtUp || got === 0) return;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

/** Reads every dead letter (for tests; operators use scanDeadLetters through lumina-ops). */
export async function readDeadLetters(bus: EventBus, options: { max?: number } = {}): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for await (const letter of scanDeadLetters(bus)) {
    letters.push(letter);
    if (options.max !== undefined && letters.length >= options.max) break;
  }
  return letters;
}

/** One letter by its id, or undefined when there is none (never was, purged or replayed). */
export async function getDeadLetter(bus: EventBus, id: number): Promise<StoredDeadLetter | undefined> {
  let stored: StoredMsg | null;
  try {
    stored = await bus.jsm.streams.getMessage(streamNameFor(bus.ns, 'DLQ'), { seq: id });
  } catch (err) {
    if (isNotFound(err) || /no message found/i.test(String((err as Error).message))) return undefined;
    throw err;
  }
  if (!stored) return undefined;
  return parseStored(bus, stored.seq, stored.subject, stored.data);
}

export interface ReplayResult {
  id: number;
  subject: string;
  /** The replay's sequence in the original's stream. */
  sequence: number;
  /** JetStream already held this replay (the letter was replayed before, within the duplicate window). */
  duplicate: boolean;
}

/**
 * Republishes a letter's original to its consumer only, then deletes the letter. The message id
 * is the letter's, so a replay repeated (two operators, a crash between publish and delete)
 * within the stream's duplicate window is stored once; past it, the consumers' version rules
 * make the second copy harmless.
 */
export async function replayDeadLetter(bus: EventBus, letter: StoredDeadLetter): Promise<ReplayResult> {
  if (!letter.consumer)
    throw new Error(`letter ${letter.id} was not written by a Lumina listener and cannot be replayed (${letter.reason})`);
  const subject = replaySubjectFor(bus.ns, letter.service, { type: letter.eventType });
  const h = headers();
  h.set('Lumina-Replay-Of', String(letter.id));
  const ack = await bus.js.publish(subject, letter.original, { msgID: `replay:${streamNameFor(bus.ns, 'DLQ')}:${letter.id}`, headers: h });
  await deleteDeadLetter(bus, letter.id);
  return { id: letter.id, subject, sequence: ack.seq, duplicate: ack.duplicate };
}

/** Deletes one letter; answers false when it was already gone. */
export async function deleteDeadLetter(bus: EventBus, id: number): Promise<boolean> {
  try {
    return await bus.jsm.streams.deleteMessage(streamNameFor(bus.ns, 'DLQ'), id, false);
  } catch (err) {
    if (isNotFound(err) || /no message found/i.test(String((err as Error).message))) return false;
    throw err;
  }
}

/** Deletes every letter the filter selects: by subject in one request when it can, else one by one. */
export async function purgeDeadLetters(bus: EventBus, filter: DeadLetterFilter): Promise<number> {
  if (filter.reason === undefined && filter.id === undefined) {
    const stream = streamNameFor(bus.ns, 'DLQ');
    const all = filter.service === undefined && filter.event === undefined;
    const response = await bus.jsm.streams.purge(stream, all ? undefined : { filter: deadLetterFilterSubject(bus, filter) });
    return response.purged;
  }
  const ids: number[] = [];
  for await (const letter of scanDeadLetters(bus, filter)) ids.push(letter.id);
  let deleted = 0;
  for (const id of ids) if (await deleteDeadLetter(bus, id)) deleted += 1;
  return deleted;
}
