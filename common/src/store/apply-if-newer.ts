/**
 * "Apply if newer than the version I hold": how every consumer keeps its copies right when
 * events arrive twice or out of order. A deletion is kept as a tombstone with its version, so
 * an older update arriving after it cannot bring the row back.
 */
import type { mongo } from 'mongoose';

type Collection<T extends mongo.Document> = mongo.Collection<T>;
type Document = mongo.Document;
type Filter<T> = mongo.Filter<T>;
import type { PoolConnection, Pool, ResultSetHeader } from 'mysql2/promise';
import { documentKey, documentLock } from './keyed-lock';
import { isDuplicateKeyError } from './mongo';

export type ApplyOutcome = 'applied' | 'stale';

export interface ApplyOptions {
  versionField?: string;
  /**
   * The document most likely does not exist yet (the copy of something just created): insert it
   * first, and only if that finds one, update it by version. On FerretDB an upsert is a read and
   * a write; an insert is one statement.
   */
  likelyNew?: boolean;
}

/**
 * Sets `fields` and `version` on the document with this id if it holds an older version or
 * does not exist yet.
 */
export async function applyIfNewerMongo<T extends Document>(
  collection: Collection<T>,
  id: string,
  version: number,
  fields: Partial<T>,
  { versionField = 'version', likelyNew = false }: ApplyOptions = {},
): Promise<ApplyOutcome> {
  const filter = { _id: id, [versionField]: { $lt: version } } as unknown as Filter<T>;
  const update = { $set: { ...fields, [versionField]: version } } as Document;
  return documentLock.run(documentKey(collection.collectionName, id), async () => {
    try {
      if (likelyNew) {
        await collection.insertOne({ ...fields, _id: id, [versionField]: version } as never);
        return 'applied';
      }
      const res = await collection.updateOne(filter, update, { upsert: true });
      return res.modifiedCount + res.upsertedCount > 0 ? 'applied' : 'stale';
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // The document exists (with a version >= ours, or another process's upsert or insert just
      // created it): one more conditional update (no upsert) settles which.
      const res = await collection.updateOne(filter, update);
      return res.modifiedCount > 0 ? 'applied' : 'stale';
    }
  });
}

type MySqlRunner = Pick<Pool | PoolConnection, 'query'>;

/** What a versioned upsert did: inserted the row, overwrote an older version, or nothing (ours was not newer). */
export type UpsertOutcome = 'inserted' | 'updated' | 'stale';

/**
 * INSERT … ON DUPLICATE KEY UPDATE that only overwrites when the incoming version is newer.
 * `row` must contain the key columns and `version`. MySQL assigns left to right, so `version`
 * is updated last, after every column has compared against the old one.
 */
export async function upsertIfNewerMySql(
  db: MySqlRunner,
  table: string,
  row: Record<string, unknown>,
  keyColumns: string[],
): Promise<ApplyOutcome> {
  return (await upsertIfNewerMySqlRow(db, table, row, keyColumns)) === 'stale' ? 'stale' : 'applied';
}

/** upsertIfNewerMySql, telling an insert from an update: a caller can skip what a new row cannot have. */
export async function upsertIfNewerMySqlRow(
  db: MySqlRunner,
  table: string,
  row: Record<string, unknown>,
  keyColumns: string[],
): Promise<UpsertOutcome> {
  const columns = Object.keys(row);
  if (!columns.includes('version')) throw new Error('upsertIfNewerMySql: row needs a version');
  const assignments = columns
    .filter((c) => !keyColumns.includes(c) && c !== 'version')
    .map((c) => `\`${c}\` = IF(VALUES(\`version\`) > \`version\`, VALUES(\`${c}\`), \`${c}\`)`);
  assignments.push('`version` = GREATEST(`version`, VALUES(`version`))');
  const sql = `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES (?) ON DUPLICATE KEY UPDATE ${assignments.join(', ')}`;
  const [result] = await db.query<ResultSetHeader>(sql, [columns.map((c) => row[c])]);
  // affectedRows (FOUND_ROWS off, as createMysqlPool sets): 1 inserted, 2 updated, 0 unchanged.
  return result.affectedRows === 1 ? 'inserted' : result.affectedRows > 1 ? 'updated' : 'stale';
}
