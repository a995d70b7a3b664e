/**
 * The storage probe: the shapes of query Lumina's MongoDB-backed services make, timed on
 * FerretDB 1.24 over SQLite (what `npm start` uses here without a mongod) and over PostgreSQL
 * (what the benchmark runs on), at two collection sizes. A cost that grows with the collection is
 * a scan: the query was not pushed down to the engine, so no index helped.
 */
import type { mongo } from 'mongoose';
import { mongo as driver } from 'mongoose';
import { summarize } from '../util/stats';
import { ProgressBar } from '@lumina/datasets';
import { startFerret, type MongoBackend } from '../system/ferretdb';

export interface ProbeRow {
  backend: MongoBackend;
  documents: number;
  /** Median milliseconds per operation, by operation. */
  ms: Record<ProbeOperation, number>;
}

export type ProbeOperation =
  'findById' | 'updateById' | 'applyIfNewerUpsert' | 'ownerPageSorted' | 'countByField' | 'idsIn' | 'idsEach' | 'idsInCommonState';

export const PROBE_OPERATIONS: Record<ProbeOperation, string> = {
  findById: 'findOne({_id})',
  updateById: 'updateOne({_id}, {$set})',
  applyIfNewerUpsert: 'updateOne({_id, version: {$lt}}, {$set}, {upsert}) (every event copy)',
  ownerPageSorted: 'find({ownerId}).sort().limit(21) (a home page)',
  countByField: 'countDocuments({followeeId, state}) (fan-out)',
  idsIn: 'find({_id: {$in: 20 ids}}) (rendering a page, on MongoDB)',
  idsEach: '20 × find({_id}) at once (rendering a page, on FerretDB: findAmong)',
  idsInCommonState: "find({_id: {$in}, state: 'active'}) (is a merged author followed?)",
};

interface Row {
  _id: string;
  ownerId: string;
  followeeId: string;
  state: string;
  postId: string;
  createdAt: Date;
  version: number;
}

async function timeOps(times: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await op(i);
    samples.push(performance.now() - started);
  }
  return summarize(samples).p50;
}

async function probeOne(collection: mongo.Collection<Row>, documents: number, times: number): Promise<Record<ProbeOperation, number>> {
  const owner = (i: number) => `user-${i % 400}`;
  return {
    findById: await timeOps(times, (i) => collection.findOne({ _id: `doc-${(i * 37) % documents}` })),
    updateById: await timeOps(times, (i) => collection.updateOne({ _id: `doc-${(i * 53) % documents}` }, { $set: { state: 'active' } })),
    applyIfNewerUpsert: await timeOps(times, (i) =>
      collection.updateOne(
        { _id: `new-${documents}-${i}`, version: { $lt: 1 } },
        { $set: { ownerId: 'x', followeeId: 'y', state: 'active', version: 1 } },
        { upsert: true },
      ),
    ),
    ownerPageSorted: await timeOps(times, (i) =>
      collection
        .find({ ownerId: owner(i) })
        .sort({ createdAt: -1, postId: -1 })
        .limit(21)
        .toArray(),
    ),
    countByField: await timeOps(times, (i) => collection.countDocuments({ followeeId: owner(i), state: 'active' })),
    idsIn: await timeOps(times, (i) =>
      collection.find({ _id: { $in: Array.from({ length: 20 }, (_, k) => `doc-${(i * 101 + k * 13) % documents}`) } }).toArray(),
    ),
    idsEach: await timeOps(times, (i) =>
      Promise.all(Array.from({ length: 20 }, (_, k) => collection.find({ _id: `doc-${(i * 101 + k * 13) % documents}` }).toArray())),
    ),
    idsInCommonState: await timeOps(times, (i) =>
      collection.find({ _id: { $in: [`doc-${(i * 7) % documents}`, `doc-${(i * 11) % documents}`] }, state: 'active' }).toArray(),
    ),
  };
}

export async function runStorageProbe(options: {
  tag: string;
  sizes: number[];
  times: number;
  backends: MongoBackend[];
}): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  const bar = new ProgressBar('storage probe', options.backends.length * options.sizes.length);
  for (const backend of options.backends) {
    const ferret = await startFerret({ backend, tag: `${options.tag}_probe_${backend}` });
    const client = await driver.MongoClient.connect(ferret.url);
    try {
      const collection = client.db('probe').collection<Row>('entries');
      await collection.createIndex({ ownerId: 1, createdAt: -1, postId: -1 });
      await collection.createIndex({ followeeId: 1, state: 1 });
      let have = 0;
      for (const size of options.sizes) {
        const docs: Row[] = [];
        for (let i = have; i < size; i += 1) {
          docs.push({
            _id: `doc-${i}`,
            ownerId: `user-${i % 400}`,
            followeeId: `user-${(i * 7) % 400}`,
            state: 'active',
            postId: `post-${i}`,
            createdAt: new Date(Date.now() - i * 1000),
            version: 1,
          });
        }
        for (let i = 0; i < docs.length; i += 1000) await collection.insertMany(docs.slice(i, i + 1000), { ordered: false });
        have = size;
        rows.push({ backend, documents: size, ms: await probeOne(collection, size, options.times) });
        bar.tick();
      }
    } finally {
      await client.close();
      await ferret.stop();
    }
  }
  bar.finish();
  return rows;
}
