/**
 * The media collection: one document per upload, holding its state, where its blobs are, which
 * posts use it and the events still to publish (`_outbox`, written by the same single-document
 * update as the change they describe). Nothing else touches the driver.
 */
import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import {
  documentKey,
  documentLock,
  isDuplicateKeyError,
  isFerretDb,
  OUTBOX_FIELD,
  outboxSchemaFields,
  pushEvents,
  type Envelope,
} from '@lumina/common';
import { WaitingQueue, type WaitingEntry } from './waiting-queue';

export type MediaStatus = 'processing' | 'ready' | 'failed' | 'deleted';

export interface StoredVariant {
  key: string;
  width: number;
  height: number;
  sha256: string;
  bytes: number;
}

export interface StoredVariants {
  thumb: StoredVariant;
  feed: StoredVariant;
}

/** An Idempotency-Key this owner sent, with the status it was first answered. */
export interface UploadKey {
  key: string;
  status: 200 | 202;
}

export interface MediaRecord {
  _id: string;
  ownerId: string;
  status: MediaStatus;
  error: string | null;
  alt: string;
  /** The sniffed MIME type of the original. */
  type: string;
  sha256: string;
  /** `<ownerId>:<sha256>` while the media lives, unique: the same bytes from the same owner are one media. */
  contentKey: string;
  bytes: number;
  originalKey: string;
  /** Upright (orientation applied): from the header at upload, from the decoded image once ready. */
  width: number;
  height: number;
  blurhash: string | null;
  variants: StoredVariants | null;
  /** Ids of the posts that show this media (kept from post.created / post.deleted). */
  usedByPosts: string[];
  uploadKeys: UploadKey[];
  /** Deleted, and its blobs not yet removed. */
  blobsPending: boolean;
  /** Its place in the fair processing queue (see `nextTurn`); the lowest waiting turn goes first. */
  turn: number;
  /** A worker is on it until then (renewed while it works); also "not before" after a failed try. */
  claimedUntil: Date | null;
  /** Tries that failed for another reason than the image (the store unreachable…). */
  attempts: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The stored document: the record plus its pending events, which normal reads never select. */
interface MediaDocument extends MediaRecord {
  [OUTBOX_FIELD]?: Envelope[];
}

const variantSchema = new Schema<StoredVariant>(
  { key: String, width: Number, height: Number, sha256: String, bytes: Number },
  { _id: false },
);

const mediaSchema = new Schema<MediaDocument>(
  {
    _id: { type: String, required: true },
    ownerId: { type: String, required: true },
    status: { type: String, required: true, enum: ['processing', 'ready', 'failed', 'deleted'] },
    error: { type: String, default: null },
    alt: { type: String, default: '' },
    type: { type: String, required: true },
    sha256: { type: String, required: true },
    contentKey: { type: String, required: true },
    bytes: { type: Number, required: true },
    originalKey: { type: String, required: true },
    width: { type: Number, required: true },
    height: { type: Number, required: true },
    blurhash: { type: String, default: null },
    variants: { type: new Schema({ thumb: variantSchema, feed: variantSchema }, { _id: false }), default: null },
    usedByPosts: { type: [String], default: [] },
    uploadKeys: { type: [new Schema<UploadKey>({ key: String, status: Number }, { _id: false })], default: [] },
    blobsPending: { type: Boolean, default: false },
    turn: { type: Number, default: 0 },
    claimedUntil: { type: Date, default: null },
    attempts: { type: Number, default: 0 },
    version: { type: Number, required: true },
    ...outboxSchemaFields,
  },
  { collection: 'media', timestamps: true, versionKey: false, strict: true },
);
mediaSchema.index({ contentKey: 1 }, { unique: true });
mediaSchema.index({ ownerId: 1, 'uploadKeys.key': 1 });
mediaSchema.index({ status: 1, createdAt: 1 });
mediaSchema.index({ ownerId: 1, status: 1 });
mediaSchema.index({ status: 1, turn: 1 });
// And { usedByPosts: 1 }, on MongoDB only (see MediaStore.open).
const USED_BY_POSTS_INDEX = 'usedByPosts_1';
/** MongoDB's error code for dropping an index that is not there. */
const INDEX_NOT_FOUND = 27;

/**
 * A fresh media id: 128 random bits. Unposted media are private, so their ids must not be
 * guessable (an ObjectId is a time, a per-process constant and a counter). Hex rather than
 * base64url: the id names blobs, and on a case-insensitive file system `aB` and `Ab` are one file.
 */
export function newMediaId(): string {
  return randomBytes(16).toString('hex');
}

/** What a media id looks like: ours (32 hex digits) or an ObjectId from before (24). */
export const MEDIA_ID_PATTERN = /^[a-f0-9]{24}(?:[a-f0-9]{8})?$/;

export type NewMedia = Omit<
  MediaRecord,
  | 'status'
  | 'error'
  | 'blurhash'
  | 'variants'
  | 'usedByPosts'
  | 'blobsPending'
  | 'claimedUntil'
  | 'attempts'
  | 'version'
  | 'createdAt'
  | 'updatedAt'
>;

/** Not claimed by a live worker, nor waiting out a failed try. */
const claimable = (now: Date) => ({ $or: [{ claimedUntil: null }, { claimedUntil: { $lte: now } }] });

export interface MediaStoreOptions {
  /** How often the picture of the waiting media is loaded again at most (see WaitingQueue). */
  queueRefreshMs?: number;
}

/** Fields of a waiting media that the claim order needs. */
const WAITING_PROJECTION = { _id: 1, turn: 1, createdAt: 1, claimedUntil: 1 } as const;

/**
 * Every write to a media document goes through `write`, under the process-wide document lock
 * that the outbox relay's clear also takes (FerretDB's updates are not atomic; see README).
 *
 * No query on a hot path (upload, claim) asks FerretDB for a range, an `$in` or a sort: it would
 * do them in its own process over every matching document. Those paths filter by top-level
 * equality only (`_id`, `ownerId` + `status`), and the fair order of the waiting media is kept in
 * memory by `queue` (waiting-queue.ts), loaded with one `status` equality at most once a second.
 */
export class MediaStore {
  /** This process's picture of the waiting media, in claim order. */
  readonly queue: WaitingQueue;

  private constructor(
    readonly model: Model<MediaDocument>,
    options: MediaStoreOptions,
  ) {
    this.queue = new WaitingQueue(
      () => this.model.find({ status: 'processing' }, WAITING_PROJECTION).lean<WaitingEntry[]>(),
      options.queueRefreshMs ?? 1_000,
    );
  }

  /** Binds the model to the service's connection and makes sure its indexes exist. */
  static async open(conn: Connection, options: MediaStoreOptions = {}): Promise<MediaStore> {
    const model = conn.model<MediaDocument>('Media', mediaSchema);
    await model.createIndexes();
    // Which media a post uses (removePostUse) is a multikey index on MongoDB. FerretDB over
    // PostgreSQL makes an index on an array one B-tree entry holding the whole array: past about
    // 74 post ids it outgrew PostgreSQL's 2,704 bytes and every update of that media failed. It
    // cannot use the index for `usedByPosts: id` anyway, so there it is not kept.
    if (!conn.db) throw new Error('the media store needs an open connection');
    if (await isFerretDb(conn.db)) {
      await model.collection.dropIndex(USED_BY_POSTS_INDEX).catch((err: { code?: number }) => {
        if (err.code !== INDEX_NOT_FOUND) throw err;
      });
    } else await model.collection.createIndex({ usedByPosts: 1 }, { name: USED_BY_POSTS_INDEX });
    return new MediaStore(model, options);
  }

  get collection() {
    return this.model.collection;
  }

  /**
   * One write to one media document, queued behind any other this process is making to it
   * (the outbox relay's clear takes the same lock: common/src/store/keyed-lock.ts).
   */
  private write<T>(id: string, update: () => Promise<T>): Promise<T> {
    return documentLock.run(documentKey(this.model.collection.collectionName, id), update);
  }

  async findById(id: string): Promise<MediaRecord | null> {
    return this.model.findById(id).lean<MediaRecord>();
  }

  async findLiveByContent(ownerId: string, sha256: string): Promise<MediaRecord | null> {
    return this.model.findOne({ contentKey: `${ownerId}:${sha256}` }).lean<MediaRecord>();
  }

  async findByUploadKey(ownerId: string, key: string): Promise<MediaRecord | null> {
    return this.model.findOne({ ownerId, 'uploadKeys.key': key, status: { $ne: 'deleted' } }).lean<MediaRecord>();
  }

  /**
   * Inserts a new upload with its processing job in its outbox. Answers false when this owner
   * already has these bytes (a concurrent upload of the same file won).
   */
  async insertProcessing(media: NewMedia, job: Envelope): Promise<boolean> {
    try {
      const created = await this.model.create({ ...media, status: 'processing', version: 1, [OUTBOX_FIELD]: [job] });
      this.queue.note({ _id: media._id, turn: media.turn, createdAt: created.createdAt, claimedUntil: null });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** How many of this owner's media are waiting for or in processing. */
  async countProcessing(ownerId: string): Promise<number> {
    return this.model.countDocuments({ ownerId, status: 'processing' });
  }

  /**
   * Takes back an upload just inserted (it broke a limit): removed only while still untouched
   * (processing at version 1), so a job that already started on it finds nothing and skips.
   */
  async discardUnstarted(id: string): Promise<boolean> {
    const res = await this.write(id, () => this.model.deleteOne({ _id: id, status: 'processing', version: 1 }));
    if (res.deletedCount === 1) this.queue.forget(id);
    return res.deletedCount === 1;
  }

  /**
   * The turn of this owner's next upload, by start-time fair queuing: the turn being served now
   * (the lowest still waiting), or one after this owner's last waiting upload if that is later.
   * An owner with 300 uploads waiting holds turns far ahead; another's single upload takes the
   * current turn and is next. Two uploads computing a turn at once may share one; that is harmless.
   * The turn served now comes from `queue` (at most a second old: an older, lower head only puts
   * the newcomer a little earlier); the owner's own are read by equality (`ownerId`, `status`), a
   * handful under MEDIA_MAX_PROCESSING_PER_USER, and their maximum taken here.
   */
  async nextTurn(ownerId: string): Promise<number> {
    const [, own] = await Promise.all([
      this.queue.fresh(),
      this.model.find({ ownerId, status: 'processing' }, { turn: 1 }).lean<Array<Pick<MediaRecord, 'turn'>>>(),
    ]);
    const head = this.queue.headTurn() ?? 0;
    const ownLast = own.reduce((max, m) => Math.max(max, m.turn), -Infinity);
    return Math.max(head, ownLast + 1);
  }

  /** A media a job names, read by `_id` and still waiting: the queue knows of it from now on. */
  noteWaiting(media: MediaRecord): void {
    if (media.status === 'processing') this.queue.note(media);
    else this.queue.forget(media._id);
  }

  /**
   * Claims the waiting media with the lowest turn for `leaseMs`; null when every waiting media is
   * claimed. The claim does not change the version: the media's state is still `processing`.
   * Which one is lowest comes from `queue`; the media is then read and taken by `_id` alone (the
   * conditional update's other conditions are checked by FerretDB on that one document), so a
   * claim costs the same with 5 or 500 waiting. A candidate another replica took or finished
   * since the queue was loaded is put right in the queue and the next one tried.
   */
  async claimNext(leaseMs: number, now = new Date()): Promise<MediaRecord | null> {
    await this.queue.fresh();
    const until = new Date(now.getTime() + leaseMs);
    let tries = 0;
    for (const id of this.queue.claimable(now.getTime())) {
      if (++tries > 20) break;
      // Held here at once, so this process's other handlers go on to the next candidate.
      this.queue.claimedUntil(id, until);
      const next = await this.findById(id);
      if (!next || next.status !== 'processing') {
        this.queue.forget(id);
        continue;
      }
      if (next.claimedUntil && next.claimedUntil.getTime() > now.getTime()) {
        this.queue.note(next); // another worker's, or waiting out a failed try
        continue;
      }
      const res = await this.write(id, () =>
        this.model.updateOne({ _id: id, status: 'processing', ...claimable(now) }, { $set: { claimedUntil: until } }),
      );
      if (res.modifiedCount === 1) return { ...next, claimedUntil: until };
      // Another worker took it between the read and the write: look at it again later.
      const again = await this.findById(id);
      if (again) this.noteWaiting(again);
      else this.queue.forget(id);
    }
    return null;
  }

  /** Keeps a claim alive while the work goes on. */
  async renewClaim(id: string, leaseMs: number): Promise<void> {
    const until = new Date(Date.now() + leaseMs);
    await this.write(id, () => this.model.updateOne({ _id: id, status: 'processing' }, { $set: { claimedUntil: until } }));
    this.queue.claimedUntil(id, until);
  }

  /** A try that failed for a reason worth retrying: counted, and not retried before `retryAt`. */
  async deferAfterFailedTry(id: string, retryAt: Date): Promise<void> {
    await this.write(id, () =>
      this.model.updateOne({ _id: id, status: 'processing' }, { $set: { claimedUntil: retryAt }, $inc: { attempts: 1 } }),
    );
    this.queue.claimedUntil(id, retryAt);
  }

  /** Remembers an Idempotency-Key answered with this media (once per key). */
  async rememberUploadKey(id: string, key: UploadKey): Promise<void> {
    await this.write(id, () => this.model.updateOne({ _id: id, 'uploadKeys.key': { $ne: key.key } }, { $push: { uploadKeys: key } }));
  }

  /** processing → ready, with the media.ready event; false when the media is no longer processing at that version. */
  async markReady(
    id: string,
    fromVersion: number,
    fields: { width: number; height: number; blurhash: string; variants: StoredVariants },
    event: Envelope,
  ): Promise<boolean> {
    const res = await this.write(id, () =>
      this.model.updateOne(
        { _id: id, status: 'processing', version: fromVersion },
        { $set: { status: 'ready', error: null, ...fields }, $inc: { version: 1 }, ...pushEvents(event) },
      ),
    );
    if (res.modifiedCount === 1) this.queue.forget(id);
    return res.modifiedCount === 1;
  }

  /** processing → failed, with the media.failed event. */
  async markFailed(id: string, fromVersion: number, reason: string, event: Envelope): Promise<boolean> {
    const res = await this.write(id, () =>
      this.model.updateOne(
        { _id: id, status: 'processing', version: fromVersion },
        { $set: { status: 'failed', error: reason }, $inc: { version: 1 }, ...pushEvents(event) },
      ),
    );
    if (res.modifiedCount === 1) this.queue.forget(id);
    return res.modifiedCount === 1;
  }

  /**
   * Marks the media deleted at this version, only while no post uses it, with the media.deleted
   * event. The content key is released so the same bytes may be uploaded again; the blobs are
   * flagged for removal.
   */
  async markDeleted(id: string, fromVersion: number, event: Envelope): Promise<boolean> {
    const res = await this.write(id, () =>
      this.model.updateOne(
        { _id: id, version: fromVersion, status: { $ne: 'deleted' }, 'usedByPosts.0': { $exists: false } },
        {
          $set: { status: 'deleted', contentKey: `deleted:${id}`, blobsPending: true, uploadKeys: [] },
          $inc: { version: 1 },
          ...pushEvents(event),
        },
      ),
    );
    if (res.modifiedCount === 1) this.queue.forget(id);
    return res.modifiedCount === 1;
  }

  async clearBlobsPending(id: string): Promise<void> {
    await this.write(id, () => this.model.updateOne({ _id: id }, { $set: { blobsPending: false } }));
  }

  /** Deleted media whose blobs are still to remove (a deletion interrupted half-way). */
  async findBlobsPending(limit: number): Promise<MediaRecord[]> {
    return this.model.find({ status: 'deleted', blobsPending: true }).limit(limit).lean<MediaRecord[]>();
  }

  /** Media no post uses, created before the cutoff, in id order after `afterId`. */
  async findUnattachedBefore(cutoff: Date, limit: number, afterId = ''): Promise<MediaRecord[]> {
    return this.model
      .find({
        _id: { $gt: afterId },
        status: { $in: ['processing', 'ready', 'failed'] },
        createdAt: { $lt: cutoff },
        'usedByPosts.0': { $exists: false },
      })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<MediaRecord[]>();
  }

  async addPostUse(mediaIds: string[], postId: string): Promise<void> {
    for (const id of mediaIds) await this.write(id, () => this.model.updateOne({ _id: id }, { $addToSet: { usedByPosts: postId } }));
  }

  async removePostUse(postId: string): Promise<void> {
    const using = await this.model.find({ usedByPosts: postId }, { _id: 1 }).lean<Array<{ _id: string }>>();
    for (const { _id } of using) await this.write(_id, () => this.model.updateOne({ _id }, { $pull: { usedByPosts: postId } }));
  }
}
