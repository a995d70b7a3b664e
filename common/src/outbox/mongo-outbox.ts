/**
 * MongoDB outbox: with no multi-document transactions (FerretDB has none), the pending events
 * live inside the very document they describe, written by the same single-document update.
 * Beside them the same write sets a flag, `_outboxPending: true`, which the relay finds by plain
 * equality (pushed down to FerretDB's backend; on MongoDB a sparse index holding only the flagged
 * documents), so a poll costs the pending documents and not a scan of the collection. The relay
 * publishes a document's events in order, pulls exactly the published envelopes out, and lowers
 * the flag once none are left. Dying in between republishes the same envelope ids, which
 * JetStream drops as duplicates and consumers ignore by version.
 */
import type { mongo } from 'mongoose';

type Collection<T extends mongo.Document = mongo.Document> = mongo.Collection<T>;
type Document = mongo.Document;
type Filter<T> = mongo.Filter<T>;
type WithId<T> = mongo.WithId<T>;
import type { EventData, EventDefinition } from '../events/catalogue';
import { createEnvelope, type Envelope, type EnvelopeOf } from '../events/envelope';
import { publishEnvelope } from '../events/publisher';
import type { EventBus } from '../events/bus';
import { metrics } from '../metrics';
import { OutboxRelay, type RelayOptions } from './relay';
import { documentKey, documentLock } from '../store/keyed-lock';

/** The field a document's pending events live in. */
export const OUTBOX_FIELD = '_outbox';

/** The flag a document with pending events carries; the relay looks documents up by it. */
export const OUTBOX_PENDING_FIELD = '_outboxPending';

/** The query the relay polls with: top-level equality, which FerretDB pushes down. */
export const OUTBOX_PENDING_FILTER = { [OUTBOX_PENDING_FIELD]: true } as const;

/** `_outbox` alone, for schemas that declare the flag themselves (prefer outboxSchemaFields). */
export const outboxSchemaField = { type: [Object], default: undefined, select: false } as const;

/**
 * Spread into a mongoose schema: `{ ...outboxSchemaFields }`. Both fields are hidden from normal
 * reads. The flag is indexed sparse, so the index holds only documents with events still to
 * publish; its default raises it on `Model.create` of a document that comes with events
 * (mongoose runs function defaults after setting the given fields).
 */
export const outboxSchemaFields = {
  [OUTBOX_FIELD]: outboxSchemaField,
  [OUTBOX_PENDING_FIELD]: {
    type: Boolean,
    select: false,
    index: { sparse: true },
    default: function (this: { [OUTBOX_FIELD]?: unknown[] }): true | undefined {
      return this[OUTBOX_FIELD]?.length ? true : undefined;
    },
  },
} as const;

export interface PendingEvents {
  [OUTBOX_FIELD]: Envelope[];
}

/** Builds an envelope for a document's outbox; push it with `pushEvents`. */
export function outboxEvent<E extends EventDefinition>(event: E, data: EventData<E>, meta: { correlationId?: string } = {}): EnvelopeOf<E> {
  return createEnvelope(event, data, meta);
}

/**
 * The part of an update that records events with the change: spread it beside the update's own
 * operators. The flag is raised with `$max` rather than `$set` so that a caller's `$set` next to
 * it is not overwritten (on a missing field, `$max` sets it).
 */
export function pushEvents(...envelopes: Envelope[]): { $push: Document; $max: Document } {
  return { $push: { [OUTBOX_FIELD]: { $each: envelopes } }, $max: { [OUTBOX_PENDING_FIELD]: true } };
}

/** The fields of a new document that comes with events: spread into what is inserted. */
export function outboxFields(...envelopes: Envelope[]): { [OUTBOX_FIELD]: Envelope[]; [OUTBOX_PENDING_FIELD]: true } {
  return { [OUTBOX_FIELD]: envelopes, [OUTBOX_PENDING_FIELD]: true };
}

export interface MongoRelayOptions extends RelayOptions {
  /**
   * Runs after a document's events are published and before they are cleared, with the whole
   * document as the relay read it (at least as new as the writes whose events it carries): a
   * crash before the clear runs it again on the next drain. Posts refreshes its Redis copy of the
   * post from it, so a writer that died between its write and its cache update leaves no stale
   * entry behind, without a second read of the post.
   */
  beforeClear?: (collectionName: string, doc: Document) => Promise<void>;
}

/** Documents cleared at once after a batch is published (each costs a database round trip or two). */
const CLEAR_CONCURRENCY = 8;

/** Names kept for the next drain; more than this, and the next drain looks through everything. */
const MAX_NAMED = 10_000;

export class MongoOutboxRelay extends OutboxRelay {
  private adoptedUnflagged = false;

  constructor(
    private readonly collections: Array<Collection<Document>>,
    private readonly bus: EventBus,
    private readonly mongoOptions: MongoRelayOptions,
  ) {
    super(mongoOptions);
  }

  /** Documents named by writers since the last drain (one collection only: see named()). */
  private readonly namedIds = new Set<string>();
  /** Of those, the ones handed over whole as their writers inserted them (see named()). */
  private readonly handed = new Map<string, Document>();
  /** When the relay last looked through every flagged document. */
  private sweptAt = 0;

  /**
   * A writer named the document it wrote: the next drain looks it up by _id (an index lookup,
   * also on FerretDB) instead of scanning for the flag, which FerretDB over PostgreSQL answers by
   * reading the whole table. Over several collections a name is ambiguous: they are all looked
   * through. Past MAX_NAMED names, too.
   *
   * A writer that hands over `written` promises two things: it is the whole document as its
   * insert committed it (so its `_outbox` is what is pending, and the relay need not read it
   * back), and the writer has itself done what `beforeClear` would (so the relay skips the hook,
   * which would otherwise run on a copy a later write may have outdated). A writer that dies
   * before handing over leaves the document to the next sweep, which reads it and runs the hook.
   * A later name without a document (another write to it) makes the relay read it after all.
   */
  protected override named(documentId: string, written?: object): void {
    if (this.collections.length !== 1 || this.namedIds.size >= MAX_NAMED) {
      this.sweepDue = true;
      return;
    }
    this.namedIds.add(documentId);
    if (written) this.handed.set(documentId, written as Document);
    else this.handed.delete(documentId);
  }

  async drainOnce(): Promise<number> {
    if (!this.adoptedUnflagged) {
      for (const collection of this.collections) await this.adoptUnflagged(collection);
      this.adoptedUnflagged = true;
    }
    // Also when writers keep waking the relay with names, so that the poll's timer never runs out:
    // what no writer named (one died before its notify()) waits no longer than the poll.
    const overdue = Date.now() - this.sweptAt >= this.pollIntervalMs;
    return this.sweepDue || overdue ? this.sweep() : this.drainNamed();
  }

  /** Only the documents writers named (see named()), a batch of them. */
  private async drainNamed(): Promise<number> {
    const [collection] = this.collections;
    if (!collection || this.namedIds.size === 0) return 0;
    const ids = [...this.namedIds].slice(0, this.batchSize);
    const handed = new Set<Document>();
    const found = await Promise.all(
      ids.map((_id) => {
        this.namedIds.delete(_id);
        const written = this.handed.get(_id);
        if (written) {
          this.handed.delete(_id);
          handed.add(written);
          return written;
        }
        return collection.findOne({ _id, ...OUTBOX_PENDING_FILTER } as unknown as Filter<Document>, { projection: this.projection });
      }),
    );
    const failures: unknown[] = [];
    const published = await this.publishAndClear(
      collection,
      found.filter((doc): doc is WithId<Document> => doc !== null),
      failures,
      handed,
    );
    if (failures.length > 0) throw this.failed(failures, published);
    return published;
  }

  /** Every pending document (by the flag), a batch per collection. */
  private async sweep(): Promise<number> {
    // Claimed before looking: a writer that names no document while this runs asks for another.
    this.sweepDue = false;
    this.sweptAt = Date.now();
    // What the writers named was committed before they said so, so this look finds it.
    this.namedIds.clear();
    this.handed.clear();
    let published = 0;
    const failures: unknown[] = [];
    for (const collection of this.collections) {
      const docs = await collection.find(OUTBOX_PENDING_FILTER, { projection: this.projection }).limit(this.batchSize).toArray();
      published += await this.publishAndClear(collection, docs, failures);
      const full = docs.length >= this.batchSize;
      if (full) this.sweepDue = true;
      // What is still pending: none when the batch was not full and all went out, else a count of
      // flagged documents.
      const backlog = !full && failures.length === 0 ? 0 : await collection.countDocuments(OUTBOX_PENDING_FILTER);
      metrics().outboxPending.set({ store: `mongo:${collection.collectionName}` }, backlog);
    }
    if (failures.length > 0) throw this.failed(failures, published);
    return published;
  }

  /** Only the events, unless the hook wants the document. */
  private get projection(): Document {
    return this.mongoOptions.beforeClear ? {} : { [OUTBOX_FIELD]: 1 };
  }

  /**
   * Publishes the documents' events and clears them; answers how many events went out. A failure
   * (a publish, a hook, an update) is added to `failures` and leaves only its own document's
   * events for the next round. The `handed` documents skip the hook (see named()).
   */
  private async publishAndClear(
    collection: Collection<Document>,
    docs: Document[],
    failures: unknown[],
    handed: ReadonlySet<Document> = new Set(),
  ): Promise<number> {
    // Every document at once, each one's events in order: the acks cost one round trip instead of
    // one per event, and a document whose publish fails holds up no other.
    const outcomes = await Promise.allSettled(
      docs.map(async (doc) => {
        const pending = (doc[OUTBOX_FIELD] ?? []) as Envelope[];
        for (const envelope of pending) await publishEnvelope(this.bus, envelope);
        return { doc, pending };
      }),
    );
    const out: Array<{ doc: Document; pending: Envelope[] }> = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') out.push(outcome.value);
      else failures.push(outcome.reason);
    }
    await this.options.afterPublish?.();
    // Then the clears, a few documents at a time (each is a round trip or two to the database).
    let published = 0;
    const queue = [...out];
    await Promise.all(
      Array.from({ length: Math.min(CLEAR_CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          try {
            await this.clear(collection, next.doc, next.pending, !handed.has(next.doc));
            published += next.pending.length;
          } catch (err) {
            failures.push(err);
          }
        }
      }),
    );
    return published;
  }

  private failed(failures: unknown[], published: number): unknown {
    if (failures.length > 1) this.log.warn({ failed: failures.length, published }, 'outbox documents left for the next round');
    return failures[0];
  }

  /** After a document's events are out: its hook, then the events pulled and the flag lowered. */
  private async clear(collection: Collection<Document>, doc: Document, pending: Envelope[], runHook: boolean): Promise<void> {
    if (pending.length > 0 && runHook) await this.mongoOptions.beforeClear?.(collection.collectionName, doc);
    // Under the document's lock: on FerretDB these updates are a read-modify-write that would
    // otherwise race a writer pushing the next event (see store/keyed-lock.ts).
    await documentLock.run(documentKey(collection.collectionName, doc._id), async () => {
      // The usual case in one update: the outbox still holds exactly what was read (nobody pushed
      // since), so it is emptied and the flag lowered together.
      if (pending.length > 0) {
        const emptied = await collection.updateOne({ _id: doc._id, [OUTBOX_FIELD]: pending }, {
          $set: { [OUTBOX_FIELD]: [] },
          $unset: { [OUTBOX_PENDING_FIELD]: '' },
        } as Document);
        if (emptied.modifiedCount === 1) return;
        // $pullAll of the exact envelopes read: FerretDB 1.24 ignores $pull with a condition, and
        // an event pushed meanwhile by a writer is a different document, so it stays.
        await collection.updateOne({ _id: doc._id }, { $pullAll: { [OUTBOX_FIELD]: pending } } as Document);
      }
      // The flag comes down only if nothing was pushed since; a writer raises it again anyway.
      await collection.updateOne({ _id: doc._id, [`${OUTBOX_FIELD}.0`]: { $exists: false } }, {
        $unset: { [OUTBOX_PENDING_FIELD]: '' },
      } as Document);
    });
  }

  /** Documents with events still to publish (tests wait for 0; a scan, never on a hot path). */
  async pendingEvents(): Promise<number> {
    let pending = 0;
    for (const collection of this.collections) pending += await collection.countDocuments({ [`${OUTBOX_FIELD}.0`]: { $exists: true } });
    return pending;
  }

  /**
   * Once per relay: raises the flag on documents whose events were written without it (by a
   * release before the flag existed). The one scan of the collection this relay makes.
   */
  private async adoptUnflagged(collection: Collection<Document>): Promise<void> {
    const unflagged = await collection
      .find({ [`${OUTBOX_FIELD}.0`]: { $exists: true }, [OUTBOX_PENDING_FIELD]: { $ne: true } }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of unflagged) {
      await documentLock.run(documentKey(collection.collectionName, _id), () =>
        collection.updateOne({ _id }, { $set: { [OUTBOX_PENDING_FIELD]: true } } as Document),
      );
    }
    if (unflagged.length > 0)
      this.log.info(
        { collection: collection.collectionName, documents: unflagged.length },
        'flagged outbox events written without the flag',
      );
  }
}
