/**
 * Rebuilds the index from scratch by replaying the USERS and POSTS streams from their first
 * message, while the live tables keep serving:
 *
 *   1. create a fresh set of tables (`users_rebuild`, … — the live tables' definitions, FULLTEXT
 *      indexes created stopword-free like the originals);
 *   2. replay both streams with ordered consumers into them, through the same applyToIndex the
 *      live listeners use, up to the end of each stream (sequence S);
 *   3. refresh the fresh tables' statistics (ANALYZE TABLE: FULLTEXT relevance depends on them),
 *      switch in one atomic statement (RENAME TABLE users TO users_old, users_rebuild TO users, …)
 *      and drop the old tables;
 *   4. replay from S + 1 into the now-live tables: whatever the live listeners applied to the
 *      old tables between steps 2 and 3 is applied again here. Applying is idempotent (versions),
 *      so anything handled twice, by the replay and by a listener, is harmless.
 *
 * A named lock keeps two rebuilds from running at once. If anything fails before the switch, the
 * fresh tables are dropped and the live index is untouched.
 */
import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { streamNameFor, type EventBus, type Logger, type StreamName } from '@lumina/common';
import type { Pool } from 'mysql2/promise';
import { applyToIndex, parseIndexedEvent } from './events/apply';
import { IndexWriter } from './store/index-writer';
import { FRESH_TABLES, RebuildTables } from './store/rebuild-tables';
import { LIVE_TABLES, type TableSet } from './store/schema';

export const REPLAYED_STREAMS: StreamName[] = ['USERS', 'POSTS'];

export interface RebuildOptions {
  pool: Pool;
  bus: EventBus;
  log: Logger;
  /** Events applied at once during the replay (order does not matter: versions decide). */
  concurrency?: number;
  /** Runs after the replay and before the switch, while the live tables still serve (tests use it). */
  beforeSwitch?: (fresh: TableSet) => Promise<void>;
}

export interface RebuildReport {
  /** Events applied to the fresh tables, per stream. */
  replayed: Record<string, number>;
  /** Events applied again after the switch (those that arrived during the rebuild). */
  caughtUp: number;
  /** Messages that did not parse as their event (the live listeners dead-lettered them). */
  skipped: number;
  durationMs: number;
}

interface ReplayResult {
  /** Every indexed event up to this stream sequence has been applied. */
  lastSeq: number;
  applied: number;
  skipped: number;
}

/** Applies every indexed event of a stream after `afterSeq`, up to the stream's current end. */
async function replayStream(
  bus: EventBus,
  stream: StreamName,
  afterSeq: number,
  index: IndexWriter,
  concurrency: number,
  log: Logger,
): Promise<ReplayResult> {
  const name = streamNameFor(bus.ns, stream);
  const endAtStart = (await bus.jsm.streams.info(name)).state.last_seq;
  const result: ReplayResult = { lastSeq: Math.max(afterSeq, endAtStart), applied: 0, skipped: 0 };
  if (endAtStart <= afterSeq) return result;
  // The whole stream, and what is not indexed is skipped below: an ordered consumer with several
  // filter subjects is created through the API subject that names no consumer, which search's NATS
  // user may not use (it would let search change other services' consumers; permissions.ts).
  const consumer = await bus.js.consumers.get(name, {
    ...(afterSeq > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }
      : { deliver_policy: DeliverPolicy.All }),
  });

  const apply = async (msg: JsMsg): Promise<void> => {
    const type = msg.subject.slice(bus.ns.subjectPrefix.length + 1);
    let envelope;
    try {
      envelope = parseIndexedEvent(type, msg.data);
    } catch (err) {
      result.skipped += 1;
      log.warn({ stream, seq: msg.seq, err: (err as Error).message }, 'rebuild: skipping an invalid event');
      return;
    }
    if (!envelope) return;
    await applyToIndex(index, envelope);
    result.applied += 1;
  };

  for (;;) {
    const batch: JsMsg[] = [];
    let caughtUp = false;
    const messages = await consumer.fetch({ max_messages: 500, expires: 1000 });
    for await (const msg of messages) {
      batch.push(msg);
      if (msg.info.pending === 0) {
        caughtUp = true;
        break;
      }
    }
    // Version checks make the order of application irrelevant, so a batch is applied in parallel.
    for (let i = 0; i < batch.length; i += concurrency) await Promise.all(batch.slice(i, i + concurrency).map(apply));
    for (const msg of batch) result.lastSeq = Math.max(result.lastSeq, msg.seq);
    if (caughtUp || batch.length === 0) return result;
  }
}

export async function rebuildIndex(options: RebuildOptions): Promise<RebuildReport> {
  const { pool, bus, log } = options;
  const concurrency = options.concurrency ?? 8;
  const started = Date.now();
  const tables = new RebuildTables(pool);
  return tables.exclusively(async () => {
    const report: RebuildReport = { replayed: {}, caughtUp: 0, skipped: 0, durationMs: 0 };
    const marks: Partial<Record<StreamName, number>> = {};
    await tables.createFresh();
    try {
      const fresh = new IndexWriter(pool, FRESH_TABLES);
      for (const stream of REPLAYED_STREAMS) {
        const replay = await replayStream(bus, stream, 0, fresh, concurrency, log);
        marks[stream] = replay.lastSeq;
        report.replayed[stream] = replay.applied;
        report.skipped += replay.skipped;
        log.info({ stream, applied: replay.applied, lastSeq: replay.lastSeq }, 'rebuild: stream replayed');
      }
      await tables.analyzeFresh();
      await options.beforeSwitch?.(FRESH_TABLES);
      await tables.switchToFresh();
    } catch (err) {
      await tables.dropFresh().catch(() => undefined);
      throw err;
    }
    log.info('rebuild: switched to the rebuilt tables');
    const live = new IndexWriter(pool, LIVE_TABLES);
    for (const stream of REPLAYED_STREAMS) {
      const catchUp = await replayStream(bus, stream, marks[stream] ?? 0, live, concurrency, log);
      report.caughtUp += catchUp.applied;
      report.skipped += catchUp.skipped;
    }
    report.durationMs = Date.now() - started;
    return report;
  });
}
