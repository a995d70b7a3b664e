/**
 * What one user may make the service do: upload at most MEDIA_UPLOADS_PER_MINUTE times a minute
 * (counted in MongoDB, so across replicas) and have at most MEDIA_MAX_PROCESSING_PER_USER media
 * processing at once. Past either: 429 with Retry-After, the body unread, nothing written.
 * The API runs alone here (MEDIA_ROLE=api), so uploads stay processing until a worker is started.
 */
import { eventually, TestContext } from '@lumina/common/testing';
import { alice, bearer, bob, filesUnder, startTestMedia, tempDir, type TestMedia } from './helpers';
import * as images from './images';

const ctx = new TestContext();
afterAll(() => ctx.cleanup());

let size = 10;
const upload = (svc: TestMedia, user = alice) => {
  size += 1;
  return images
    .png(size, 20)
    .then((file) => svc.http.post('/api/v1/media').set('Authorization', bearer(user)).attach('file', file, 'a.png'));
};

/** The windows are minutes of the clock: start well inside one, so the test's uploads share it. */
async function waitForRoomInThisMinute(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

describe('uploads per user per minute', () => {
  test('the limit holds across two replicas: the sixth upload in a minute is 429 with Retry-After, and nothing is written', async () => {
    const mongoUrl = ctx.mongoDatabase('media-rate');
    const limits = { MEDIA_ROLE: 'api', MEDIA_UPLOADS_PER_MINUTE: '5', MEDIA_STORAGE_DIR: tempDir(ctx, 'shared-store') };
    const one = await startTestMedia(ctx, mongoUrl, limits);
    const two = await startTestMedia(ctx, mongoUrl, limits);
    await waitForRoomInThisMinute(20_000);

    for (let i = 0; i < 5; i += 1) expect((await upload(i % 2 === 0 ? one : two)).status).toBe(202);
    const refused = await upload(two);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await upload(one)).status).toBe(429);
    expect(await one.store.model.countDocuments({ ownerId: alice.id })).toBe(5);
    expect(filesUnder(one.storageDir).filter((f) => f.startsWith('originals/'))).toHaveLength(5);
    expect(filesUnder(two.tmpDir)).toEqual([]);

    // Another user is not affected.
    expect((await upload(one, bob)).status).toBe(202);
  });
});

describe('media still processing per user', () => {
  let svc: TestMedia;
  beforeAll(async () => {
    svc = await startTestMedia(ctx, ctx.mongoDatabase('media-cap'), { MEDIA_ROLE: 'api', MEDIA_MAX_PROCESSING_PER_USER: '3' });
  });

  test('with three processing, the fourth upload is 429 with Retry-After until a worker has done some', async () => {
    for (let i = 0; i < 3; i += 1) expect((await upload(svc)).status).toBe(202);
    const refused = await upload(svc);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body.errors[0].message).toMatch(/still processing/);
    expect(await svc.store.model.countDocuments({ ownerId: alice.id })).toBe(3);

    // A worker works through them; then there is room again.
    const worker = await startTestMedia(ctx, svc.config.MONGO_URL, { MEDIA_ROLE: 'worker', MEDIA_STORAGE_DIR: svc.storageDir });
    await eventually(async () => expect(await svc.store.countProcessing(alice.id)).toBe(0), { timeoutMs: 20_000 });
    await worker.stop();
    expect((await upload(svc)).status).toBe(202);
  });

  test('six uploads at once with room for three: never more than three accepted, the others leave nothing behind', async () => {
    const carol = { id: 'user-carol', username: 'carol' };
    const originals = () => filesUnder(svc.storageDir).filter((f) => f.startsWith('originals/'));
    const originalsBefore = originals().length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => upload(svc, carol)));
    const accepted = answers.filter((r) => r.status === 202).map((r) => r.body.media.id as string);
    expect(answers.every((r) => r.status === 202 || r.status === 429)).toBe(true);
    // All six passed the check made before the body is read; the one after the insert catches it.
    expect(accepted.length).toBeLessThanOrEqual(3);
    const kept = await svc.store.model.find({ ownerId: carol.id }, { _id: 1 }).lean();
    expect(kept.map((m) => m._id).sort()).toEqual([...accepted].sort());
    expect(originals()).toHaveLength(originalsBefore + accepted.length);

    // The refused ones hold no room: carol fills the rest one by one, and no further.
    for (let n = accepted.length; n < 3; n += 1) expect((await upload(svc, carol)).status).toBe(202);
    expect((await upload(svc, carol)).status).toBe(429);
  });
});
