/**
 * The event pipeline's backlog: messages every durable consumer of the namespace has still to
 * take (pending) or to finish (unacknowledged). Zero means every service has caught up, which is
 * when a measurement may start without yesterday's work in it.
 */
import type { EventBus } from '@lumina/common';
import { ProgressBar, sleep } from '@lumina/datasets';

export interface ConsumerBacklog {
  stream: string;
  consumer: string;
  pending: number;
  unacked: number;
}

export async function backlog(bus: EventBus): Promise<ConsumerBacklog[]> {
  const out: ConsumerBacklog[] = [];
  for await (const stream of bus.jsm.streams.list()) {
    const name = stream.config.name;
    if (!name.startsWith(bus.ns.streamPrefix) || name.endsWith('DLQ')) continue;
    for await (const info of bus.jsm.consumers.list(name)) {
      out.push({ stream: name, consumer: info.name, pending: info.num_pending, unacked: info.num_ack_pending });
    }
  }
  return out;
}

export function total(items: ConsumerBacklog[]): number {
  return items.reduce((sum, c) => sum + c.pending + c.unacked, 0);
}

/** Messages waiting in one service's consumers (`timeline--user-followed`, …). */
export async function backlogOf(bus: EventBus, consumerPrefix: string): Promise<number> {
  return total((await backlog(bus)).filter((c) => c.consumer.startsWith(consumerPrefix)));
}

/**
 * Waits until the whole pipeline has caught up (or the time is up), with a bar of what is left.
 * Answers how long it took and what was left at the end (0 when it caught up).
 */
export async function waitForQuiet(
  bus: EventBus,
  label: string,
  timeoutMs: number,
): Promise<{ ms: number; left: number; busiest?: string }> {
  const started = Date.now();
  let first = total(await backlog(bus));
  if (first === 0) return { ms: 0, left: 0 };
  const bar = new ProgressBar(label, first);
  for (;;) {
    const items = await backlog(bus);
    const left = total(items);
    if (left > first) {
      first = left;
      bar.setTotal(first);
    }
    const busiest = [...items].sort((a, b) => b.pending + b.unacked - (a.pending + a.unacked))[0];
    bar.update(first - left, left > 0 && busiest ? `(${busiest.consumer}: ${busiest.pending + busiest.unacked})` : '');
    if (left === 0 || Date.now() - started > timeoutMs) {
      bar.finish();
      return { ms: Date.now() - started, left, busiest: left > 0 ? busiest?.consumer : undefined };
    }
    await sleep(250);
  }
}
