/**
 * Both outboxes against their real stores: MySQL (MariaDB here) and the MongoDB-protocol
 * server (FerretDB here). "Killed between publish and clear" is the afterPublish hook throwing:
 * the relay has published, then dies before it can delete/pull the rows.
 */
import mongoose from 'mongoose';
import type { Pool } from 'mysql2/promise';
import {
  Events,
  MYSQL_OUTBOX_DDL,
  MongoOutboxRelay,
  MySqlOutboxRelay,
  createMysqlPool,
  enqueueEvent,
  OUTBOX_PENDING_FIELD,
  outboxEvent,
  outboxFields,
  outboxSchemaFields,
  pushEvents,
  streamNameFor,
  type EventBus,
} from '../src';
import { TestContext, collectEvents, eventually, testLogger } from '../src/testing';
import { RecordingListener, user } from './helpers';

const ctx = new TestContext();
let bus: EventBus;
let pool: Pool;
let mongo: mongoose.Connection;
let AccountModel: mongoose.Model<{ _id: string; name: string; _outbox?: unknown[] }>;
let Account: { collection: mongoose.mongo.Collection };

beforeAll(async () => {
  bus = await ctx.eventBus();
  pool = createMysqlPool(await ctx.mysqlDatabase('outbox'));
  await pool.query(MYSQL_OUTBOX_DDL);
  await pool.query('CREATE TABLE accounts (id VARCHAR(64) PRIMARY KEY, name VARCHAR(100) NOT NULL)');
  mongo = await mongoose.createConnection(ctx.mongoDatabase('outbox')).asPromise();
  AccountModel = mongo.model<{ _id: string; name: string; _outbox?: unknown[] }>(
    'Account',
    new mongoose.Schema({ _id: String, name: String, ...outboxSchemaFields }),
  );
  await AccountModel.createCollection();
  await AccountModel.syncIndexes();
  Account = { collection: AccountModel.collection as unknown as mongoose.mongo.Collection };
});
afterAll(async () => {
  await pool.end();
  await mongo.close();
  await ctx.cleanup();
});

const crash = () => {
  throw new Error('process killed between publish and clear');
};

async function streamCount(): Promise<number> {
  return (await bus.jsm.streams.info(streamNameFor(bus.ns, 'USERS'))).state.messages;
}

async function createAccountInMysql(id: string): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await conn.query('INSERT INTO accounts (id, name) VALUES (?, ?)', [id, 'n']);
    await enqueueEvent(conn, Events.userCreated, user(id));
    await conn.commit();
  } finally {
    conn.release();
  }
}

describe('MySQL outbox', () => {
  test('a rolled-back transaction leaves no event behind', async () => {
    const conn = await pool.getConnection();
    await conn.beginTransaction();
    await conn.query('INSERT INTO accounts (id, name) VALUES (?, ?)', ['rolled', 'n']);
    await enqueueEvent(conn, Events.userCreated, user('rolled'));
    await conn.rollback();
    conn.release();
    const [rows] = await pool.query('SELECT COUNT(*) AS n FROM outbox_events');
    expect((rows as Array<{ n: number }>)[0]!.n).toBe(0);
  });

  test('an event committed while no relay runs is published once a relay starts', async () => {
    await createAccountInMysql('m1');
    const before = await streamCount();
    await new MySqlOutboxRelay(pool, bus, { log: testLogger }).drain();
    expect(await streamCount()).toBe(before + 1);
    const [rows] = await pool.query('SELECT COUNT(*) AS n FROM outbox_events');
    expect((rows as Array<{ n: number }>)[0]!.n).toBe(0);
  });

  test('a relay killed between publish and clear causes no duplicate effect', async () => {
    const listener = new RecordingListener(bus, { service: 'mysql-outbox', backoffMs: [100] });
    await listener.start();
    await createAccountInMysql('m2');
    const before = await streamCount();

    await expect(new MySqlOutboxRelay(pool, bus, { log: testLogger, afterPublish: crash }).drain()).rejects.toThrow('killed');
    const [pending] = await pool.query('SELECT COUNT(*) AS n FROM outbox_events');
    expect((pending as Array<{ n: number }>)[0]!.n).toBe(1); // still there: the clear never happened

    await new MySqlOutboxRelay(pool, bus, { log: testLogger }).drain(); // the restarted relay publishes again
    expect(await streamCount()).toBe(before + 1); // JetStream dropped the repeat by its Nats-Msg-Id
    await eventually(() => expect(listener.handled.filter((h) => h.id === 'm2')).toHaveLength(1));
    await ctx.drained({ services: ['mysql-outbox'] });
    expect(listener.handled.filter((h) => h.id === 'm2')).toHaveLength(1);
    await listener.stop();
  });

  test('two relays at once publish each event once (SKIP LOCKED)', async () => {
    for (let i = 0; i < 30; i += 1) await createAccountInMysql(`par${i}`);
    const collector = await collectEvents(bus, Events.userCreated);
    const before = await streamCount();
    const a = new MySqlOutboxRelay(pool, bus, { log: testLogger, batchSize: 5 });
    const b = new MySqlOutboxRelay(pool, bus, { log: testLogger, batchSize: 5 });
    await Promise.all([a.drain(), b.drain()]);
    expect(await streamCount()).toBe(before + 30);
    await eventually(() => expect(collector.received.filter((e) => e.data.id.startsWith('par'))).toHaveLength(30));
    await collector.stop();
  });

  test('a running relay publishes soon after notify()', async () => {
    const relay = new MySqlOutboxRelay(pool, bus, { log: testLogger, pollIntervalMs: 60_000 });
    relay.start();
    const collector = await collectEvents(bus, Events.userCreated);
    await createAccountInMysql('notified');
    relay.notify();
    // Well inside the minute-long poll, so only the wake-up can have published it; not so tight
    // that a busy machine misses it.
    await collector.waitFor((d) => d.id === 'notified', 20_000);
    await relay.stop();
    await collector.stop();
  });
});

describe('MongoDB outbox', () => {
  async function createAccountInMongo(id: string): Promise<void> {
    // The change and its event in one single-document write.
    await Account.collection.insertOne({ _id: id, name: 'n', ...outboxFields(outboxEvent(Events.userCreated, user(id))) } as never);
  }

  const flagOf = async (id: string) => (await Account.collection.findOne({ _id: id } as never))?.[OUTBOX_PENDING_FIELD];

  test('an event written with its document is published and cleared', async () => {
    await createAccountInMongo('g1');
    const before = await streamCount();
    await new MongoOutboxRelay([Account.collection], bus, { log: testLogger }).drain();
    expect(await streamCount()).toBe(before + 1);
    const doc = await Account.collection.findOne({ _id: 'g1' } as never);
    expect(doc?._outbox ?? []).toHaveLength(0);
  });

  test('events pushed by later updates are published in order', async () => {
    await createAccountInMongo('g2');
    await Account.collection.updateOne({ _id: 'g2' } as never, {
      $set: { name: 'renamed' },
      ...pushEvents(outboxEvent(Events.userUpdated, user('g2', 2))),
    });
    const created = await collectEvents(bus, Events.userCreated);
    const updated = await collectEvents(bus, Events.userUpdated);
    await new MongoOutboxRelay([Account.collection], bus, { log: testLogger }).drain();
    await created.waitFor((d) => d.id === 'g2');
    const event = await updated.waitFor((d) => d.id === 'g2');
    expect(event.data.version).toBe(2);
    await created.stop();
    await updated.stop();
  });

  test('a relay killed between publish and clear causes no duplicate effect', async () => {
    const listener = new RecordingListener(bus, { service: 'mongo-outbox', backoffMs: [100] });
    await listener.start();
    await createAccountInMongo('g3');
    const before = await streamCount();
    await expect(new MongoOutboxRelay([Account.collection], bus, { log: testLogger, afterPublish: crash }).drain()).rejects.toThrow(
      'killed',
    );
    expect((await Account.collection.findOne({ _id: 'g3' } as never))?._outbox).toHaveLength(1);

    await new MongoOutboxRelay([Account.collection], bus, { log: testLogger }).drain();
    expect(await streamCount()).toBe(before + 1);
    await eventually(() => expect(listener.handled.filter((h) => h.id === 'g3')).toHaveLength(1));
    await ctx.drained({ services: ['mongo-outbox'] });
    expect(listener.handled.filter((h) => h.id === 'g3')).toHaveLength(1);
    await listener.stop();
  });

  test('an event pushed while the relay publishes is kept for the next round', async () => {
    await createAccountInMongo('g4');
    const relay = new MongoOutboxRelay([Account.collection], bus, {
      log: testLogger,
      // A concurrent writer adds an event after the relay read the document.
      afterPublish: async () => {
        await Account.collection.updateOne({ _id: 'g4' } as never, pushEvents(outboxEvent(Events.userUpdated, user('g4', 2))));
      },
    });
    await relay.drainOnce();
    const doc = await Account.collection.findOne({ _id: 'g4' } as never);
    expect((doc?._outbox as Array<{ type: string }>).map((e) => e.type)).toEqual(['user.updated']);
  });
  test('the relay finds pending documents by the flag, and lowers it once their events are out', async () => {
    const relay = new MongoOutboxRelay([Account.collection], bus, { log: testLogger });
    await relay.drain(); // its first drain adopted whatever was written without the flag
    await createAccountInMongo('f1');
    expect(await flagOf('f1')).toBe(true);
    // Written as a release before the flag did: events, no flag. A poll does not scan for it.
    await Account.collection.insertOne({ _id: 'f2', name: 'n', _outbox: [outboxEvent(Events.userCreated, user('f2'))] } as never);
    const created = await collectEvents(bus, Events.userCreated);
    await relay.drain();
    await created.waitFor((d) => d.id === 'f1');
    expect(await flagOf('f1')).toBeUndefined();
    expect((await Account.collection.findOne({ _id: 'f2' } as never))?._outbox).toHaveLength(1);
    // A relay starting up (a new release's first drain) flags and publishes it.
    await new MongoOutboxRelay([Account.collection], bus, { log: testLogger }).drain();
    await created.waitFor((d) => d.id === 'f2');
    expect((await Account.collection.findOne({ _id: 'f2' } as never))?._outbox).toEqual([]);
    expect(await flagOf('f2')).toBeUndefined();
    await created.stop();
  });

  test('Model.create with events raises the flag, and pushEvents beside a $set keeps the $set', async () => {
    await AccountModel.create({ _id: 'f3', name: 'n', _outbox: [outboxEvent(Events.userCreated, user('f3'))] });
    expect(await flagOf('f3')).toBe(true);
    await AccountModel.create({ _id: 'f4', name: 'no events' });
    expect(await flagOf('f4')).toBeUndefined();
    await AccountModel.updateOne(
      { _id: 'f4' },
      { $set: { name: 'renamed' }, ...pushEvents(outboxEvent(Events.userUpdated, user('f4', 2))) },
    );
    const doc = await Account.collection.findOne({ _id: 'f4' } as never);
    expect(doc?.name).toBe('renamed');
    expect(doc?.[OUTBOX_PENDING_FIELD]).toBe(true);
    await new MongoOutboxRelay([Account.collection], bus, { log: testLogger }).drain();
    expect(await flagOf('f3')).toBeUndefined();
  });

  test('a document whose clear keeps failing holds up no other document of the batch', async () => {
    // The one that fails is written first, so a relay going through the batch in order meets it first.
    for (const id of ['h0', 'h1', 'h2', 'h3']) await createAccountInMongo(id);
    const created = await collectEvents(bus, Events.userCreated);
    const relay = new MongoOutboxRelay([Account.collection], bus, {
      log: testLogger,
      beforeClear: async (_collection, doc) => {
        if (doc._id === 'h0') throw new Error('this one cannot be cleared yet');
      },
    });
    await expect(relay.drainOnce()).rejects.toThrow('cannot be cleared');
    for (const id of ['h1', 'h2', 'h3']) {
      await created.waitFor((d) => d.id === id);
      expect(await flagOf(id)).toBeUndefined();
      expect((await Account.collection.findOne({ _id: id } as never))?._outbox).toEqual([]);
    }
    // Its events stay for the next round (published again: JetStream drops the duplicate).
    expect(await flagOf('h0')).toBe(true);
    expect((await Account.collection.findOne({ _id: 'h0' } as never))?._outbox).toHaveLength(1);
    await new MongoOutboxRelay([Account.collection], bus, { log: testLogger }).drain();
    expect(await flagOf('h0')).toBeUndefined();
    await created.stop();
  });

  test('after a failed round a running relay tries again within a second, however long its poll', async () => {
    await createAccountInMongo('r1');
    let tries = 0;
    const relay = new MongoOutboxRelay([Account.collection], bus, {
      log: testLogger,
      pollIntervalMs: 60_000,
      beforeClear: async () => {
        tries += 1;
        if (tries === 1) throw new Error('the database did not answer this time');
      },
    });
    relay.start();
    try {
      // No write wakes it: only its retry can publish r1 (a backoff grown from the poll would wait 30 s).
      await eventually(async () => expect(await flagOf('r1')).toBeUndefined(), { timeoutMs: 3000 });
      expect(tries).toBe(2);
    } finally {
      await relay.stop();
    }
  });

  test('a writer that names its document has it published alone, looked up by _id; a name-less notify() looks through all', async () => {
    const relay = new MongoOutboxRelay([Account.collection], bus, { log: testLogger, pollIntervalMs: 60_000 });
    // Nothing pending from before, so the relay's own first look is behind it.
    await relay.drain();
    const created = await collectEvents(bus, Events.userCreated);
    await createAccountInMongo('named');
    await createAccountInMongo('unnamed');
    relay.start();
    try {
      relay.notify('named');
      await created.waitFor((d) => d.id === 'named', 20_000);
      await eventually(async () => expect(await flagOf('named')).toBeUndefined(), { timeoutMs: 20_000 });
      // Only a look through every pending document (or the minute's poll) would have found it.
      expect(await flagOf('unnamed')).toBe(true);
      relay.notify();
      await created.waitFor((d) => d.id === 'unnamed', 20_000);
    } finally {
      await relay.stop();
      await created.stop();
    }
  });

  /** The collection, with every find and findOne it answers recorded (the relay's reads). */
  function recordingReads(reads: unknown[]): mongoose.mongo.Collection {
    const collection = Account.collection;
    return new Proxy(collection, {
      get(target, name) {
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== 'function') return value;
        if (name !== 'find' && name !== 'findOne') return value.bind(target);
        return (...args: unknown[]) => {
          reads.push(args[0]);
          return value.apply(target, args);
        };
      },
    });
  }

  test('a writer that hands over the document it inserted has its events out and cleared with no read and no hook', async () => {
    const reads: unknown[] = [];
    const hooked: unknown[] = [];
    const relay = new MongoOutboxRelay([recordingReads(reads)], bus, {
      log: testLogger,
      pollIntervalMs: 60_000,
      beforeClear: async (_collection, doc) => {
        hooked.push(doc._id);
      },
    });
    await relay.drain(); // the relay's own first look, behind it
    reads.length = 0;
    const created = await collectEvents(bus, Events.userCreated);
    const written = { _id: 'handed', name: 'n', ...outboxFields(outboxEvent(Events.userCreated, user('handed'))) };
    await Account.collection.insertOne(written as never);
    relay.start();
    try {
      relay.notify('handed', written);
      await created.waitFor((d) => d.id === 'handed', 20_000);
      await eventually(async () => expect(await flagOf('handed')).toBeUndefined(), { timeoutMs: 20_000 });
      expect(reads).toEqual([]);
      expect(hooked).toEqual([]);
    } finally {
      await relay.stop();
      await created.stop();
    }
  });

  test('an event pushed after the handed-over insert stays, and the next look publishes it', async () => {
    const hooked: unknown[] = [];
    const relay = new MongoOutboxRelay([Account.collection], bus, {
      log: testLogger,
      pollIntervalMs: 60_000,
      beforeClear: async (_collection, doc) => {
        hooked.push(doc._id);
      },
    });
    await relay.drain();
    const created = await collectEvents(bus, Events.userCreated);
    const updated = await collectEvents(bus, Events.userUpdated);
    const written = { _id: 'handed-2', name: 'n', ...outboxFields(outboxEvent(Events.userCreated, user('handed-2'))) };
    await Account.collection.insertOne(written as never);
    // A second writer changes the document before the relay gets to the handed-over copy.
    await Account.collection.updateOne({ _id: 'handed-2' } as never, {
      $set: { name: 'renamed' },
      ...pushEvents(outboxEvent(Events.userUpdated, user('handed-2', 2))),
    });
    relay.start();
    try {
      relay.notify('handed-2', written);
      await created.waitFor((d) => d.id === 'handed-2', 20_000);
      // Only the handed-over event is pulled; the second writer's stays, flagged.
      await eventually(
        async () => {
          const stored = await Account.collection.findOne({ _id: 'handed-2' } as never);
          expect((stored?._outbox as Array<{ type: string }>).map((e) => e.type)).toEqual([Events.userUpdated.type]);
          expect(stored?.[OUTBOX_PENDING_FIELD]).toBe(true);
        },
        { timeoutMs: 20_000 },
      );
      expect(hooked).toEqual([]);
    } finally {
      await relay.stop();
    }
    // The next look (the poll's, here drain's) reads the document, runs the hook, publishes the rest.
    await relay.drain();
    const event = await updated.waitFor((d) => d.id === 'handed-2', 20_000);
    expect(event.data.version).toBe(2);
    expect(hooked).toEqual(['handed-2']);
    expect(await flagOf('handed-2')).toBeUndefined();
    await created.stop();
    await updated.stop();
  });

  test('a name without the document after a handed-over one makes the relay read it, and publish both events soon', async () => {
    const reads: unknown[] = [];
    const relay = new MongoOutboxRelay([recordingReads(reads)], bus, { log: testLogger, pollIntervalMs: 60_000 });
    await relay.drain();
    reads.length = 0;
    const updated = await collectEvents(bus, Events.userUpdated);
    const written = { _id: 'handed-3', name: 'n', ...outboxFields(outboxEvent(Events.userCreated, user('handed-3'))) };
    await Account.collection.insertOne(written as never);
    relay.notify('handed-3', written);
    await Account.collection.updateOne({ _id: 'handed-3' } as never, {
      $set: { name: 'renamed' },
      ...pushEvents(outboxEvent(Events.userUpdated, user('handed-3', 2))),
    });
    relay.notify('handed-3');
    relay.start();
    try {
      // Well within the minute's poll: the named read found both events.
      await updated.waitFor((d) => d.id === 'handed-3', 20_000);
      await eventually(async () => expect(await flagOf('handed-3')).toBeUndefined(), { timeoutMs: 20_000 });
      expect(reads).toHaveLength(1);
    } finally {
      await relay.stop();
      await updated.stop();
    }
  });

  test('a document no writer named is found within the poll, even while named writes keep waking the relay', async () => {
    const relay = new MongoOutboxRelay([Account.collection], bus, { log: testLogger, pollIntervalMs: 300 });
    await relay.drain();
    relay.start();
    // Other writers name their documents every 20 ms, so the poll's timer never runs out.
    const waking = setInterval(() => relay.notify('some-other-document'), 20);
    try {
      // Written by a writer that died before its notify(): a look through everything finds it.
      await createAccountInMongo('no-name');
      await eventually(async () => expect(await flagOf('no-name')).toBeUndefined(), { timeoutMs: 20_000 });
    } finally {
      clearInterval(waking);
      await relay.stop();
    }
  });

  test('a beforeClear hook that dies leaves the events to publish, and runs again on the next drain', async () => {
    await createAccountInMongo('f5');
    const seen: unknown[] = [];
    const dying = new MongoOutboxRelay([Account.collection], bus, {
      log: testLogger,
      beforeClear: async () => {
        throw new Error('process killed before the clear');
      },
    });
    await expect(dying.drain()).rejects.toThrow('killed');
    expect(await flagOf('f5')).toBe(true);
    await new MongoOutboxRelay([Account.collection], bus, {
      log: testLogger,
      beforeClear: async (collectionName, doc) => {
        seen.push([collectionName, doc._id]);
      },
    }).drain();
    expect(seen).toContainEqual([Account.collection.collectionName, 'f5']);
    expect(await flagOf('f5')).toBeUndefined();
  });
});
