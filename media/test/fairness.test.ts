/**
 * Jobs are shared fairly between owners: one owner with many uploads queued does not keep another
 * owner's single upload waiting behind all of them. The uploads are queued with no worker running
 * (MEDIA_ROLE=api), then one worker with one slot works through them; the order it finishes them
 * in is the order it chose.
 */
import { Events, streamNameFor, type EventBus } from '@lumina/common';
import { eventually, TestContext } from '@lumina/common/testing';
import { alice, bearer, bob, startTestMedia, tempDir } from './helpers';
import * as images from './images';

const ctx = new TestContext();
let bus: EventBus;
beforeAll(async () => {
  bus = await ctx.eventBus();
});
afterAll(() => ctx.cleanup());

test('owner A queues 15, then owner B uploads one: B’s is ready second, long before A’s queue drains; every job is acked', async () => {
  const mongoUrl = ctx.mongoDatabase('media');
  const storageDir = tempDir(ctx, 'shared-store');
  const api = await startTestMedia(ctx, mongoUrl, { MEDIA_ROLE: 'api', MEDIA_STORAGE_DIR: storageDir });
  const upload = async (user: typeof alice, file: Buffer) => {
    const res = await api.http.post('/api/v1/media').set('Authorization', bearer(user)).attach('file', file, 'a.jpg');
    expect(res.status).toBe(202);
    return res.body.media.id as string;
  };
  const queued: string[] = [];
  for (let i = 0; i < 15; i += 1) queued.push(await upload(alice, await images.noisyJpeg(400, 300)));
  const single = await upload(bob, await images.noisyJpeg(400, 300));
  const jobs = streamNameFor(bus.ns, Events.mediaProcessRequested.stream);
  await eventually(async () => expect((await bus.jsm.streams.info(jobs)).state.messages).toBe(16));

  const finished: string[] = [];
  await startTestMedia(
    ctx,
    mongoUrl,
    { MEDIA_ROLE: 'worker', MEDIA_STORAGE_DIR: storageDir, MEDIA_WORKER_CONCURRENCY: '1' },
    { hooks: { afterCommit: async (id) => void finished.push(id) } },
  );
  await eventually(async () => expect(finished).toHaveLength(16), { timeoutMs: 90_000 });

  // In queue order B's job is the sixteenth; by turns it comes right after A's first.
  expect(finished.indexOf(single)).toBeLessThanOrEqual(2);
  expect(finished.filter((id) => queued.includes(id))).toEqual(queued);
  expect(await api.store.model.countDocuments({ status: 'ready' })).toBe(16);
  await eventually(async () => expect((await bus.jsm.streams.info(jobs)).state.messages).toBe(0));
}, 120_000);
