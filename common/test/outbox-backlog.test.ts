/** outbox_pending_events: what is left to publish after a batch, not 0 or the batch size. */
import mongoose from 'mongoose';
import type { Pool } from 'mysql2/promise';
import {
  Events,
  MYSQL_OUTBOX_DDL,
  MongoOutboxRelay,
  MySqlOutboxRelay,
  createMysqlPool,
  enqueueEvent,
  metrics,
  outboxEvent,
  outboxFields,
  outboxSchemaFields,
  type EventBus,
} from '../src';
import { TestContext, testLogger } from '../src/testing';
import { user } from './helpers';

const ctx = new TestContext();
let bus: EventBus;
let pool: Pool;
let mongo: mongoose.Connection;

beforeAll(async () => {
  bus = await ctx.eventBus();
  pool = createMysqlPool(await ctx.mysqlDatabase('backlog'));
  await pool.query(MYSQL_OUTBOX_DDL);
  mongo = await mongoose.createConnection(ctx.mongoDatabase('backlog')).asPromise();
});
afterAll(async () => {
  await pool.end();
  await mongo.close();
  await ctx.cleanup();
});

async function backlog(store: string): Promise<number | undefined> {
  const gauge = await metrics().outboxPending.get();
  return gauge.values.find((v) => v.labels.store === store)?.value;
}

test('MySQL: after a full batch, the events still in the table; after the last one, 0', async () => {
  for (let i = 0; i < 5; i += 1) await enqueueEvent(pool, Events.userCreated, user(`b${i}`));
  const relay = new MySqlOutboxRelay(pool, bus, { log: testLogger, batchSize: 2 });
  expect(await relay.drainOnce()).toBe(2);
  expect(await backlog('mysql')).toBe(3);
  expect(await relay.drainOnce()).toBe(2);
  expect(await backlog('mysql')).toBe(1);
  expect(await relay.drainOnce()).toBe(1);
  expect(await backlog('mysql')).toBe(0);
});

test('MongoDB: after a full batch, the documents still flagged; after the last one, 0', async () => {
  const Account = mongo.model('Account', new mongoose.Schema({ _id: String, ...outboxSchemaFields }));
  await Account.createCollection();
  await Account.syncIndexes();
  for (let i = 0; i < 5; i += 1) {
    await Account.collection.insertOne({ _id: `m${i}`, ...outboxFields(outboxEvent(Events.userCreated, user(`m${i}`))) } as never);
  }
  const relay = new MongoOutboxRelay([Account.collection as unknown as mongoose.mongo.Collection], bus, { log: testLogger, batchSize: 2 });
  const store = `mongo:${Account.collection.collectionName}`;
  expect(await relay.drainOnce()).toBe(2);
  expect(await backlog(store)).toBe(3);
  await relay.drainOnce();
  expect(await backlog(store)).toBe(1);
  await relay.drainOnce();
  expect(await backlog(store)).toBe(0);
});
