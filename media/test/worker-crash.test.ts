/**
 * A worker killed in the middle of a job (SIGKILL: no ack, no clean-up) leaves the job unacked;
 * after the ack wait another worker takes it and the media still ends ready exactly once. The
 * killed worker is a real separate process; the API and the second worker run here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Events, streamNameFor, type EventBus } from '@lumina/common';
import { collectEvents, eventually, TestContext, type EventCollector } from '@lumina/common/testing';
import { alice, bearer, startTestMedia, tempDir, type TestMedia } from './helpers';
import * as images from './images';

const ACK_WAIT_MS = '2000';
const ctx = new TestContext();
let bus: EventBus;
let api: TestMedia;
let mongoUrl: string;
let storageDir: string;
let ready: EventCollector<typeof Events.mediaReady>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  bus = await ctx.eventBus();
  mongoUrl = ctx.mongoDatabase('media');
  storageDir = tempDir(ctx, 'shared-store');
  api = await startTestMedia(ctx, mongoUrl, { MEDIA_ROLE: 'api', MEDIA_STORAGE_DIR: storageDir });
  ready = await collectEvents(bus, Events.mediaReady);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ready.stop();
  await ctx.cleanup();
});

/** Starts a worker process that will stop at `holdAt` and answers once it is consuming. */
function startDoomedWorker(holdAt: 'beforeCommit' | 'afterCommit'): Promise<{ child: ChildProcess; holding: Promise<string> }> {
  const root = join(__dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'worker-process.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ...ctx.serviceEnv('media', {
        MONGO_URL: mongoUrl,
        MEDIA_ROLE: 'worker',
        MEDIA_STORAGE_DIR: storageDir,
        MEDIA_TMP_DIR: tempDir(ctx, 'child-tmp'),
        MEDIA_JOB_ACK_WAIT_MS: ACK_WAIT_MS,
        PORT: '1', // replaced by 0 in the fixture
      }),
      HOLD_AT: holdAt,
      TSX_TSCONFIG_PATH: join(root, 'tsconfig.test.json'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  let out = '';
  const lines: Array<(line: string) => void> = [];
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      for (const l of lines) l(line);
    }
  });
  const waitLine = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      lines.push((line) => line.startsWith(prefix) && resolve(line.slice(prefix.length)));
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${prefix}": ${stderr}`)));
    });
  const started = waitLine('started');
  const holding = waitLine('holding ');
  holding.catch(() => undefined);
  return started.then(() => ({ child, holding }));
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function upload(file: Buffer): Promise<string> {
  const res = await api.http.post('/api/v1/media').set('Authorization', bearer(alice)).attach('file', file, 'a.jpg');
  expect(res.status).toBe(202);
  return res.body.media.id;
}

test('killed before its final write: another worker redoes the job, and the media is ready once', async () => {
  const { child, holding } = await startDoomedWorker('beforeCommit');
  const id = await upload(await images.noisyJpeg(640, 480));
  expect(await holding).toBe(id);
  await kill(child);
  expect((await api.store.findById(id))?.status).toBe('processing');

  const rescuer = await startTestMedia(ctx, mongoUrl, {
    MEDIA_ROLE: 'worker',
    MEDIA_STORAGE_DIR: storageDir,
    MEDIA_JOB_ACK_WAIT_MS: ACK_WAIT_MS,
  });
  const event = await ready.waitFor((d) => d.id === id, 15_000);
  expect(event.data).toMatchObject({ id, version: 2, width: 640, height: 480 });
  await ctx.drained({ outboxes: [api.relay, rescuer.relay], collectors: [ready] });
  expect(ready.received.filter((e) => e.data.id === id)).toHaveLength(1);
  const media = await api.store.findById(id);
  expect(media).toMatchObject({ status: 'ready', version: 2 });
  expect((await api.http.get(`/api/v1/media/${id}/feed`).set('Authorization', bearer(alice))).status).toBe(200);
  await eventually(async () => expect((await bus.jsm.streams.info(streamNameFor(bus.ns, 'MEDIA_JOBS'))).state.messages).toBe(0));
  await rescuer.stop();
}, 45_000);

test('killed after its final write but before the ack: the redelivered job does nothing, one media.ready', async () => {
  const { child, holding } = await startDoomedWorker('afterCommit');
  const id = await upload(await images.noisyJpeg(320, 480));
  expect(await holding).toBe(id);
  await kill(child);
  expect(await api.store.findById(id)).toMatchObject({ status: 'ready', version: 2 });

  const rescuer = await startTestMedia(ctx, mongoUrl, {
    MEDIA_ROLE: 'worker',
    MEDIA_STORAGE_DIR: storageDir,
    MEDIA_JOB_ACK_WAIT_MS: ACK_WAIT_MS,
  });
  // The job comes back after the ack wait and is acked without effect.
  await eventually(async () => expect((await bus.jsm.streams.info(streamNameFor(bus.ns, 'MEDIA_JOBS'))).state.messages).toBe(0), {
    timeoutMs: 15_000,
  });
  await ready.waitFor((d) => d.id === id);
  await ctx.drained({ outboxes: [api.relay, rescuer.relay], collectors: [ready] });
  expect(ready.received.filter((e) => e.data.id === id)).toHaveLength(1);
  expect(await api.store.findById(id)).toMatchObject({ status: 'ready', version: 2 });
  await rescuer.stop();
}, 45_000);

test('a job whose workers are killed more often than a listener tries (6) is not dead-lettered: the media still ends ready', async () => {
  // Found by the chaos run: the job went to the DLQ on its seventh delivery and the media stayed
  // processing for ever.
  const id = await upload(await images.noisyJpeg(400, 300));
  for (let death = 1; death <= 6; death++) {
    const { child, holding } = await startDoomedWorker('beforeCommit');
    expect([death, await holding]).toEqual([death, id]);
    await kill(child);
  }
  const rescuer = await startTestMedia(ctx, mongoUrl, {
    MEDIA_ROLE: 'worker',
    MEDIA_STORAGE_DIR: storageDir,
    MEDIA_JOB_ACK_WAIT_MS: ACK_WAIT_MS,
  });
  await ready.waitFor((d) => d.id === id, 30_000);
  expect(await api.store.findById(id)).toMatchObject({ status: 'ready', version: 2 });
  await rescuer.stop();
}, 300_000);
