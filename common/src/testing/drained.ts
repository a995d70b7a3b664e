/**
 * "Nothing else will happen": a test that checks an event changed nothing (a duplicate, an older
 * version arriving late) waits until the services have handled everything there is, instead of
 * sleeping and hoping that was long enough on a loaded machine.
 */
import { ALL_STREAMS, isNotFound, streamNameFor, type EventBus } from '../events/bus';

/** Anything that can say how many events it still holds back: an outbox relay. */
export interface HoldsPendingEvents {
  pendingEvents(): Promise<number>;
}

/** An event collector (collectEvents) that can wait until it has read everything published so far. */
export interface CatchesUp {
  caughtUp(timeoutMs?: number): Promise<void>;
}

export interface DrainedOptions {
  /**
   * Only the durable consumers of these services (named `<service>--<event>`). By default every
   * durable consumer in the namespace counts; name the services when a test leaves stopped
   * listeners behind (their consumers keep what is published after they stopped).
   */
  services?: string[];
  /** Outbox relays: the events they have not published yet are not handled yet either. */
  outboxes?: HoldsPendingEvents[];
  /** Collectors the test reads afterwards: each has read every event in the streams by then. */
  collectors?: CatchesUp[];
  timeoutMs?: number;
}

/**
 * Resolves once every durable consumer of the bus's namespace (or of `options.services`) has
 * nothing pending, nothing delivered but unacknowledged and so nothing waiting for a
 * redelivery; the outboxes given hold nothing; and no stream grew meanwhile (an event handled
 * may publish another one, which is then waited for too).
 */
export async function waitForConsumers(bus: EventBus, options: DrainedOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Streams unchanged from before the consumers were read until after the outboxes were:
    // nothing was published meanwhile, so what the consumers had handled is everything.
    const before = await streamSequences(bus);
    const waiting = await consumerBacklog(bus, options.services);
    for (const [i, outbox] of (options.outboxes ?? []).entries()) {
      const pending = await outbox.pendingEvents();
      if (pending > 0) waiting.push(`outbox ${i}: ${pending} unpublished`);
    }
    if ((await streamSequences(bus)) !== before) waiting.push('the streams grew during the check');
    if (waiting.length === 0) break;
    if (Date.now() > deadline) throw new Error(`not drained within ${timeoutMs} ms: ${waiting.join('; ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const collector of options.collectors ?? []) await collector.caughtUp(Math.max(1000, deadline - Date.now()));
}

async function streamSequences(bus: EventBus): Promise<string> {
  const parts: string[] = [];
  for (const stream of ALL_STREAMS) {
    try {
      parts.push(`${stream}:${(await bus.jsm.streams.info(streamNameFor(bus.ns, stream))).state.last_seq}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return parts.join(',');
}

async function consumerBacklog(bus: EventBus, services: string[] | undefined): Promise<string[]> {
  const waiting: string[] = [];
  for (const stream of ALL_STREAMS) {
    const name = streamNameFor(bus.ns, stream);
    try {
      for await (const info of bus.jsm.consumers.list(name)) {
        // Ephemeral consumers are the tests' own readers (collectEvents), not a service's listeners.
        const durable = info.config.durable_name;
        if (!durable) continue;
        if (services && !services.some((s) => durable.startsWith(`${s}--`))) continue;
        if (info.num_pending > 0 || info.num_ack_pending > 0 || info.num_redelivered > 0)
          waiting.push(
            `${durable}: ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged, ${info.num_redelivered} redelivering`,
          );
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return waiting;
}
