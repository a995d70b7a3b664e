/** MySQL connections and versioned migrations, shared by auth and search. */
import mysql, { type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { DependencyError } from '../dependency-error';

/**
 * A pool with the settings every service wants: UTC, utf8mb4, and FOUND_ROWS off so that
 * `affectedRows` tells an unchanged row (0) from an updated one.
 */
export function createMysqlPool(url: string, options: { connectionLimit?: number } = {}): Pool {
  return mysql.createPool({
    uri: url,
    connectionLimit: options.connectionLimit ?? 10,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    flags: ['-FOUND_ROWS'],
    dateStrings: false,
    supportBigNumbers: true,
    enableKeepAlive: true,
  });
}

/** Creates the database named in the URL if it is missing (one-machine mode and tests). */
export async function ensureMysqlDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error(`Invalid MySQL database name: ${database}`);
  parsed.pathname = '/';
  const conn = await mysql.createConnection({ uri: parsed.toString() }).catch((err: Error) => {
    throw new DependencyError('MySQL', redactUrl(url), err);
  });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

/** Pings once, naming the server in the error when it cannot be reached. */
export async function pingMysql(pool: Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    throw new DependencyError('MySQL', redactUrl(url), err as Error);
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export interface Migration {
  /** 1, 2, 3…: applied in order, each once. */
  id: number;
  name: string;
  statements: string[];
}

/**
 * Applies the migrations not yet applied. A named lock makes two replicas starting together
 * take turns; the second finds everything applied and does nothing.
 */
export async function runMigrations(pool: Pool, migrations: Migration[], lockName: string): Promise<number[]> {
  const conn = await pool.getConnection();
  const applied: number[] = [];
  try {
    const [[lock]] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, 60) AS acquired', [lockName]);
    if (!lock || Number(lock.acquired) !== 1) throw new Error(`Could not take the migration lock ${lockName}`);
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id INT NOT NULL PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB`);
      const [rows] = await conn.query<RowDataPacket[]>('SELECT id FROM schema_migrations');
      const done = new Set(rows.map((r) => Number(r.id)));
      for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
        if (done.has(migration.id)) continue;
        for (const statement of migration.statements) await conn.query(statement);
        await conn.query('INSERT INTO schema_migrations (id, name) VALUES (?, ?)', [migration.id, migration.name]);
        applied.push(migration.id);
      }
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    conn.release();
  }
  return applied;
}

const RETRYABLE_MYSQL_ERRORS = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/**
 * Runs `work` in one READ COMMITTED transaction (no gap locks, so writers of different rows
 * never block each other) and commits. A deadlock or lock timeout rolls the whole transaction
 * back, so `work` is safely run again from the start, a few times, with a growing random pause.
 */
export async function inTransaction<T>(pool: Pool, work: (tx: PoolConnection) => Promise<T>, maxAttempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const conn = await pool.getConnection();
    try {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      const result = await work(conn);
      await conn.commit();
      return result;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      const retryable = RETRYABLE_MYSQL_ERRORS.has(Number((err as { errno?: unknown })?.errno));
      if (!retryable || attempt >= maxAttempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20 * attempt));
    } finally {
      conn.release();
    }
  }
}
