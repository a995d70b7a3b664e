/**
 * MongoDB outbox: with no multi-document transactions (FerretDB has none), the pending events
 * live inside the very document they describe, written by the same single-document update.
 * The relay finds documents with pending events, publishes them in order, then pulls exactly
 * the published envelopes out. Dying between the two republishes the same envelope ids, which
 * JetStream drops as duplicates and consumers ignore by version.
 */
import type { mongo } from 'mongoose';

type Collection<T extends mongo.Document = mongo.Document> = mongo.Collection<T>;
type Document = mongo.Document;
import type { EventData, EventDefinition } from '../events/catalogue';
import { createEnvelope, type Envelope, type EnvelopeOf } from '../events/envelope';
import { publishEnvelope } from '../events/publisher';
import type { EventBus } from '../events/bus';
import { metrics } from '../metrics';
import { OutboxRelay, type RelayOptions } from './relay';
import { documentKey, documentLock } from '../store/keyed-lock';

/** The field a document's pending events live in. */
export const OUTBOX_FIELD = '_outbox';

/** Add to a mongoose schema: `_outbox: outboxSchemaField`; hidden from normal reads. */
export const outboxSchemaField = { type: [Object], default: undefined, select: false } as const;

export interface PendingEvents {
  [OUTBOX_FIELD]: Envelope[];
}

/** Builds an envelope for a document's outbox; push it with `pushEvents`. */
export function outboxEvent<E extends EventDefinition>(event: E, data: EventData<E>, meta: { correlationId?: string } = {}): EnvelopeOf<E> {
  return createEnvelope(event, data, meta);
}

/** The `$push` part of an update that records events with the change. */
export function pushEvents(...envelopes: Envelope[]): { $push: Document } {
  return { $push: { [OUTBOX_FIELD]: { $each: envelopes } } };
}

export class MongoOutboxRelay extends OutboxRelay {
  constructor(
    private readonly collections: Array<Collection<Document>>,
    private readonly bus: EventBus,
    options: RelayOptions,
  ) {
    super(options);
  }

  async drainOnce(): Promise<number> {
    let published = 0;
    for (const collection of this.collections) {
      const docs = await collection
        .find({ [`${OUTBOX_FIELD}.0`]: { $exists: true } }, { projection: { [OUTBOX_FIELD]: 1 } })
        .limit(this.batchSize)
        .toArray();
      for (const doc of docs) {
        const pending = (doc[OUTBOX_FIELD] ?? []) as Envelope[];
        if (pending.length === 0) continue;
        for (const envelope of pending) await publishEnvelope(this.bus, envelope);
        await this.options.afterPublish?.();
        // $pullAll of the exact envelopes read: FerretDB 1.24 ignores $pull with a condition, and
        // an event pushed meanwhile by a writer is a different document, so it stays.
        // Under the document's lock: on FerretDB this clear is a read-modify-write that would
        // otherwise race a writer pushing the next event (see store/keyed-lock.ts).
        await documentLock.run(documentKey(collection.collectionName, doc._id), () =>
          collection.updateOne({ _id: doc._id }, { $pullAll: { [OUTBOX_FIELD]: pending } } as Document),
        );
        published += pending.length;
      }
      metrics().outboxPending.set({ store: `mongo:${collection.collectionName}` }, docs.length === this.batchSize ? docs.length : 0);
    }
    return published;
  }
}
