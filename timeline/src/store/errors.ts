import { mongo } from 'mongoose';

/**
 * For an unordered bulk insert that failed only because some documents already exist: the
 * indexes of the documents that were not written. Any other failure is rethrown.
 */
export function duplicateIndexes(err: unknown): Set<number> {
  if (err instanceof mongo.MongoBulkWriteError) {
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    if (errors.length > 0 && errors.every((e) => e.code === 11000)) return new Set(errors.map((e) => e.index));
  }
  throw err;
}
