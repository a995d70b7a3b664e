import { headers } from '@nats-io/nats-core';
import { metrics } from '../metrics';
import type { EventData, EventDefinition } from './catalogue';
import { createEnvelope, type Envelope, type EnvelopeOf } from './envelope';
import { subjectFor, type EventBus } from './bus';

export interface PublishResult {
  seq: number;
  duplicate: boolean;
}

/**
 * Publishes a stored envelope and awaits JetStream's ack. The envelope id is the Nats-Msg-Id,
 * so publishing the same envelope again inside the duplicate window stores nothing new.
 */
export async function publishEnvelope(bus: EventBus, envelope: Envelope, options: { timeoutMs?: number } = {}): Promise<PublishResult> {
  const h = headers();
  h.set('Lumina-Event-Type', envelope.type);
  h.set('Lumina-Correlation-Id', envelope.correlationId);
  const ack = await bus.js.publish(subjectFor(bus.ns, envelope), JSON.stringify(envelope), {
    msgID: envelope.id,
    headers: h,
    timeout: options.timeoutMs ?? 5000,
  });
  if (!ack.duplicate) metrics().eventsPublished.inc({ event: envelope.type });
  return { seq: ack.seq, duplicate: ack.duplicate };
}

/**
 * Typed publisher for one event. Services that change state publish through an outbox
 * instead; this is for events with nothing to write first (media jobs, DLQ, tests).
 */
export class Publisher<E extends EventDefinition> {
  constructor(
    private readonly bus: EventBus,
    readonly event: E,
  ) {}

  async publish(data: EventData<E>, meta: { correlationId?: string; id?: string } = {}): Promise<EnvelopeOf<E>> {
    const envelope = createEnvelope(this.event, data, meta);
    await publishEnvelope(this.bus, envelope);
    return envelope;
  }
}
