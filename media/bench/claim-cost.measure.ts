/**
 * Measures what a claim costs with N media waiting, against the test kit's real MongoDB-protocol
 * server (FerretDB over PostgreSQL here), and how many media a worker gets through per second with
 * a backlog of ~300 when the work itself is free (claim → markReady, 8 handlers at once), so the
 * figure is the queue's own overhead. Not part of the suite:
 *   npx jest -c media/bench/jest.config.js
 */
import mongoose from 'mongoose';
import { TestContext } from '@lumina/common/testing';
import * as current from '../src/store/media-store';
import { insertWaitingMedia } from '../test/fixtures/waiting-media';

// STORE=before measures an older store instead, put at bench/.before/media-store.ts (git-ignored),
// e.g. by `git show <commit>:media/src/store/media-store.ts`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MediaStore, newMediaId } = (process.env.STORE === 'before' ? require('./.before/media-store') : current) as typeof current;
type MediaStore = current.MediaStore;

const ctx = new TestContext();
afterAll(() => ctx.cleanup());

async function openStore(name: string): Promise<{ store: MediaStore; close: () => Promise<void> }> {
  const conn = await mongoose.createConnection(ctx.mongoDatabase(name)).asPromise();
  return { store: await MediaStore.open(conn), close: () => conn.close() };
}

const queue = (store: MediaStore, n: number, owners: number) => insertWaitingMedia(store, newMediaId, n, owners);

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

test.each([5, 50, 200, 500])(
  'time per claim with %i media waiting',
  async (n) => {
    const { store, close } = await openStore(`claim_${n}`);
    const runs = 10;
    // n still waiting after the last of the runs (and the warm-up) claimed one each.
    await queue(store, n + runs + 1, 5);
    await store.claimNext(60_000); // warm up (connection, any per-process state)
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i += 1) expect(await store.claimNext(60_000)).not.toBeNull();
    console.log(`N=${n}: ${(ms(t0) / runs).toFixed(1)} ms per claim`);
    await close();
  },
  300_000,
);

test('media per second with a backlog of 300, 8 handlers, free work', async () => {
  const { store, close } = await openStore('throughput');
  await queue(store, 300, 10);
  let done = 0;
  const t0 = process.hrtime.bigint();
  const handler = async () => {
    for (;;) {
      const m = await store.claimNext(60_000);
      if (!m) return;
      const fields = { width: 1, height: 1, blurhash: 'x', variants: null as never };
      const envelope = { id: newMediaId(), type: 'media.ready', data: {} } as never;
      if (await store.markReady(m._id, m.version, fields, envelope)) done += 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, handler));
  const secs = ms(t0) / 1000;
  console.log(`backlog 300: ${done} ready in ${secs.toFixed(1)} s = ${(done / secs).toFixed(1)} media/s`);
  expect(done).toBe(300);
  await close();
}, 600_000);
