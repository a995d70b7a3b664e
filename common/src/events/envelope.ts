import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EventData, EventDefinition } from './catalogue';

/** What travels on the wire for every event. `id` is also the JetStream Nats-Msg-Id. */
export interface Envelope<D = unknown, T extends string = string> {
  id: string;
  type: T;
  schemaVersion: number;
  occurredAt: string;
  correlationId: string;
  data: D;
}

export type EnvelopeOf<E extends EventDefinition> = Envelope<EventData<E>, E['type']>;

export const envelopeSchema = z.object({
  id: z.string().min(1).max(64),
  type: z.string().min(1).max(100),
  schemaVersion: z.number().int().positive(),
  occurredAt: z.string().min(1),
  correlationId: z.string().min(1).max(128),
  data: z.unknown(),
});

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Checks the data against the event's schema and wraps it; a bad payload never leaves. */
export function createEnvelope<E extends EventDefinition>(
  event: E,
  data: EventData<E>,
  meta: { correlationId?: string; id?: string; occurredAt?: Date } = {},
): EnvelopeOf<E> {
  const parsed = event.schema.safeParse(data);
  if (!parsed.success) {
    throw new InvalidEventError(`${event.type}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  const id = meta.id ?? randomUUID();
  return {
    id,
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: (meta.occurredAt ?? new Date()).toISOString(),
    correlationId: meta.correlationId ?? id,
    data: parsed.data as EventData<E>,
  };
}

/** Reads and checks an envelope of a known event from raw bytes. */
export function parseEnvelope<E extends EventDefinition>(event: E, raw: Uint8Array | string): EnvelopeOf<E> {
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch {
    throw new InvalidEventError('payload is not JSON');
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw new InvalidEventError('payload is not an event envelope');
  if (envelope.data.type !== event.type) throw new InvalidEventError(`expected ${event.type}, got ${envelope.data.type}`);
  if (envelope.data.schemaVersion > event.schemaVersion) {
    throw new InvalidEventError(
      `${event.type} schema version ${envelope.data.schemaVersion} is newer than this service knows (${event.schemaVersion})`,
    );
  }
  const data = event.schema.safeParse(envelope.data.data);
  if (!data.success) {
    throw new InvalidEventError(`${event.type}: ${data.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  return { ...envelope.data, type: event.type, data: data.data } as EnvelopeOf<E>;
}
