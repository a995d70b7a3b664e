import { DeliverPolicy } from '@nats-io/jetstream';
import type { EventData, EventDefinition } from '../events/catalogue';
import { parseEnvelope, type EnvelopeOf } from '../events/envelope';
import { streamNameFor, subjectFor, type EventBus } from '../events/bus';

/** Retries an assertion until it passes or the time is up; the last failure is thrown. */
export async function eventually<T>(
  assertion: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await assertion();
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

export interface EventCollector<E extends EventDefinition> {
  readonly received: Array<EnvelopeOf<E>>;
  /** Resolves with the first event (already received or still to come) that matches. */
  waitFor(predicate?: (data: EventData<E>) => boolean, timeoutMs?: number): Promise<EnvelopeOf<E>>;
  /** Resolves once every matching event already in the stream has been received. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads every event of a type from the start of its stream, so nothing published before the
 * call is missed (unlike a plain subscription).
 */
export async function collectEvents<E extends EventDefinition>(bus: EventBus, event: E): Promise<EventCollector<E>> {
  const consumer = await bus.js.consumers.get(streamNameFor(bus.ns, event.stream), {
    filter_subjects: [subjectFor(bus.ns, event)],
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume();
  const received: Array<EnvelopeOf<E>> = [];
  const waiters = new Set<() => void>();
  let lastSeq = 0;
  void (async () => {
    for await (const m of messages) {
      received.push(parseEnvelope(event, m.data));
      lastSeq = m.seq;
      for (const wake of waiters) wake();
    }
  })();
  return {
    received,
    async waitFor(predicate = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find((e) => predicate(e.data));
        if (found) return found;
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no ${event.type} event matched within ${timeoutMs} ms (received ${received.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
        });
      }
    },
    async caughtUp(timeoutMs = 10_000) {
      await eventually(
        async () => {
          // Nothing left for this reader in the stream, and the last message it was sent is in `received`.
          const info = await consumer.info();
          if (info.num_pending > 0 || info.delivered.stream_seq > lastSeq)
            throw new Error(`the ${event.type} collector is behind (${info.num_pending} not yet delivered)`);
        },
        { timeoutMs },
      );
    },
    async stop() {
      await messages.close();
    },
  };
}

/**
 * Waits, if need be, until at least `marginMs` remain in the current clock-aligned window, so a
 * test of a fixed-window limit (MongoRateLimitStore) does not straddle two windows.
 */
export async function clearOfWindowEdge(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}
