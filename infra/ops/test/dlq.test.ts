// `lumina-ops dlq` against the real NATS server: letters made by real Listeners (common's, the
// class every service's listeners extend) that fail, read, replayed and purged by the CLI as the
// `operator` NATS user. Two services consume user.updated; a replay reaches the one that failed it.
import { mongo } from 'mongoose';
import {
  applyIfNewerMongo,
  closeEventBus,
  connectEventBus,
  createEnvelope,
  deadLetterSubject,
  Events,
  Listener,
  publishEnvelope,
  replaySubjectFor,
  streamNameFor,
  type EventBus,
  type EventData,
  type HandleResult,
  type ServiceName,
} from '@lumina/common';
import { TestContext, eventually, testLogger } from '@lumina/common/testing';
import { main } from '../src/cli';

const ctx = new TestContext();
let admin: EventBus;
let db: mongo.Db;
let client: mongo.MongoClient;
const buses: EventBus[] = [];
const listeners: ProfileCopyListener[] = [];

type UserUpdated = typeof Events.userUpdated;

/**
 * A service's copy of profiles, kept as services keep theirs: applyIfNewerMongo, so a version it
 * already holds is 'stale'. While `down`, every try fails.
 */
class ProfileCopyListener extends Listener<UserUpdated> {
  readonly event = Events.userUpdated;
  readonly outcomes: Array<{ id: string; version: number; outcome: string }> = [];
  /** What failed other than `down`, so that a failure under load says why. */
  readonly storeErrors: string[] = [];
  down = false;

  constructor(
    bus: EventBus,
    readonly service: ServiceName,
  ) {
    super(bus, { service, maxDeliver: 2, backoffMs: [50], ackWaitMs: 5000 });
  }

  protected async handle(data: EventData<UserUpdated>): Promise<HandleResult> {
    if (this.down) throw new Error(`${this.service} store is down`);
    try {
      const outcome = await applyIfNewerMongo(db.collection(`${this.service}_profiles`), data.id, data.version, {
        username: data.username,
      });
      this.outcomes.push({ id: data.id, version: data.version, outcome });
    } catch (err) {
      this.storeErrors.push(`${data.id}: ${(err as Error).message}`);
      throw err;
    }
  }

  handled(id: string) {
    return this.outcomes.filter((o) => o.id === id);
  }

  /** Throws, with the store's errors, unless each id has been applied or found stale. */
  expectHandled(...ids: string[]): void {
    const missing = ids.filter((id) => this.handled(id).length === 0);
    if (missing.length > 0)
      throw new Error(`${this.service} has not handled ${missing.join(', ')}; store errors: ${this.storeErrors.join('; ') || 'none'}`);
  }
}

const profile = (id: string, version = 1): EventData<UserUpdated> => ({
  id,
  username: `user_${id}`,
  displayName: id,
  bio: '',
  avatar: null,
  version,
});

async function run(user: 'operator' | 'ops', ...argv: string[]) {
  let out = '';
  let err = '';
  const { pass } = ctx.natsCredentials(user);
  const code = await main(argv, {
    env: {
      NATS_URL: ctx.natsUrl,
      NATS_USER: user,
      NATS_PASSWORD: pass,
      EVENT_SUBJECT_PREFIX: ctx.ns.subjectPrefix,
      EVENT_STREAM_PREFIX: ctx.ns.streamPrefix,
    },
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  return { code, out, err };
}
const operator = (...argv: string[]) => run('operator', ...argv);

/** A service's own connection, as its NATS user: its consumer is created with the service's rights. */
async function serviceListener(service: ServiceName): Promise<ProfileCopyListener> {
  const bus = await connectEventBus({ servers: ctx.natsUrl, name: service, ns: ctx.ns, log: testLogger, ...ctx.natsCredentials(service) });
  buses.push(bus);
  const l = new ProfileCopyListener(bus, service);
  listeners.push(l);
  await l.start();
  return l;
}

const dlqCount = async () => (await admin.jsm.streams.info(streamNameFor(ctx.ns, 'DLQ'))).state.messages;

/** Publishes a marker and waits for the listener to apply it: whatever was published before has reached it too. */
async function caughtUp(...ls: ProfileCopyListener[]): Promise<void> {
  const marker = `marker${Date.now()}${Math.random().toString(36).slice(2, 6)}`;
  await publishEnvelope(admin, createEnvelope(Events.userUpdated, profile(marker)));
  for (const l of ls) await eventually(() => expect(l.handled(marker)).toHaveLength(1), { timeoutMs: 30_000 });
}

let timeline: ProfileCopyListener;
let search: ProfileCopyListener;

beforeAll(async () => {
  admin = await ctx.eventBus('dlq');
  client = await mongo.MongoClient.connect(ctx.mongoDatabase('ops_dlq'));
  db = client.db();
  // Made before the listeners write: on FerretDB two first writes at once may both create a collection and one fail.
  for (const service of ['timeline', 'search']) await db.createCollection(`${service}_profiles`);
  timeline = await serviceListener('timeline');
  search = await serviceListener('search');
}, 60_000);

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.stop()));
  for (const bus of buses) await closeEventBus(bus);
  await client?.close();
  await ctx.cleanup();
});

test('a failing consumer’s letters are listed by service and reason, with the original; show gives one whole', async () => {
  timeline.down = true;
  await publishEnvelope(admin, createEnvelope(Events.userUpdated, profile('u1')));
  await publishEnvelope(admin, createEnvelope(Events.userUpdated, profile('u2')));
  await admin.js.publish(`${ctx.ns.subjectPrefix}.user.updated`, '{"not":"an envelope"}');
  await eventually(async () => expect(await dlqCount()).toBe(4), { timeoutMs: 30_000 }); // u1, u2 (timeline) and the bad one twice
  await eventually(() => search.expectHandled('u1', 'u2'), { timeoutMs: 30_000 });

  const list = await operator('dlq', 'list');
  expect(list).toMatchObject({ code: 0, err: '' });
  expect(list.out).toMatch(/^4 dead letters$/m);
  expect(list.out).toMatch(/^timeline\s+user\.updated\s+failed after 2 tries: timeline store is down\s+2\s+\d{4}-/m);
  expect(list.out).toMatch(/^timeline\s+user\.updated\s+invalid payload: .*\s1\s+\d{4}-/m);
  expect(list.out).toMatch(/^search\s+user\.updated\s+invalid payload: .*\s1\s+\d{4}-/m);
  expect(list.out).toMatch(/^\d+\s+timeline\s+timeline--user-updated\s+2\s+\S+Z\s+failed after 2 tries.*user\.updated \S+ \{"id":"u1"/m);

  const searchOnly = await operator('dlq', 'list', '--service', 'search');
  expect(searchOnly.out).toMatch(/^1 dead letter$/m);
  expect(searchOnly.out).not.toMatch(/timeline--/);

  const id = /^(\d+)\s+timeline\s.*"id":"u1"/m.exec(list.out)![1]!;
  const shown = await operator('dlq', 'show', id);
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.out)).toMatchObject({
    id: Number(id),
    service: 'timeline',
    consumer: 'timeline--user-updated',
    eventType: 'user.updated',
    deliveryCount: 2,
    reason: 'failed after 2 tries: timeline store is down',
    failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    replay: false,
    original: { type: 'user.updated', data: { id: 'u1', version: 1 } },
  });
}, 60_000);

test('replay sends the originals to the consumer that failed them and to no other, and the letters leave the DLQ', async () => {
  timeline.down = false;
  const replay = await operator('dlq', 'replay', '--service', 'timeline', '--reason', 'STORE IS DOWN');
  expect(replay).toMatchObject({ code: 0, err: '' });
  expect(replay.out).toMatch(/^2 letters replayed$/m);
  expect(replay.out).toContain(`→ ${replaySubjectFor(ctx.ns, 'timeline', Events.userUpdated)}`);
  await eventually(() =>
    expect([...timeline.handled('u1'), ...timeline.handled('u2')].map((o) => o.outcome)).toEqual(['applied', 'applied']),
  );
  await caughtUp(timeline, search);
  expect(search.handled('u1')).toHaveLength(1); // its one delivery, before the replay
  expect(search.handled('u2')).toHaveLength(1);
  expect(await dlqCount()).toBe(2); // the two invalid payloads
  const left = await operator('dlq', 'list');
  expect(left.out).not.toMatch(/store is down/);
});

test('replaying twice applies once: the second finds no letter, a concurrent one is deduplicated, a late copy is stale', async () => {
  timeline.down = true;
  await publishEnvelope(admin, createEnvelope(Events.userUpdated, profile('u3')));
  const id = await eventually(async () => {
    const out = (await operator('dlq', 'list', '--reason', 'store is down')).out;
    const match = /^(\d+)\s+timeline\s.*"id":"u3"/m.exec(out);
    expect(match).not.toBeNull();
    return match![1]!;
  });
  timeline.down = false;
  const [a, b] = await Promise.all([operator('dlq', 'replay', '--id', id), operator('dlq', 'replay', '--id', id)]);
  expect([a.code, b.code]).toContain(0);
  const again = await operator('dlq', 'replay', '--id', id);
  expect(again.code).toBe(1);
  expect(again.err).toContain(`no dead letter ${id}`);
  // A replay reaches timeline on its replay subject, not through the consumer a marker would
  // pass: wait for the letter to be applied, then for every consumer to have nothing left.
  await eventually(() => expect(timeline.handled('u3').length).toBeGreaterThan(0));
  await ctx.drained();
  expect(timeline.handled('u3')).toEqual([{ id: 'u3', version: 1, outcome: 'applied' }]);

  // Past JetStream's duplicate window a second copy is stored: the version rule makes it stale.
  const original = createEnvelope(Events.userUpdated, profile('u3'));
  await admin.js.publish(replaySubjectFor(ctx.ns, 'timeline', Events.userUpdated), JSON.stringify(original));
  await eventually(() => expect(timeline.handled('u3').length).toBeGreaterThan(1));
  await ctx.drained();
  expect(timeline.handled('u3').map((o) => o.outcome)).toEqual(['applied', 'stale']);
});

test('a replay that fails again comes back as a new letter marked REPLAY', async () => {
  timeline.down = true;
  await publishEnvelope(admin, createEnvelope(Events.userUpdated, profile('u4')));
  const first = await eventually(async () => {
    const match = /^(\d+)\s+timeline\s.*"id":"u4"/m.exec((await operator('dlq', 'list', '--service', 'timeline')).out);
    expect(match).not.toBeNull();
    return match![1]!;
  });
  expect((await operator('dlq', 'replay', '--id', first)).code).toBe(0);
  const back = await eventually(async () => {
    const match = /^(\d+)\s+timeline\s+timeline--user-updated\s+2\s+\S+\s+yes\s.*"id":"u4"/m.exec(
      (await operator('dlq', 'list', '--service', 'timeline')).out,
    );
    expect(match).not.toBeNull();
    return match![1]!;
  });
  expect(Number(back)).toBeGreaterThan(Number(first));
  expect((await operator('dlq', 'show', first)).code).toBe(1);
  timeline.down = false;
  expect((await operator('dlq', 'replay', '--id', back)).code).toBe(0);
  await eventually(() => expect(timeline.handled('u4').map((o) => o.outcome)).toEqual(['applied']));
});

test('bad input is refused with exit code 2 and changes nothing', async () => {
  const before = await dlqCount();
  for (const argv of [
    ['dlq', 'purge'],
    ['dlq', 'replay'],
    ['dlq', 'replay', '--all', '--service', 'timeline'],
    ['dlq', 'replay', '--service', 'nginx'],
    ['dlq', 'purge', '--event', 'user.exploded'],
    ['dlq', 'show', 'twelve'],
    ['dlq', 'show', '-3'],
    ['dlq', 'list', '--limit', 'lots'],
    ['dlq', 'purge', '--reason', ' '],
    ['dlq', 'rewind'],
  ]) {
    const result = await operator(...argv);
    expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
    expect(result.err).toMatch(/usage: lumina-ops/);
  }
  expect(await dlqCount()).toBe(before);
});

test('the reading user (ops, the autoscaler’s) may not replay or purge; the operator may not publish an event to every consumer', async () => {
  const before = await dlqCount();
  expect(before).toBeGreaterThan(0);
  const purge = await run('ops', 'dlq', 'purge', '--all');
  expect(purge.code).toBe(1);
  expect(purge.err).toMatch(/permission|authoriz/i);
  expect(await dlqCount()).toBe(before);

  const { pass } = ctx.natsCredentials('operator');
  const bus = await connectEventBus({ servers: ctx.natsUrl, name: 'operator', ns: ctx.ns, log: testLogger, user: 'operator', pass });
  try {
    await expect(publishEnvelope(bus, createEnvelope(Events.userUpdated, profile('forged', 1000)))).rejects.toThrow(/permission|timeout/i);
  } finally {
    await closeEventBus(bus);
  }
});

test('listing reads past a thousand letters; purge takes filters or --all', async () => {
  await operator('dlq', 'purge', '--all');
  const letter = (n: number) =>
    JSON.stringify({
      reason: n % 2 ? 'failed after 6 tries: deadlock' : 'invalid payload: bad',
      service: 'search',
      consumer: 'search--post-created',
      subject: `${ctx.ns.subjectPrefix}.post.created`,
      stream: streamNameFor(ctx.ns, 'POSTS'),
      streamSequence: n,
      deliveryCount: 6,
      failedAt: new Date().toISOString(),
      original: JSON.stringify({ id: `e${n}`, type: 'post.created' }),
    });
  const subject = deadLetterSubject(admin, 'search', 'post.created');
  await Promise.all(Array.from({ length: 1500 }, (_, n) => admin.js.publish(subject, letter(n))));
  await admin.js.publish(deadLetterSubject(admin, 'media', 'post.deleted'), letter(0).replace(/"search"/, '"media"'));
  await admin.js.publish(deadLetterSubject(admin, 'posts', 'user.created'), 'written by hand');

  const list = await operator('dlq', 'list', '--limit', '5');
  expect(list.out).toMatch(/^1502 dead letters$/m);
  expect(list.out).toMatch(/^posts\s+user\.created\s+not a Lumina dead letter: .*\s1\s/m);
  expect(list.out).toMatch(/^search\s+post\.created\s+failed after 6 tries: deadlock\s+750\s/m);
  expect(list.out).toMatch(/^search\s+post\.created\s+invalid payload: bad\s+750\s/m);
  expect(list.out).toMatch(/… and 1497 more/);

  expect((await operator('dlq', 'purge', '--service', 'search', '--reason', 'deadlock')).out).toBe('750 letters purged\n');
  expect((await operator('dlq', 'purge', '--service', 'search')).out).toBe('750 letters purged\n');
  expect((await operator('dlq', 'list')).out).toMatch(/^2 dead letters$/m);
  const replay = await operator('dlq', 'replay', '--all');
  expect(replay.code).toBe(0);
  expect(replay.out).toMatch(/^skipped \d+: not a Lumina dead letter/m);
  expect(replay.out).toMatch(/^1 letter replayed$/m); // media's, to its replay subject
  expect((await operator('dlq', 'list')).out).toMatch(/^1 dead letter$/m);
  expect((await operator('dlq', 'purge', '--all')).out).toBe('1 letter purged\n');
  expect((await operator('dlq', 'list')).out).toBe('no dead letters\n');
}, 60_000);
