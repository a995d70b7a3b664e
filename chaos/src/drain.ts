/**
 * Waiting, by fact, until the system has nothing left to do: every service ready, every
 * consumer with nothing pending and nothing taken-but-unacknowledged (a message a killed
 * consumer had taken comes back only when its ack_wait runs out: this waits for that), every
 * outbox empty, no upload still processing, no post still waiting for its fan-out.
 */
import type { Pool } from 'mysql2/promise';
import type { mongo } from 'mongoose';
import type { ChaosSystem } from './system';

export interface Stores {
  mysql: { auth: Pool; search: Pool };
  mongo: { posts: mongo.Db; media: mongo.Db; timeline: mongo.Db };
}

export interface DrainResult {
  converged: boolean;
  ms: number;
  /** What was still busy at the last look (empty once converged). */
  busy: string[];
}

export async function backlog(chaos: ChaosSystem, stores: Stores): Promise<string[]> {
  const busy: string[] = [];
  for (const proc of chaos.system.processes.values()) {
    const ready = await fetch(`${proc.url}/readyz`, { signal: AbortSignal.timeout(5_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (!ready) busy.push(`${proc.spec.name} not ready`);
  }
  try {
    for await (const stream of chaos.admin.jsm.streams.names()) {
      if (!stream.startsWith(chaos.namespace.streamPrefix) || stream.endsWith('DLQ')) continue;
      for await (const c of chaos.admin.jsm.consumers.list(stream)) {
        if (c.num_pending > 0 || c.num_ack_pending > 0)
          busy.push(`${c.name}: ${c.num_pending} pending, ${c.num_ack_pending} unacknowledged`);
      }
    }
  } catch (err) {
    busy.push(`NATS: ${(err as Error).message}`);
  }
  const [[outbox]] = (await stores.mysql.auth.query('SELECT COUNT(*) AS n FROM outbox_events')) as unknown as [[{ n: number }]];
  if (Number(outbox!.n) > 0) busy.push(`auth outbox: ${outbox!.n}`);
  const checks: Array<[string, mongo.Db, string, mongo.Filter<mongo.Document>]> = [
    ['posts outbox', stores.mongo.posts, 'posts', { _outboxPending: true }],
    ['media outbox', stores.mongo.media, 'media', { _outboxPending: true }],
    ['media processing', stores.mongo.media, 'media', { status: 'processing' }],
    ['timeline fan-out pending', stores.mongo.timeline, 'posts', { state: 'live', fanout: 'pending' }],
  ];
  for (const [what, db, collection, filter] of checks) {
    const n = await db.collection(collection).countDocuments(filter);
    if (n > 0) busy.push(`${what}: ${n}`);
  }
  // Engagement counted but its like/comment row not yet written (posts' pending ops).
  const withOps = await stores.mongo.posts
    .collection('posts')
    .find({ _pending: { $exists: true } }, { projection: { _pending: 1 } })
    .toArray();
  const ops = withOps.reduce((n, d) => n + ((d._pending as unknown[] | null)?.length ?? 0), 0);
  if (ops > 0) busy.push(`posts pending engagement ops: ${ops}`);
  return busy;
}

/** Polls until two looks in a row find nothing to do, or the time is up. */
export async function drain(
  chaos: ChaosSystem,
  stores: Stores,
  timeoutMs: number,
  onBusy?: (busy: string[]) => void,
): Promise<DrainResult> {
  const began = Date.now();
  let quietLooks = 0;
  let quietSince = 0;
  let busy: string[] = [];
  while (Date.now() - began < timeoutMs) {
    busy = await backlog(chaos, stores).catch((err: Error) => [`looking failed: ${err.message}`]);
    if (busy.length === 0) {
      if (quietLooks === 0) quietSince = Date.now();
      quietLooks += 1;
      // Converged when the first of two quiet looks was taken.
      if (quietLooks >= 2) return { converged: true, ms: quietSince - began, busy };
    } else {
      quietLooks = 0;
      onBusy?.(busy);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return { converged: false, ms: Date.now() - began, busy };
}
