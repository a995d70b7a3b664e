/**
 * MySQL outbox: the event row is written in the caller's transaction, so the change and its
 * event commit together or not at all. The relay locks a batch with SKIP LOCKED (replicas take
 * different rows), publishes, then deletes. A relay that dies after publishing and before
 * deleting publishes the same envelope again; JetStream drops it by its Nats-Msg-Id, and
 * consumers apply by version, so there is no duplicate effect.
 */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { EventData, EventDefinition } from '../events/catalogue';
import { createEnvelope, type Envelope, type EnvelopeOf } from '../events/envelope';
import { publishEnvelope } from '../events/publisher';
import type { EventBus } from '../events/bus';
import { metrics } from '../metrics';
import { OutboxRelay, type RelayOptions } from './relay';

export const MYSQL_OUTBOX_TABLE = 'outbox_events';

/** The table, for a service's first migration. */
export const MYSQL_OUTBOX_DDL = `CREATE TABLE IF NOT EXISTS ${MYSQL_OUTBOX_TABLE} (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id VARCHAR(64) NOT NULL,
  event_type VARCHAR(100) NOT NULL,
  envelope LONGTEXT NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_outbox_event_id (event_id)
) ENGINE=InnoDB`;

/** Any connection inside a transaction: a pool connection after beginTransaction(). */
type Queryable = Pick<PoolConnection, 'query'>;

/** Writes an event into the outbox as part of the caller's open transaction. */
export async function enqueueEvent<E extends EventDefinition>(
  tx: Queryable,
  event: E,
  data: EventData<E>,
  meta: { correlationId?: string } = {},
): Promise<EnvelopeOf<E>> {
  const envelope = createEnvelope(event, data, meta);
  await tx.query(`INSERT INTO ${MYSQL_OUTBOX_TABLE} (event_id, event_type, envelope) VALUES (?, ?, ?)`, [
    envelope.id,
    envelope.type,
    JSON.stringify(envelope),
  ]);
  return envelope;
}

interface OutboxRow extends RowDataPacket {
  seq: number;
  envelope: string | Envelope;
}

export class MySqlOutboxRelay extends OutboxRelay {
  constructor(
    private readonly pool: Pool,
    private readonly bus: EventBus,
    options: RelayOptions,
  ) {
    super(options);
  }

  async pendingEvents(): Promise<number> {
    const [[row]] = await this.pool.query<Array<RowDataPacket & { n: number }>>(`SELECT COUNT(*) AS n FROM ${MYSQL_OUTBOX_TABLE}`);
    return Number(row?.n ?? 0);
  }

  async drainOnce(): Promise<number> {
    const conn = await this.pool.getConnection();
    try {
      // READ COMMITTED: no gap locks, so relays locking different rows never deadlock each other.
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.beginTransaction();
      const [rows] = await conn.query<OutboxRow[]>(
        `SELECT seq, envelope FROM ${MYSQL_OUTBOX_TABLE} ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (rows.length === 0) {
        await conn.commit();
        metrics().outboxPending.set({ store: 'mysql' }, 0);
        return 0;
      }
      // One connection keeps the order of publishes, so awaiting them together keeps event order.
      await Promise.all(
        rows.map((row) =>
          publishEnvelope(this.bus, typeof row.envelope === 'string' ? (JSON.parse(row.envelope) as Envelope) : row.envelope),
        ),
      );
      await this.options.afterPublish?.();
      // Point deletes by primary key touch only the rows this relay locked; a `seq IN (…)` may be
      // planned as a scan on a small table and wait on rows another relay holds (a deadlock).
      for (const row of rows) await conn.query(`DELETE FROM ${MYSQL_OUTBOX_TABLE} WHERE seq = ?`, [row.seq]);
      await conn.commit();
      // What is still pending: none when the batch was not full (everything found was published),
      // else the rows left, counted on the primary key of a table the relay keeps small.
      let backlog = 0;
      if (rows.length === this.batchSize) {
        const [[counted]] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${MYSQL_OUTBOX_TABLE}`);
        backlog = Number(counted?.n ?? 0);
      }
      metrics().outboxPending.set({ store: 'mysql' }, backlog);
      return rows.length;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }
}
