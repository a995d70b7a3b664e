/**
 * What a claim asks of the database, counted from the driver's own command events rather than
 * timed: FerretDB 1.24 pushes only top-level equality down and does a sort or a range in its own
 * process over every document the equality matched, so a claim that sorts all waiting media gets
 * slower with each one queued (found by the chaos run: ~1 media/s with 500 waiting). A claim must
 * send the same few `_id` commands with 500 waiting as with 5, no sort, and draining a backlog
 * must read the waiting set once, not once per claim. (Timeouts are generous: 300 claims and
 * writes on a busy machine; nothing here waits for time.)
 */
import mongoose, { type Connection } from 'mongoose';
import { TestContext } from '@lumina/common/testing';
import { MediaStore, newMediaId } from '../src/store/media-store';
import { insertWaitingMedia } from './fixtures/waiting-media';

const ctx = new TestContext();
afterAll(() => ctx.cleanup());

interface Sent {
  name: string;
  filter: Record<string, unknown> | undefined;
  sort: unknown;
  /** Documents the server answered with (find and friends). */
  returned: number;
}

/** A store on a connection of its own, with every command it sends recorded. */
async function monitoredStore(name: string, queueRefreshMs?: number): Promise<{ store: MediaStore; sent: Sent[]; conn: Connection }> {
  const conn = await mongoose.createConnection(ctx.mongoDatabase(name), { monitorCommands: true }).asPromise();
  ctx.onCleanup(() => conn.close());
  const sent: Sent[] = [];
  const byRequest = new Map<number, Sent>();
  const client = conn.getClient();
  client.on('commandStarted', (e) => {
    const cmd = e.command as Record<string, unknown>;
    const update = (cmd.updates as Array<{ q: Record<string, unknown> }> | undefined)?.[0];
    const entry = { name: e.commandName, filter: (cmd.filter as Record<string, unknown>) ?? update?.q, sort: cmd.sort, returned: 0 };
    byRequest.set(e.requestId, entry);
    sent.push(entry);
  });
  client.on('commandSucceeded', (e) => {
    const entry = byRequest.get(e.requestId);
    const batch = (e.reply as { cursor?: { firstBatch?: unknown[] } }).cursor?.firstBatch;
    if (entry && batch) entry.returned = batch.length;
    byRequest.delete(e.requestId);
  });
  const store = await MediaStore.open(conn, { queueRefreshMs });
  return { store, sent, conn };
}

/** n waiting media of 5 owners, uploaded one millisecond apart, turns as nextTurn would give them. */
const queue = (store: MediaStore, n: number) => insertWaitingMedia(store, newMediaId, n, 5);

const ofStore = (sent: Sent[]) => sent.filter((s) => ['find', 'update', 'findAndModify', 'aggregate', 'count'].includes(s.name));

/** What one claim sent, once the store has loaded its queue. */
async function oneClaim(n: number) {
  const { store, sent } = await monitoredStore(`claim_${n}`);
  const ids = await queue(store, n);
  expect(await store.claimNext(60_000)).not.toBeNull(); // loads the queue
  sent.length = 0;
  const claimed = await store.claimNext(60_000);
  return { claimed, ids, sent: ofStore(sent) };
}

test('one claim sends the same few commands by _id, no sort and no range scan, with 500 waiting as with 5', async () => {
  const small = await oneClaim(5);
  const large = await oneClaim(500);
  // Still in fair order: turn 0 of each of the 5 owners went first.
  expect(small.claimed?._id).toBe(small.ids[1]);
  expect(large.claimed?._id).toBe(large.ids[1]);
  for (const { sent } of [small, large]) {
    for (const s of sent) {
      expect(s.sort).toBeUndefined();
      // `_id` equality: FerretDB reads one document whatever the rest of the filter says.
      expect(typeof s.filter?._id).toBe('string');
      expect(s.returned).toBeLessThanOrEqual(1);
    }
  }
  expect(large.sent.map((s) => s.name)).toEqual(small.sent.map((s) => s.name));
  expect(large.sent.length).toBeLessThanOrEqual(3);
}, 60_000);

test('draining 300 waiting media reads the waiting set once and a bounded number of documents per claim', async () => {
  const { store, sent } = await monitoredStore('drain', 3_600_000);
  const ids = await queue(store, 300);
  sent.length = 0;
  const order: string[] = [];
  for (;;) {
    const m = await store.claimNext(60_000);
    if (!m) break;
    order.push(m._id);
    const event = { id: newMediaId(), type: 'media.ready', data: {} } as never;
    expect(await store.markReady(m._id, m.version, { width: 1, height: 1, blurhash: 'x', variants: null as never }, event)).toBe(true);
  }
  expect(order).toEqual(ids); // the fair order (turn, then upload time) of queue()
  const commands = ofStore(sent);
  expect(commands.filter((s) => s.sort !== undefined)).toEqual([]);
  const fullReads = commands.filter((s) => typeof s.filter?._id !== 'string');
  expect(fullReads).toHaveLength(1);
  expect(fullReads[0]!.filter).toEqual({ status: 'processing' }); // top-level equality only
  expect(store.queue.loads).toBe(1);
  const returned = commands.reduce((sum, s) => sum + s.returned, 0);
  // 300 for the one load, then the claimed document once per claim (and once more at most).
  expect(returned).toBeLessThanOrEqual(300 + 2 * 300);
}, 120_000);

test('the queue is only a hint: media claimed or finished by another replica are skipped, an expired lease is taken', async () => {
  const { store: here } = await monitoredStore('replicas', 3_600_000);
  const ids = await queue(here, 4);
  const { store: there } = await monitoredStore('replicas', 3_600_000);
  await here.queue.fresh();
  await there.queue.fresh();
  // The other replica claims the first and finishes the second; this one's picture is now stale.
  const first = await there.claimNext(60_000);
  expect(first?._id).toBe(ids[0]);
  const second = await there.claimNext(60_000);
  const event = { id: newMediaId(), type: 'media.ready', data: {} } as never;
  await there.markReady(second!._id, second!.version, { width: 1, height: 1, blurhash: 'x', variants: null as never }, event);
  expect((await here.claimNext(60_000))?._id).toBe(ids[2]);
  // The other replica dies: once its lease has run out, its media is claimable again here.
  expect((await here.claimNext(60_000, new Date(Date.now() + 61_000)))?._id).toBe(ids[0]);
  // A deferred retry waits its delay.
  await here.deferAfterFailedTry(ids[3]!, new Date(Date.now() + 60_000));
  expect(await here.claimNext(60_000)).toBeNull();
});
