import mongoose, { type Connection } from 'mongoose';
import { DependencyError } from '../dependency-error';
import { redactUrl } from './mysql';

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
