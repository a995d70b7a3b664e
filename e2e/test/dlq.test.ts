/**
 * A dead letter an operator acts on, on the whole one-machine system: timeline fails a user's
 * rename (taken from timeline's own consumer and dead-lettered as its Listener does after its
 * last try), the other services apply it; `lumina-ops dlq replay --service timeline` sends it to
 * timeline alone, and the follower's home shows the new name. The commands' output is written to
 * test-artifacts/dlq/transcript.txt.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeEventBus, connectEventBus, sendToDeadLetter, streamNameFor, type EventBus } from '@lumina/common';
import { testLogger } from '@lumina/common/testing';
import { authRoutes, postsRoutes, searchRoutes, timelineRoutes } from '@lumina/contract';
import { expectations as expect_, eventually, expectStatus, Person, startE2eSystem, type E2eSystem } from './support';

let e2e: E2eSystem;
let admin: EventBus;
const transcript: string[] = [];

beforeAll(async () => {
  // The services' stream monitor reads their consumers every second (a minute by default).
  e2e = await startE2eSystem({ STREAM_LIMITS_CHECK_INTERVAL_MS: '1000' });
  const env = e2e.system.processes.get('timeline')!.spec.env;
  admin = await connectEventBus({
    servers: e2e.system.servers.natsUrl,
    name: 'e2e-dlq',
    ns: { subjectPrefix: env.EVENT_SUBJECT_PREFIX!, streamPrefix: env.EVENT_STREAM_PREFIX! },
    log: testLogger,
    user: 'admin',
    pass: e2e.system.servers.natsPasswords.admin,
  });
}, 120_000);

afterAll(async () => {
  const dir = join(__dirname, '..', '..', 'test-artifacts', 'dlq');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'transcript.txt'), transcript.join('\n'));
  if (admin) await closeEventBus(admin);
  await e2e?.stop();
}, 60_000);

const REPO = join(__dirname, '..', '..');

/** lumina-ops as the operator runs it (its own process, from the sources), as the `operator` NATS user. */
async function lumina(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = {
    ...process.env,
    NATS_URL: e2e.system.servers.natsUrl,
    NATS_USER: 'operator',
    NATS_PASSWORD: e2e.system.servers.natsPasswords.operator,
    EVENT_SUBJECT_PREFIX: admin.ns.subjectPrefix,
    EVENT_STREAM_PREFIX: admin.ns.streamPrefix,
  };
  const result = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      join(REPO, 'node_modules', '.bin', 'tsx'),
      [join(REPO, 'infra', 'ops', 'src', 'cli.ts'), ...argv],
      { env },
      (error, out, err) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, out, err }),
    );
  });
  transcript.push(`$ lumina-ops ${argv.join(' ')}\n${result.out}${result.err}(exit ${result.code})\n`);
  return result;
}

const USERS = () => streamNameFor(admin.ns, 'USERS');
const delivered = async (consumer: string) => (await admin.jsm.consumers.info(USERS(), consumer)).delivered.consumer_seq;
const caughtUp = async (consumer: string) => {
  const info = await admin.jsm.consumers.info(USERS(), consumer);
  if (info.num_pending + info.num_ack_pending > 0) throw new Error(`${consumer} still has ${info.num_pending + info.num_ack_pending}`);
};
const OTHERS = ['posts--user-updated', 'media--user-updated', 'search--user-updated'];

async function authorNameInHome(person: Person, postId: string): Promise<string> {
  const res = await person.send(timelineRoutes.home);
  return (res.ok && res.body.items.find((i) => i.id === postId)?.author.displayName) || '';
}

test('a letter replayed with lumina-ops reaches the consumer that failed it and no other', async () => {
  const ann = new Person(e2e.url, 'ann_dlq');
  const bob = new Person(e2e.url, 'bob_dlq');
  await ann.signUp();
  await bob.signUp();
  expect((await bob.send(authRoutes.follow, { params: { id: ann.id } })).status).toBe(204);
  const mediaId = await ann.uploadPhoto(3);
  const created = await ann.send(postsRoutes.createPost, { body: { caption: 'Harbour at dawn', media: [{ id: mediaId, alt: 'Boats' }] } });
  expectStatus(created, 201);
  const postId = created.body.post.id;
  await expect_.inHomeTimeline(bob, postId);
  expect(await authorNameInHome(bob, postId)).toBe('Ann_dlq');

  // timeline is away while Ann renames herself; what its Listener does after the last failed try
  // is done here to the real message on its real consumer: copied to the DLQ, then terminated.
  const timeline = e2e.system.processes.get('timeline')!;
  await timeline.stop();
  expect((await ann.send(authRoutes.updateProfile, { body: { displayName: 'Ann Renamed' } })).status).toBe(200);
  const consumer = await admin.js.consumers.get(USERS(), 'timeline--user-updated');
  const msg = await eventually(async () => {
    const m = await consumer.next({ expires: 2000 });
    if (!m) throw new Error('the rename has not reached timeline--user-updated yet');
    return m;
  });
  await sendToDeadLetter(admin, msg, 'timeline', 'user.updated', 'failed after 6 tries: simulated MongoDB outage');
  msg.term('dead-lettered');
  timeline.start();
  await timeline.waitUntilReady();

  // The others applied the rename; timeline, caught up, still shows the old name.
  await eventually(async () => {
    const res = await bob.send(searchRoutes.users, { query: { q: 'ann_dlq' } });
    if (!res.ok || res.body.items.find((u) => u.id === ann.id)?.displayName !== 'Ann Renamed')
      throw new Error(`search has ${JSON.stringify(res.body).slice(0, 200)}`);
  });
  await eventually(() => caughtUp('timeline--user-updated'));
  for (const c of OTHERS) await eventually(() => caughtUp(c));
  expect(await authorNameInHome(bob, postId)).toBe('Ann_dlq');

  const list = await lumina('dlq', 'list');
  expect(list.out).toMatch(/^timeline\s+user\.updated\s+failed after 6 tries: simulated MongoDB outage\s+1\s/m);
  const id = /^(\d+)\s+timeline\s+timeline--user-updated\s/m.exec(list.out)![1]!;
  const shown = await lumina('dlq', 'show', id);
  expect(JSON.parse(shown.out)).toMatchObject({ consumer: 'timeline--user-updated', original: { data: { displayName: 'Ann Renamed' } } });

  const othersBefore = await Promise.all(OTHERS.map(delivered));
  const timelineBefore = await delivered('timeline--user-updated');
  const replay = await lumina('dlq', 'replay', '--service', 'timeline');
  expect(replay).toMatchObject({ code: 0, err: '' });
  await eventually(async () => expect(await authorNameInHome(bob, postId)).toBe('Ann Renamed'), 30_000);

  // One more rename reaches everyone: each other consumer took one message since, not two.
  expect((await ann.send(authRoutes.updateProfile, { body: { displayName: 'Ann Again' } })).status).toBe(200);
  await eventually(async () => expect(await authorNameInHome(bob, postId)).toBe('Ann Again'), 30_000);
  for (const c of OTHERS) await eventually(() => caughtUp(c));
  expect(await Promise.all(OTHERS.map(delivered))).toEqual(othersBefore.map((n) => n + 1));
  expect(await delivered('timeline--user-updated')).toBe(timelineBefore + 2);
  expect((await lumina('dlq', 'list')).out).toBe('no dead letters\n');

  // The lag figures lumina-ops status shows, as timeline's own /metrics exports them.
  const metrics = await eventually(async () => {
    const text = await (await fetch(`${timeline.url}/metrics`)).text();
    if (!text.includes('jetstream_consumer_redelivered_messages{')) throw new Error('no consumer metrics yet');
    return text;
  });
  transcript.push(
    `$ curl ${timeline.url}/metrics | grep consumer.*user-updated\n` +
      metrics
        .split('\n')
        .filter((l) => /^jetstream_consumer_.*user-updated/.test(l))
        .join('\n'),
  );
  expect(metrics).toMatch(/^jetstream_consumer_pending_messages\{stream="\w+USERS",consumer="timeline--user-updated"\} \d+$/m);
  expect(metrics).toMatch(/^jetstream_consumer_redelivered_messages\{stream="\w+USERS",consumer="timeline--user-updated"\} \d+$/m);
  expect(metrics).toMatch(/^jetstream_consumer_oldest_unacked_age_seconds\{stream="\w+USERS",consumer="timeline--user-updated"\} [\d.]+$/m);
}, 240_000);
