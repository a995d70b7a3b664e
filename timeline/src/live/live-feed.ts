/**
 * A plain (not JetStream) NATS subject on which fan-out tells every replica what just landed, so
 * each can wake the streams it holds open. Losing a message costs only latency: streams also catch
 * up on every heartbeat from the stored timeline, which is the source of truth.
 */
import type { BackgroundWorker, EventBus } from '@lumina/common';
import { z } from 'zod';
import type { LandingSink } from '../domain/home-timeline';

const liveMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('landed'), owners: z.array(z.string()).max(1000) }),
  z.object({ kind: z.literal('pulled'), authorId: z.string() }),
]);
export type LiveMessage = z.infer<typeof liveMessage>;

const CHUNK = 1000;

export class LiveFeed implements LandingSink, BackgroundWorker {
  private subscription?: { unsubscribe(): void };
  private readonly handlers = new Set<(message: LiveMessage) => void>();

  constructor(private readonly bus: EventBus) {}

  /** Outside every stream's subjects, so nothing stores these messages. */
  get subject(): string {
    return `${this.bus.ns.subjectPrefix}.live.timeline`;
  }

  landed(ownerIds: string[]): void {
    for (let i = 0; i < ownerIds.length; i += CHUNK) this.publish({ kind: 'landed', owners: ownerIds.slice(i, i + CHUNK) });
  }

  pulledPostLanded(authorId: string): void {
    this.publish({ kind: 'pulled', authorId });
  }

  onMessage(handler: (message: LiveMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  start(): void {
    this.subscription = this.bus.nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err) return;
        let message: LiveMessage;
        try {
          message = liveMessage.parse(JSON.parse(Buffer.from(msg.data).toString('utf8')));
        } catch {
          return;
        }
        for (const handler of this.handlers) handler(message);
      },
    });
  }

  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private publish(message: LiveMessage): void {
    try {
      this.bus.nc.publish(this.subject, JSON.stringify(message));
    } catch (err) {
      this.bus.log.warn({ err }, 'could not publish a live timeline hint');
    }
  }
}
