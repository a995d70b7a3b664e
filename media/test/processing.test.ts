/**
 * Processing and serving, with the API and the worker in one process (MEDIA_ROLE=all): an upload
 * ends ready with upright, metadata-free WebP variants and one media.ready, or failed with a
 * reason and one media.failed; variants are served with strong, immutable caching.
 */
import { createHash } from 'node:crypto';
import { isBlurhashValid } from 'blurhash';
import sharp from 'sharp';
import { Events, Publisher, streamNameFor, type EventBus } from '@lumina/common';
import { collectEvents, eventually, TestContext, type EventCollector } from '@lumina/common/testing';
import { alice, bearer, bob, filesUnder, postShowing, startTestMedia, type TestMedia } from './helpers';
import * as images from './images';

const ctx = new TestContext();
let bus: EventBus;
let svc: TestMedia;
let ready: EventCollector<typeof Events.mediaReady>;
let failed: EventCollector<typeof Events.mediaFailed>;

beforeAll(async () => {
  bus = await ctx.eventBus();
  svc = await startTestMedia(ctx, ctx.mongoDatabase('media'), { MEDIA_ROLE: 'all' });
  ready = await collectEvents(bus, Events.mediaReady);
  failed = await collectEvents(bus, Events.mediaFailed);
});
afterAll(async () => {
  await ready.stop();
  await failed.stop();
  await ctx.cleanup();
});

/** Every job and event handled and every outbox published, and the collectors have read it all. */
const drained = (...more: TestMedia[]) => ctx.drained({ outboxes: [svc, ...more].map((m) => m.relay), collectors: [ready, failed] });

async function uploadAndWait(file: Buffer, user = alice) {
  const res = await svc.http.post('/api/v1/media').set('Authorization', bearer(user)).attach('file', file, 'photo.jpg');
  expect(res.status).toBe(202);
  const id: string = res.body.media.id;
  const media = await eventually(
    async () => {
      const got = await svc.http.get(`/api/v1/media/${id}`).set('Authorization', bearer(user));
      expect(['ready', 'failed']).toContain(got.body.media.status);
      return got.body.media;
    },
    { timeoutMs: 15_000 },
  );
  return { id, media };
}

const readyEvents = (id: string) => ready.received.filter((e) => e.data.id === id);

async function pixel(image: Buffer, x: number, y: number) {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return { r: data[at]!, g: data[at + 1]!, b: data[at + 2]! };
}

describe('a sideways JPEG carrying GPS, ICC and XMP', () => {
  let id: string;
  let media: Record<string, unknown>;
  let original: Buffer;

  beforeAll(async () => {
    original = await images.sidewaysJpegWithGps();
    ({ id, media } = await uploadAndWait(original));
    // A post shows it: its variants are public from here on.
    await new Publisher(bus, Events.postCreated).publish(postShowing('post-sideways', alice.id, [id]));
    await eventually(async () => expect((await svc.store.findById(id))?.usedByPosts).toEqual(['post-sideways']));
  });

  test('the original really carries it all (the test is worth something)', async () => {
    const meta = await sharp(original).metadata();
    expect(meta.orientation).toBe(6);
    expect(images.exifHasGps(meta.exif)).toBe(true);
    expect(meta.icc).toBeDefined();
    expect(meta.xmp).toBeDefined();
  });

  test('ends ready, upright (400×600), with a blurhash and both variants', () => {
    expect(media).toMatchObject({
      id,
      status: 'ready',
      width: 400,
      height: 600,
      variants: {
        thumb: { url: `/api/v1/media/${id}/thumb`, width: 320, height: 320 },
        feed: { url: `/api/v1/media/${id}/feed`, width: 400, height: 600 },
      },
    });
    expect(isBlurhashValid(media.blurhash as string).result).toBe(true);
  });

  test('the served feed image is upright: red on top, blue below', async () => {
    const res = await svc.http.get(`/api/v1/media/${id}/feed`).buffer(true);
    expect(res.status).toBe(200);
    const top = await pixel(res.body, 200, 100);
    const bottom = await pixel(res.body, 200, 500);
    expect(top.r).toBeGreaterThan(150);
    expect(top.b).toBeLessThan(100);
    expect(bottom.b).toBeGreaterThan(150);
    expect(bottom.r).toBeLessThan(100);
  });

  test.each(['thumb', 'feed'])('the %s variant is WebP with no metadata at all: no EXIF (no GPS), ICC, XMP or IPTC', async (variant) => {
    const res = await svc.http.get(`/api/v1/media/${id}/${variant}`).buffer(true);
    const meta = await sharp(res.body).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    // Not even a metadata chunk of the WebP container, nor the camera's name anywhere.
    for (const marker of ['EXIF', 'Exif', 'XMP ', 'ICCP', 'LuminaCam']) expect(res.body.includes(Buffer.from(marker))).toBe(false);
  });

  test('one media.ready carries the new state at version 2', async () => {
    const event = await ready.waitFor((d) => d.id === id);
    expect(event.data).toEqual({
      id,
      ownerId: alice.id,
      width: 400,
      height: 600,
      blurhash: media.blurhash,
      variants: media.variants,
      version: 2,
    });
    await drained();
    expect(ready.received.filter((e) => e.data.id === id)).toHaveLength(1);
    expect((await svc.store.findById(id))?.version).toBe(2);
  });

  test('variants are served with a strong ETag, immutable caching, the right type and nosniff', async () => {
    for (const variant of ['thumb', 'feed']) {
      const res = await svc.http.get(`/api/v1/media/${id}/${variant}`).buffer(true);
      expect(res.status).toBe(200);
      expect(res.headers['etag']).toBe(`"${createHash('sha256').update(res.body).digest('hex')}"`);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['content-type']).toBe('image/webp');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
    }
  });

  test('If-None-Match answers 304 with no body (exact, weak form, in a list, *); another tag gets the bytes', async () => {
    const first = await svc.http.get(`/api/v1/media/${id}/thumb`);
    const etag = first.headers['etag']!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await svc.http.get(`/api/v1/media/${id}/thumb`).set('If-None-Match', header);
      expect(res.status).toBe(304);
      expect(res.headers['etag']).toBe(etag);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.text ?? '').toBe('');
    }
    const other = await svc.http.get(`/api/v1/media/${id}/thumb`).set('If-None-Match', '"not-it"');
    expect(other.status).toBe(200);
  });

  test('HEAD answers the headers only; the original is never served', async () => {
    const head = await svc.http.head(`/api/v1/media/${id}/feed`);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('image/webp');
    expect((await svc.http.get(`/api/v1/media/${id}/original`)).status).toBe(404);
    expect(filesUnder(svc.storageDir)).toEqual(
      expect.arrayContaining([`originals/${id}`, `variants/${id}/thumb.webp`, `variants/${id}/feed.webp`]),
    );
  });

  test('a media a post shows is public: anyone sees it and its variants', async () => {
    expect((await svc.http.get(`/api/v1/media/${id}`)).body.media.status).toBe('ready');
    expect((await svc.http.get(`/api/v1/media/${id}/thumb`).set('Authorization', bearer(bob))).status).toBe(200);
  });

  test('a job redelivered after the media is ready does nothing', async () => {
    const jobs = new Publisher(bus, Events.mediaProcessRequested);
    await jobs.publish({ mediaId: id });
    await jobs.publish({ mediaId: 'f'.repeat(32) }); // a job for nothing: acked, ignored
    const queue = streamNameFor(bus.ns, 'MEDIA_JOBS');
    await eventually(async () => expect((await bus.jsm.streams.info(queue)).state.messages).toBe(0));
    await drained();
    expect((await svc.store.findById(id))?.version).toBe(2);
    expect(ready.received.filter((e) => e.data.id === id)).toHaveLength(1);
  });
});

describe('the worker', () => {
  test('consumes the work queue through the one durable every worker replica shares', async () => {
    const info = await bus.jsm.consumers.info(streamNameFor(bus.ns, 'MEDIA_JOBS'), 'media--jobs-media-process');
    // The jobs' subject, and media's own replay subject (lumina-ops dlq replay).
    expect(info.config.filter_subjects).toEqual([
      `${bus.ns.subjectPrefix}.jobs.media.process`,
      `${bus.ns.subjectPrefix}.jobs.media.process.replay.media`,
    ]);
  });

  test('a worker-only process answers health and readiness, serves no API, and works beside the other replica', async () => {
    const worker = await startTestMedia(ctx, svc.config.MONGO_URL, { MEDIA_ROLE: 'worker', MEDIA_STORAGE_DIR: svc.storageDir });
    expect((await worker.http.get('/healthz')).status).toBe(200);
    const readiness = await worker.http.get('/readyz');
    expect(readiness.body).toEqual({ status: 'ready', checks: { mongodb: 'ok', nats: 'ok', storage: 'ok' } });
    expect((await worker.http.get('/api/v1/media/limits')).status).toBe(404);
    // Two replicas now pull from the one durable; uploads still end ready, each exactly once.
    const ids = await Promise.all(
      [images.png(301, 200), images.png(302, 200), images.png(303, 200)].map(async (p) => (await uploadAndWait(await p, bob)).id),
    );
    for (const id of ids) await ready.waitFor((d) => d.id === id);
    await drained(worker);
    for (const id of ids) expect(readyEvents(id)).toHaveLength(1);
    await worker.stop();
  });
});

describe('other images', () => {
  test('a truncated JPEG reads at upload (its header is whole) and ends failed with a reason', async () => {
    const { id, media } = await uploadAndWait(await images.truncatedJpeg());
    expect(media).toMatchObject({ status: 'failed', variants: null, blurhash: null });
    expect(media.error).toMatch(/^The image could not be decoded: .*premature end of JPEG/i);
    const event = await failed.waitFor((d) => d.id === id);
    expect(event.data).toEqual({ id, ownerId: alice.id, reason: media.error, version: 2 });
    expect((await svc.http.get(`/api/v1/media/${id}/feed`)).status).toBe(404);
    // Failed media are shown to their owner only.
    expect((await svc.http.get(`/api/v1/media/${id}`).set('Authorization', bearer(bob))).status).toBe(404);
    expect(ready.received.filter((e) => e.data.id === id)).toHaveLength(0);
  });

  test.each([
    ['GIF', images.gif],
    ['WebP', images.webp],
    ['AVIF', images.avif],
  ])('%s is processed into WebP variants', async (_name, make) => {
    const { id, media } = await uploadAndWait(await make(900, 600), bob);
    expect(media).toMatchObject({ status: 'ready', width: 900, height: 600, variants: { feed: { width: 900, height: 600 } } });
    const feed = await svc.http.get(`/api/v1/media/${id}/feed`).set('Authorization', bearer(bob)).buffer(true);
    expect((await sharp(feed.body).metadata()).format).toBe('webp');
  });

  test('an animated GIF keeps its first frame', async () => {
    const frame = (colour: { r: number; g: number; b: number }) =>
      sharp({ create: { width: 64, height: 64, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const animated = await sharp([await frame(images.RED), await frame(images.BLUE)], { join: { animated: true } })
      .gif({ delay: [100, 100] })
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    const { id, media } = await uploadAndWait(animated, bob);
    expect(media).toMatchObject({ status: 'ready', width: 64, height: 64 });
    const feed = await svc.http.get(`/api/v1/media/${id}/feed`).set('Authorization', bearer(bob)).buffer(true);
    const meta = await sharp(feed.body).metadata();
    expect(meta.pages ?? 1).toBe(1);
    expect((await pixel(feed.body, 32, 32)).r).toBeGreaterThan(150);
  });

  test('a large image fits inside 1080×1350 and the thumb is a 320×320 centre crop', async () => {
    // 3000×1000: left third red, middle blue, right third red — the centre crop is all blue.
    const middle = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: images.BLUE } })
      .png()
      .toBuffer();
    const wide = await sharp({ create: { width: 3000, height: 1000, channels: 3, background: images.RED } })
      .composite([{ input: middle, left: 1000, top: 0 }])
      .jpeg()
      .toBuffer();
    const { id, media } = await uploadAndWait(wide, bob);
    expect(media).toMatchObject({
      width: 3000,
      height: 1000,
      variants: { feed: { width: 1080, height: 360 }, thumb: { width: 320, height: 320 } },
    });
    const thumb = await svc.http.get(`/api/v1/media/${id}/thumb`).set('Authorization', bearer(bob)).buffer(true);
    for (const [x, y] of [
      [5, 5],
      [314, 314],
      [160, 160],
    ] as const)
      expect((await pixel(thumb.body, x, y)).b).toBeGreaterThan(150);
  });
});
