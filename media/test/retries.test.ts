/**
 * A media whose processing fails for a reason that is not the image's (here its original cannot
 * be read: a directory stands where the file should be, so reading fails with EISDIR) is tried
 * again later without holding up anyone else's, and given up as failed after six tries. The
 * waits between tries are shortened to 200 ms.
 */
import { mkdirSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, TestContext } from '@lumina/common/testing';
import { alice, bearer, bob, startTestMedia, tempDir, type TestMedia } from './helpers';
import * as images from './images';

const ctx = new TestContext();
let api: TestMedia;
let storageDir: string;
afterAll(() => ctx.cleanup());

beforeAll(async () => {
  storageDir = tempDir(ctx, 'shared-store');
  api = await startTestMedia(ctx, ctx.mongoDatabase('media'), { MEDIA_ROLE: 'api', MEDIA_STORAGE_DIR: storageDir });
});

async function upload(user: typeof alice, width: number): Promise<string> {
  const res = await api.http
    .post('/api/v1/media')
    .set('Authorization', bearer(user))
    .attach('file', await images.png(width, 30), 'a.png');
  expect(res.status).toBe(202);
  return res.body.media.id;
}

/** Puts a directory where the original is; answers how to put the file back. */
function breakOriginal(id: string): () => void {
  const path = join(storageDir, 'originals', id);
  renameSync(path, `${path}.aside`);
  mkdirSync(path);
  return () => {
    rmdirSync(path);
    renameSync(`${path}.aside`, path);
  };
}

test('an unreadable original is retried while other media go ahead, ends ready once it reads, and failed if it never does', async () => {
  const flaky = await upload(alice, 31);
  const broken = await upload(alice, 32);
  const other = await upload(bob, 33);
  const repair = breakOriginal(flaky);
  breakOriginal(broken);

  await startTestMedia(ctx, api.config.MONGO_URL, { MEDIA_ROLE: 'worker', MEDIA_STORAGE_DIR: storageDir }, { retryDelaysMs: [200] });
  // Alice's come first by turn, and fail; Bob's is not held up behind them.
  await eventually(async () => expect((await api.store.findById(other))?.status).toBe('ready'), { timeoutMs: 20_000 });
  await eventually(async () => expect((await api.store.findById(flaky))?.attempts).toBeGreaterThanOrEqual(2), { timeoutMs: 20_000 });
  expect((await api.store.findById(flaky))?.status).toBe('processing');

  repair();
  await eventually(async () => expect((await api.store.findById(flaky))?.status).toBe('ready'), { timeoutMs: 20_000 });
  await eventually(async () => expect((await api.store.findById(broken))?.status).toBe('failed'), { timeoutMs: 20_000 });
  const failed = await api.http.get(`/api/v1/media/${broken}`).set('Authorization', bearer(alice));
  expect(failed.body.media).toMatchObject({
    status: 'failed',
    error: expect.stringMatching(/^The image could not be processed: .*EISDIR/),
  });
  expect((await api.store.findById(broken))?.attempts).toBe(5);
});
