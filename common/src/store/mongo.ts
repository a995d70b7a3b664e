import mongoose, { type Connection, type Model, type mongo } from 'mongoose';
import { DependencyError } from '../dependency-error';
import { redactUrl } from './mysql';

type Collection<T extends Document> = mongo.Collection<T>;
type Db = mongo.Db;
type Document = mongo.Document;
type Filter<T> = mongo.Filter<T>;
type WithId<T> = mongo.WithId<T>;

/**
 * Opens a mongoose connection of the service's own (not the global one, so tests can hold
 * several). Kept to what both MongoDB 7 and FerretDB 1.24 support.
 */
export async function connectMongo(url: string, options: { serverSelectionTimeoutMs?: number } = {}): Promise<Connection> {
  const conn = mongoose.createConnection(url, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
    autoIndex: true,
  });
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close().catch(() => undefined);
    throw new DependencyError('MongoDB', redactUrl(url), err as Error);
  }
  return conn;
}

export async function pingMongo(conn: Connection): Promise<void> {
  if (!conn.db) throw new Error('MongoDB connection is not open');
  await conn.db.admin().command({ ping: 1 });
}

const ferretDbByDb = new WeakMap<Db, Promise<boolean>>();

/**
 * Whether the server is FerretDB (its buildInfo names its own version), asked once per database
 * handle. Only for choosing between query shapes that give the same result: see findAmong.
 */
export function isFerretDb(db: Db): Promise<boolean> {
  let known = ferretDbByDb.get(db);
  if (!known) {
    known = db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string');
    // A failed ask is not remembered: the next call asks again.
    known.catch(() => ferretDbByDb.delete(db));
    ferretDbByDb.set(db, known);
  }
  return known;
}

/**
 * Documents whose `field` is one of `values` (and that match `filter`): a page's posts by id, the
 * copies of its authors, the viewer's likes among them.
 *
 * On MongoDB this is one `$in`, an index lookup per value. FerretDB 1.24 pushes only plain
 * equality filters down to its backend; for an `$in` it reads and decodes the whole collection in
 * its own process, which grows with the collection (seconds at 100,000 documents). There each
 * value is its own equality query, in parallel: a page's worth of small lookups instead of a scan.
 */
export async function findAmong<T extends Document>(
  collection: Collection<T>,
  field: string,
  values: readonly unknown[],
  options: { filter?: Filter<T>; projection?: Document } = {},
): Promise<WithId<T>[]> {
  const unique = [...new Set(values)];
  if (unique.length === 0) return [];
  const findOptions = options.projection ? { projection: options.projection } : {};
  // A mongoose collection (model.collection) wraps the driver's and keeps the database on its connection.
  const db = (collection as { conn?: Connection }).conn?.db ?? collection.db;
  if (!db || !(await isFerretDb(db))) {
    return collection.find({ ...options.filter, [field]: { $in: unique } } as Filter<T>, findOptions).toArray() as Promise<WithId<T>[]>;
  }
  const perValue = await Promise.all(
    unique.map((value) => collection.find({ ...options.filter, [field]: value } as Filter<T>, findOptions).toArray()),
  );
  return perValue.flat() as WithId<T>[];
}

/** MongoDB's E11000: a unique index (or the _id) already holds the key. */
export function isDuplicateKeyError(err: unknown): boolean {
  return (err as { code?: number })?.code === 11000;
}

/** The driver's collection behind a model, typed with the model's documents (string ids; bulk writes skip mongoose). */
export function collectionOf<T extends Document>(model: Model<T>): Collection<T> {
  return model.collection as unknown as Collection<T>;
}

/**
 * Creates each model's collection and the indexes its schema declares, dropping indexes no longer
 * declared; safe on every start. Services compile their schemas with autoIndex off and call this.
 */
export async function syncModelIndexes(models: object): Promise<void> {
  for (const model of Object.values(models) as Array<Model<unknown>>) {
    await model.createCollection().catch((err: { code?: number }) => {
      if (err.code !== 48) throw err; // NamespaceExists
    });
    await model.syncIndexes();
  }
}
