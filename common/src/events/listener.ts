/**
 * A typed listener on a durable pull consumer. All replicas of a service share one consumer per
 * event, so each message is handled by one of them. What the handler does decides the message's
 * fate:
 *   - returns normally        → ack
 *   - returns 'retry'          → redelivered after the backoff (e.g. waiting for another event)
 *   - throws PermanentError    → straight to the DLQ, then terminated
 *   - throws anything else     → redelivered after the backoff; after maxDeliver tries, DLQ
 * A payload that does not match the catalogue's schema goes to the DLQ without reaching the
 * handler, and the listener carries on.
 */
import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { metrics } from '../metrics';
import type { EventData, EventDefinition } from './catalogue';
import { parseEnvelope, type EnvelopeOf } from './envelope';
import { durableNameFor, isNotFound, streamNameFor, subjectFor, type EventBus } from './bus';
import { replaySubjectFor, sendToDeadLetter } from './dead-letter';

/** Thrown by a handler for a message that can never succeed (bad reference, broken invariant). */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

export type HandleResult = void | 'retry';

export interface ListenerOptions {
  /** The consuming service; the durable consumer is `<service>--<event>`. */
  service: string;
  /** Messages handled at once by this replica. */
  concurrency?: number;
  /** Tries before a failing message goes to the DLQ. */
  maxDeliver?: number;
  /** How long JetStream waits for an ack before redelivering (the handler's process died). */
  ackWaitMs?: number;
  /** Delay before redelivery after the n-th failed try; the last entry repeats. */
  backoffMs?: number[];
}

export interface HandleContext {
  deliveryCount: number;
  streamSequence: number;
}

const DEFAULTS = {
  concurrency: 8,
  maxDeliver: 6,
  ackWaitMs: 30_000,
  backoffMs: [1_000, 5_000, 15_000, 30_000, 60_000],
};

export abstract class Listener<E extends EventDefinition> {
  abstract readonly event: E;
  protected abstract handle(data: EventData<E>, envelope: EnvelopeOf<E>, context: HandleContext): Promise<HandleResult>;

  private readonly options: Required<ListenerOptions>;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private slotFreed?: () => void;

  constructor(
    protected readonly bus: EventBus,
    options: ListenerOptions,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  get durableName(): string {
    return durableNameFor(this.options.service, this.event);
  }

  get streamName(): string {
    return streamNameFor(this.bus.ns, this.event.stream);
  }

  /**
   * The event's subject, and its replay subject for this service: what `lumina-ops dlq replay`
   * republishes a dead letter on reaches this consumer and no other (dead-letter.ts).
   */
  get filterSubjects(): string[] {
    return [subjectFor(this.bus.ns, this.event), replaySubjectFor(this.bus.ns, this.options.service, this.event)];
  }

  /** Creates or updates the durable consumer; every replica may call it at start-up. */
  async ensureConsumer(): Promise<void> {
    const config: Partial<ConsumerConfig> = {
      durable_name: this.durableName,
      filter_subjects: this.filterSubjects,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs),
      // One delivery more than the tries we allow: if the process dies during the last try, the
      // extra delivery sends the message to the DLQ instead of dropping it silently.
      max_deliver: this.options.maxDeliver + 1,
      max_ack_pending: Math.max(1000, this.options.concurrency * 4),
    };
    try {
      await this.bus.jsm.consumers.info(this.streamName, this.durableName);
      await this.bus.jsm.consumers.update(this.streamName, this.durableName, {
        // A consumer made before replays existed filters on the event's subject alone.
        filter_subject: undefined,
        filter_subjects: config.filter_subjects,
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.bus.jsm.consumers.add(this.streamName, config);
      } catch (addErr) {
        if (!String((addErr as Error).message).includes('already exists')) throw addErr;
      }
    }
  }

  async start(): Promise<void> {
    await this.ensureConsumer();
    const consumer = await this.bus.js.consumers.get(this.streamName, this.durableName);
    this.messages = await consumer.consume({ max_messages: this.options.concurrency });
    this.loop = this.run(this.messages);
  }

  /** Stops pulling, hands back what was buffered, and waits for handlers in flight. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.slotFreed?.();
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      while (this.inFlight.size >= this.options.concurrency && !this.stopping) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
      }
      if (this.stopping) {
        msg.nak(); // let another replica have it now rather than after ack_wait
        continue;
      }
      const task = this.process(msg).finally(() => {
        this.inFlight.delete(task);
        this.slotFreed?.();
      });
      this.inFlight.add(task);
    }
  }

  private backoffFor(deliveryCount: number): number {
    const steps = this.options.backoffMs;
    return steps[Math.min(deliveryCount - 1, steps.length - 1)] ?? 1000;
  }

  private async process(msg: JsMsg): Promise<void> {
    const type = this.event.type;
    const m = metrics();
    const endTimer = m.eventHandlingDuration.startTimer({ event: type });
    const deliveryCount = msg.info.deliveryCount;
    let envelope: EnvelopeOf<E>;
    try {
      envelope = parseEnvelope(this.event, msg.data);
    } catch (err) {
      await this.deadLetter(msg, `invalid payload: ${(err as Error).message}`);
      endTimer();
      return;
    }
    if (deliveryCount > this.options.maxDeliver) {
      await this.deadLetter(msg, `no answer after ${this.options.maxDeliver} tries (the handling process stopped during the last one)`);
      endTimer();
      return;
    }
    // Long handlers keep their claim on the message instead of being redelivered mid-way.
    const keepAlive = setInterval(() => msg.working(), Math.max(500, this.options.ackWaitMs / 2));
    try {
      const result = await this.handle(envelope.data, envelope, { deliveryCount, streamSequence: msg.info.streamSequence });
      if (result === 'retry') {
        await this.retryOrDeadLetter(msg, 'handler asked to retry');
      } else {
        msg.ack();
        m.eventsHandled.inc({ event: type, outcome: 'ack' });
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof PermanentError) {
        await this.deadLetter(msg, reason);
      } else {
        this.bus.log.warn({ err, event: type, deliveryCount }, 'event handler failed');
        await this.retryOrDeadLetter(msg, reason);
      }
    } finally {
      clearInterval(keepAlive);
      endTimer();
    }
  }

  private async retryOrDeadLetter(msg: JsMsg, reason: string): Promise<void> {
    if (msg.info.deliveryCount >= this.options.maxDeliver) {
      await this.deadLetter(msg, `failed after ${msg.info.deliveryCount} tries: ${reason}`);
      return;
    }
    msg.nak(this.backoffFor(msg.info.deliveryCount));
    metrics().eventsHandled.inc({ event: this.event.type, outcome: 'retry' });
  }

  private async deadLetter(msg: JsMsg, reason: string): Promise<void> {
    try {
      await sendToDeadLetter(this.bus, msg, this.options.service, this.event.type, reason);
      msg.term(reason.slice(0, 200));
      metrics().eventsHandled.inc({ event: this.event.type, outcome: 'dead-letter' });
      this.bus.log.error({ event: this.event.type, reason, seq: msg.info.streamSequence }, 'event sent to DLQ');
    } catch (err) {
      // The DLQ is unreachable: keep the message rather than lose it.
      this.bus.log.error({ err }, 'could not dead-letter; will retry');
      msg.nak(this.backoffFor(msg.info.deliveryCount));
    }
  }
}

/** What a listener does with one event; its result decides the message's fate as above. */
export type EventHandler<E extends EventDefinition> = (
  data: EventData<E>,
  envelope: EnvelopeOf<E>,
  context: HandleContext,
) => Promise<HandleResult> | HandleResult;

/** A listener whose handling is a function: what `listeners()` builds. */
export class HandlerListener<E extends EventDefinition> extends Listener<E> {
  constructor(
    bus: EventBus,
    readonly event: E,
    private readonly handler: EventHandler<E>,
    options: ListenerOptions,
  ) {
    super(bus, options);
  }

  protected async handle(data: EventData<E>, envelope: EnvelopeOf<E>, context: HandleContext): Promise<HandleResult> {
    return this.handler(data, envelope, context);
  }
}

/**
 * A service's listeners, named once: `const on = listeners(bus, { service: 'search' })`, then one
 * line per consumed event, `on(Events.postCreated, (data) => …)`, each a durable consumer
 * `<service>--<event>` with the same retries, DLQ and acks as a Listener subclass. Options given to
 * one `on` call override the shared ones for that listener. Subclass Listener for a listener that
 * needs more (work of its own on start or stop).
 */
export function listeners(bus: EventBus, options: ListenerOptions) {
  return <E extends EventDefinition>(event: E, handler: EventHandler<E>, overrides: Omit<ListenerOptions, 'service'> = {}) =>
    new HandlerListener(bus, event, handler, { ...options, ...overrides });
}
