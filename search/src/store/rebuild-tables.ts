/**
 * The SQL of a rebuild (see replay.ts): a fresh set of tables beside the live ones, their
 * statistics, the atomic switch, and the lock that keeps two rebuilds from running at once.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { LIVE_TABLES, suffixedTables, withStopwordsDisabled, type TableSet } from './schema';

const REBUILD_LOCK = 'lumina-search-rebuild';
/** Where a rebuild writes before it switches over. */
export const FRESH_TABLES = suffixedTables('_rebuild');
const OLD_TABLES = suffixedTables('_old');

const quoted = (tables: TableSet) => [tables.users, tables.posts, tables.postHashtags, tables.hashtags].map((t) => `\`${t}\``).join(', ');

export class RebuildTables {
  constructor(private readonly pool: Pool) {}

  /**
   * Runs `work` holding the rebuild lock, on a connection of its own; throws at once if another
   * rebuild holds it.
   */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    const lockConn = await this.pool.getConnection();
    try {
      const [[lock]] = await lockConn.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS acquired', [REBUILD_LOCK]);
      if (!lock || Number(lock.acquired) !== 1) throw new Error('another rebuild of the search index is running');
      try {
        return await work();
      } finally {
        await lockConn.query('SELECT RELEASE_LOCK(?)', [REBUILD_LOCK]);
      }
    } finally {
      lockConn.release();
    }
  }

  /** Fresh, empty tables like the live ones (FULLTEXT indexes stopword-free like the originals). */
  async createFresh(): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      await conn.query(`DROP TABLE IF EXISTS ${quoted(FRESH_TABLES)}, ${quoted(OLD_TABLES)}`);
      await withStopwordsDisabled(conn, async () => {
        for (const key of Object.keys(LIVE_TABLES) as Array<keyof TableSet>) {
          await conn.query(`CREATE TABLE \`${FRESH_TABLES[key]}\` LIKE \`${LIVE_TABLES[key]}\``);
        }
      });
    } finally {
      conn.release();
    }
  }

  /**
   * Fresh statistics: InnoDB's FULLTEXT relevance divides by the row count they hold, and the
   * renamed tables would otherwise carry the counts of when they were nearly empty.
   */
  async analyzeFresh(): Promise<void> {
    await this.pool.query(`ANALYZE TABLE ${quoted(FRESH_TABLES)}`);
  }

  /** The atomic switch: one RENAME TABLE statement moves all four tables at once; the old ones go. */
  async switchToFresh(): Promise<void> {
    const keys = Object.keys(LIVE_TABLES) as Array<keyof TableSet>;
    const renames = keys.flatMap((k) => [
      `\`${LIVE_TABLES[k]}\` TO \`${OLD_TABLES[k]}\``,
      `\`${FRESH_TABLES[k]}\` TO \`${LIVE_TABLES[k]}\``,
    ]);
    await this.pool.query(`RENAME TABLE ${renames.join(', ')}`);
    await this.pool.query(`DROP TABLE IF EXISTS ${quoted(OLD_TABLES)}`);
  }

  /** After a failure before the switch: the live index is untouched, the fresh tables go. */
  async dropFresh(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${quoted(FRESH_TABLES)}`);
  }
}
