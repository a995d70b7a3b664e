/**
 * Taking uploads: the type is told by the bytes, limits are enforced while streaming (and
 * before any pixel is decoded), the same file is one media, and a refused upload writes nothing.
 * The API runs alone here (MEDIA_ROLE=api): jobs wait in the queue, nothing is processed.
 */
import sharp from 'sharp';
import { Events, MongoOutboxRelay, outboxEvent, streamNameFor, subjectFor, type EventBus } from '@lumina/common';
import { apiDocsProblems, TestContext, testLogger } from '@lumina/common/testing';
import { alice, bearer, bob, filesUnder, rawUpload, startTestMedia, type TestMedia } from './helpers';
import * as images from './images';

const ctx = new TestContext();
let bus: EventBus;
let svc: TestMedia;

beforeAll(async () => {
  bus = await ctx.eventBus();
  svc = await startTestMedia(ctx, ctx.mongoDatabase('media'), { MEDIA_ROLE: 'api' });
});
afterAll(() => ctx.cleanup());

const upload = (file: Buffer, filename: string, contentType: string, user = alice) =>
  svc.http.post('/api/v1/media').set('Authorization', bearer(user)).attach('file', file, { filename, contentType });

/** Nothing in MongoDB for this owner, no blob stored, no temporary file left. */
async function expectNothingWritten(ownerId: string) {
  expect(await svc.store.model.countDocuments({ ownerId })).toBe(0);
  expect(filesUnder(svc.tmpDir)).toEqual([]);
}

describe('what is accepted', () => {
  test('a PNG named .jpg and declared image/jpeg is taken as the PNG it is', async () => {
    const res = await upload(await images.png(), 'holiday.jpg', 'image/jpeg');
    expect(res.status).toBe(202);
    expect(res.body.media).toMatchObject({ ownerId: alice.id, status: 'processing', width: 200, height: 120, alt: '', variants: null });
    const stored = await svc.store.findById(res.body.media.id);
    expect(stored?.type).toBe('image/png');
    expect(filesUnder(svc.storageDir)).toContain(`originals/${res.body.media.id}`);
    expect(filesUnder(svc.tmpDir)).toEqual([]);
  });

  test.each([
    ['GIF', images.gif, 'image/gif'],
    ['WebP', images.webp, 'image/webp'],
    ['AVIF', images.avif, 'image/avif'],
  ])('%s is accepted', async (_name, make, type) => {
    const res = await upload(await make(), 'picture.bin', 'application/octet-stream', bob);
    expect(res.status).toBe(202);
    expect((await svc.store.findById(res.body.media.id))?.type).toBe(type);
  });

  test('the answer is an allow-list: nothing of the stored document leaks', async () => {
    const res = await svc.http
      .post('/api/v1/media')
      .set('Authorization', bearer(alice))
      .field('alt', '  A red square  ')
      .attach('file', await images.png(64, 64), { filename: 'a.png', contentType: 'image/png' });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body.media).sort()).toEqual([
      'alt',
      'blurhash',
      'createdAt',
      'height',
      'id',
      'ownerId',
      'status',
      'variants',
      'width',
    ]);
    expect(res.body.media.alt).toBe('A red square');
  });

  test('the sideways JPEG reports its upright size (orientation 6 swaps width and height)', async () => {
    const res = await upload(await images.sidewaysJpegWithGps(), 'side.jpg', 'image/jpeg');
    expect(res.status).toBe(202);
    expect(res.body.media).toMatchObject({ width: 400, height: 600 });
  });

  test('GET /limits tells clients what is accepted', async () => {
    const res = await svc.http.get('/api/v1/media/limits');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      maxBytes: 20 * 1024 * 1024,
      maxPixels: 40_000_000,
      types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif'],
    });
  });
});

describe('what is refused, with nothing written', () => {
  const carol = { id: 'user-carol', username: 'carol' };

  test.each([
    ['an SVG named .png', images.svg, 'cat.png', 'image/png'],
    ['HTML named .jpg', images.html, 'page.jpg', 'image/jpeg'],
    ['a PDF', images.pdf, 'doc.pdf', 'application/pdf'],
    ['a zip named .webp', images.zip, 'x.webp', 'image/webp'],
    ['an empty file', Buffer.alloc(0), 'empty.png', 'image/png'],
  ])('%s → 415', async (_name, bytes, filename, type) => {
    const res = await upload(bytes, filename, type, carol);
    expect(res.status).toBe(415);
    expect(res.body.errors[0].message).toMatch(/not a JPEG, PNG, WebP, AVIF or GIF/);
    await expectNothingWritten(carol.id);
  });

  test('JPEG magic bytes in front of garbage → 422: the header does not read', async () => {
    const res = await upload(images.fakeJpeg, 'fake.jpg', 'image/jpeg', carol);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].message).toBe('The image could not be read');
    await expectNothingWritten(carol.id);
  });

  test("sharp reads a header without decoding pixels: the bomb's 10 gigapixels in milliseconds, no memory", async () => {
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const meta = await sharp(images.pixelBombPng(), { limitInputPixels: false }).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 100_000, height: 100_000 });
    expect(Date.now() - started).toBeLessThan(500);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
    // …and with the guard sharp will not even open it.
    await expect(sharp(images.pixelBombPng(), { limitInputPixels: 40_000_000 }).metadata()).rejects.toThrow(/pixel limit/);
  });

  test('a pixel bomb (a small PNG declaring 100000×100000) → 422, fast and in little memory', async () => {
    const bomb = images.pixelBombPng();
    expect(bomb.length).toBeLessThan(1024);
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const res = await upload(bomb, 'bomb.png', 'image/png', carol);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].message).toBe('The image is larger than 40 megapixels');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    await expectNothingWritten(carol.id);
  });

  test('just over 40 megapixels (a header declaring 8000×5001) → 422', async () => {
    const res = await upload(images.pixelBombPng(8000, 5001), 'big.png', 'image/png', carol);
    expect(res.status).toBe(422);
    await expectNothingWritten(carol.id);
  });

  test('not signed in → 401', async () => {
    const res = await svc.http.post('/api/v1/media').attach('file', await images.png(), 'a.png');
    expect(res.status).toBe(401);
    expect(await svc.store.model.countDocuments()).toBeGreaterThan(0); // other tests' uploads, none of this one
    expect(filesUnder(svc.tmpDir)).toEqual([]);
  });

  test('no file part → 400 on the field', async () => {
    const res = await svc.http.post('/api/v1/media').set('Authorization', bearer(carol)).field('alt', 'x');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Attach the image in a field named "file"', field: 'file' }]);
    await expectNothingWritten(carol.id);
  });

  test('a JSON body instead of multipart → 415', async () => {
    const res = await svc.http
      .post('/api/v1/media')
      .set('Authorization', bearer(carol))
      .send({ file: { $gt: '' } });
    expect(res.status).toBe(415);
    await expectNothingWritten(carol.id);
  });

  test('two files → 400', async () => {
    const res = await svc.http
      .post('/api/v1/media')
      .set('Authorization', bearer(carol))
      .attach('file', await images.png(), 'a.png')
      .attach('file', await images.png(30, 30), 'b.png');
    expect(res.status).toBe(400);
    await expectNothingWritten(carol.id);
  });

  test('alt text over 1000 characters → 400 on the field', async () => {
    const res = await svc.http
      .post('/api/v1/media')
      .set('Authorization', bearer(carol))
      .field('alt', 'x'.repeat(1001))
      .attach('file', await images.png(), 'a.png');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('alt');
    await expectNothingWritten(carol.id);
  });

  test('a malformed Idempotency-Key → 400', async () => {
    const res = await upload(await images.png(), 'a.png', 'image/png', carol).set('Idempotency-Key', 'not a key!');
    expect(res.status).toBe(400);
    await expectNothingWritten(carol.id);
  });
});

describe('the 20 MB limit', () => {
  const dave = { id: 'user-dave', username: 'dave' };
  let connections: Array<{ bytesRead: number }> = [];
  const onConnection = (socket: { bytesRead: number }) => connections.push(socket);

  beforeEach(() => {
    connections = [];
    svc.running.server.on('connection', onConnection);
  });
  afterEach(() => {
    svc.running.server.off('connection', onConnection);
  });

  test('a 25 MB upload streamed without a length is cut off at 20 MB with 413, the rest never read', async () => {
    const res = await rawUpload(svc.running.port, bearer(dave), 25 * 1024 * 1024, { chunked: true });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ errors: [{ message: 'The file is larger than 20 MB' }] });
    const read = connections.reduce((sum, s) => sum + s.bytesRead, 0);
    expect(read).toBeGreaterThan(20 * 1024 * 1024);
    expect(read).toBeLessThan(21 * 1024 * 1024);
    await expectNothingWritten(dave.id);
  });

  test('a 25 MB upload that declares its length is refused before a byte of it is read', async () => {
    const res = await rawUpload(svc.running.port, bearer(dave), 25 * 1024 * 1024, { chunked: false });
    expect(res.status).toBe(413);
    expect(connections.reduce((sum, s) => sum + s.bytesRead, 0)).toBeLessThan(2 * 1024 * 1024);
    await expectNothingWritten(dave.id);
  });

  test('exactly 20 MB is not too large (it fails later, as the non-image it is)', async () => {
    const res = await rawUpload(svc.running.port, bearer(dave), 20 * 1024 * 1024, { chunked: true });
    expect(res.status).toBe(422);
    await expectNothingWritten(dave.id);
  });
});

describe('the same file is one media', () => {
  const erin = { id: 'user-erin', username: 'erin' };

  test('the same bytes twice from the same owner → 202 then 200 with the same media', async () => {
    const file = await images.png(150, 150, images.BLUE);
    const first = await upload(file, 'one.png', 'image/png', erin);
    const second = await upload(file, 'renamed.jpg', 'image/jpeg', erin);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.media.id).toBe(first.body.media.id);
    expect(await svc.store.model.countDocuments({ ownerId: erin.id })).toBe(1);
    expect(filesUnder(svc.storageDir).filter((f) => f === `originals/${first.body.media.id}`)).toHaveLength(1);
  });

  test('the same bytes from another owner are another media', async () => {
    const file = await images.png(151, 150, images.BLUE);
    const mine = await upload(file, 'a.png', 'image/png', erin);
    const theirs = await upload(file, 'a.png', 'image/png', bob);
    expect(theirs.status).toBe(202);
    expect(theirs.body.media.id).not.toBe(mine.body.media.id);
  });

  test('the same file uploaded five times at once is still one media', async () => {
    const file = await images.png(152, 150, images.BLUE);
    const answers = await Promise.all(Array.from({ length: 5 }, () => upload(file, 'a.png', 'image/png', erin)));
    expect(new Set(answers.map((a) => a.body.media.id)).size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(4);
    const id = answers[0]!.body.media.id;
    expect(await svc.store.model.countDocuments({ ownerId: erin.id, sha256: (await svc.store.findById(id))!.sha256 })).toBe(1);
    expect(
      filesUnder(svc.storageDir)
        .filter((f) => f.startsWith('originals/'))
        .every((f) => !f.includes('.partial-')),
    ).toBe(true);
  });

  test('a request retried with its Idempotency-Key gets the same answer, the body not even read', async () => {
    const file = await images.png(153, 150, images.BLUE);
    const first = await upload(file, 'a.png', 'image/png', erin).set('Idempotency-Key', 'upload-153');
    const retried = await upload(file, 'a.png', 'image/png', erin).set('Idempotency-Key', 'upload-153');
    expect(first.status).toBe(202);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual(first.body);
    // The key is the answer: even a different body gets it (a retry is the same request).
    const other = await upload(await images.png(10, 10), 'a.png', 'image/png', erin).set('Idempotency-Key', 'upload-153');
    expect(other.status).toBe(202);
    expect(other.body.media.id).toBe(first.body.media.id);
    // Keys are per owner.
    const bobs = await upload(await images.png(11, 10), 'a.png', 'image/png', bob).set('Idempotency-Key', 'upload-153');
    expect(bobs.body.media.id).not.toBe(first.body.media.id);
  });

  test('a key first answered 200 (a duplicate) answers 200 again', async () => {
    const file = await images.png(154, 150, images.BLUE);
    await upload(file, 'a.png', 'image/png', erin);
    const dup = await upload(file, 'a.png', 'image/png', erin).set('Idempotency-Key', 'dup-154');
    const again = await upload(file, 'a.png', 'image/png', erin).set('Idempotency-Key', 'dup-154');
    expect([dup.status, again.status]).toEqual([200, 200]);
    expect(again.body.media.id).toBe(dup.body.media.id);
  });
});

describe('reading a media', () => {
  test('the owner sees it while processing; others do not', async () => {
    const res = await upload(await images.png(77, 77), 'a.png', 'image/png');
    const id = res.body.media.id;
    const mine = await svc.http.get(`/api/v1/media/${id}`).set('Authorization', bearer(alice));
    expect(mine.status).toBe(200);
    expect(mine.body.media).toEqual(res.body.media);
    expect((await svc.http.get(`/api/v1/media/${id}`).set('Authorization', bearer(bob))).status).toBe(404);
    expect((await svc.http.get(`/api/v1/media/${id}`)).status).toBe(404);
  });

  test('a variant is 404 until the media is ready, and an original is never served', async () => {
    const res = await upload(await images.png(78, 77), 'a.png', 'image/png');
    const id = res.body.media.id;
    for (const path of ['thumb', 'feed', 'original', '../originals']) {
      expect((await svc.http.get(`/api/v1/media/${id}/${path}`)).status).toBe(404);
    }
  });

  test('ids that cannot be ours are 404, never 500', async () => {
    for (const id of ['nope', '%24gt', '0'.repeat(25), 'ffffffffffffffffffffffff', 'f'.repeat(32), 'F'.repeat(32), 'f'.repeat(33)]) {
      const res = await svc.http.get(`/api/v1/media/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.errors).toHaveLength(1);
    }
  });
});

describe('the processing job goes through the outbox', () => {
  const frank = { id: 'user-frank', username: 'frank' };
  const jobsStream = () => streamNameFor(bus.ns, 'MEDIA_JOBS');
  const queuedJobs = async () => (await bus.jsm.streams.info(jobsStream())).state.messages;
  const lastJob = async () => {
    const msg = await bus.jsm.streams.getMessage(jobsStream(), { last_by_subj: subjectFor(bus.ns, Events.mediaProcessRequested) });
    return JSON.parse(Buffer.from(msg!.data).toString('utf8')).data as { mediaId: string };
  };
  afterAll(() => svc.relay.start());

  test('an upload queues exactly one job: the relay republishing it is dropped as a duplicate', async () => {
    await svc.relay.stop();
    const before = await queuedJobs();
    const res = await upload(await images.png(61, 61), 'a.png', 'image/png', frank);
    expect(res.status).toBe(202);
    // Published at once, and still pending in the document until a relay clears it.
    expect(await queuedJobs()).toBe(before + 1);
    const raw = await svc.store.collection.findOne({ _id: res.body.media.id as never });
    expect(raw?._outbox).toHaveLength(1);

    await new MongoOutboxRelay([svc.store.collection], bus, { log: testLogger }).drain();
    expect(await queuedJobs()).toBe(before + 1);
    expect(await lastJob()).toEqual({ mediaId: res.body.media.id });
    expect((await svc.store.collection.findOne({ _id: res.body.media.id as never }))?._outbox).toEqual([]);
  });

  test('a job written but never published (the process died between the two) is published by a fresh relay, once', async () => {
    await svc.relay.stop();
    const before = await queuedJobs();
    // What a crash right after the insert leaves behind: the media and its job, nothing published.
    const id = 'a'.repeat(32);
    const job = outboxEvent(Events.mediaProcessRequested, { mediaId: id });
    await svc.store.insertProcessing(
      {
        _id: id,
        ownerId: frank.id,
        alt: '',
        type: 'image/png',
        sha256: 'f'.repeat(64),
        contentKey: `${frank.id}:${'f'.repeat(64)}`,
        bytes: 1,
        originalKey: `originals/${id}`,
        width: 1,
        height: 1,
        uploadKeys: [],
        turn: 0,
      },
      job,
    );
    expect(await queuedJobs()).toBe(before);

    const dying = new MongoOutboxRelay([svc.store.collection], bus, {
      log: testLogger,
      afterPublish: () => {
        throw new Error('died after publishing');
      },
    });
    await expect(dying.drain()).rejects.toThrow('died after publishing');
    await new MongoOutboxRelay([svc.store.collection], bus, { log: testLogger }).drain();
    expect(await queuedJobs()).toBe(before + 1);
    expect(await lastJob()).toEqual({ mediaId: id });
  });
});

test('serves its OpenAPI 3.1 document (valid, every mounted route in it) and Swagger UI, on its port and under /api/v1/media', async () => {
  expect(await apiDocsProblems(svc.running.server, '/api/v1/media')).toEqual([]);
});
