/**
 * Who may read a media: it is its owner's alone until a post (or an avatar) shows it, then public
 * and cacheable; once the post is gone it is its owner's alone again. Ids are random, so an
 * unposted media cannot be found by guessing.
 */
import { Events, Publisher, type EventBus } from '@lumina/common';
import { eventually, TestContext } from '@lumina/common/testing';
import { alice, bearer, bob, postShowing, startTestMedia, type TestMedia } from './helpers';
import * as images from './images';

const ctx = new TestContext();
let bus: EventBus;
let svc: TestMedia;

beforeAll(async () => {
  bus = await ctx.eventBus();
  svc = await startTestMedia(ctx, ctx.mongoDatabase('media'), { MEDIA_ROLE: 'all' });
});
afterAll(() => ctx.cleanup());

const PUBLIC = 'public, max-age=31536000, immutable';
const PRIVATE = 'private, no-store';
let size = 40;

async function readyMedia(user = alice): Promise<string> {
  size += 1;
  const res = await svc.http
    .post('/api/v1/media')
    .set('Authorization', bearer(user))
    .attach('file', await images.png(size, 50), 'a.png');
  expect(res.status).toBe(202);
  const id: string = res.body.media.id;
  await eventually(async () => expect((await svc.store.findById(id))?.status).toBe('ready'), { timeoutMs: 15_000 });
  return id;
}

/** What each kind of reader gets for the record and both variants. */
async function answers(id: string) {
  const as = async (auth?: string) => {
    const get = (path: string) => {
      const req = svc.http.get(path);
      return auth ? req.set('Authorization', auth) : req;
    };
    const [record, thumb, feed] = await Promise.all([
      get(`/api/v1/media/${id}`),
      get(`/api/v1/media/${id}/thumb`),
      get(`/api/v1/media/${id}/feed`),
    ]);
    return {
      record: record.status,
      thumb: thumb.status,
      feed: feed.status,
      cache: [thumb.headers['cache-control'], feed.headers['cache-control']],
      etag: thumb.headers['etag'],
    };
  };
  return { owner: await as(bearer(alice)), stranger: await as(bearer(bob)), anonymous: await as() };
}

test('media ids are 128 random bits (32 hex digits), nothing in common between two', async () => {
  const a = await readyMedia();
  const b = await readyMedia();
  for (const id of [a, b]) expect(id).toMatch(/^[a-f0-9]{32}$/);
  // Two ObjectIds made a moment apart share 9 of their 12 bytes (the time and a per-process value).
  expect(a.slice(0, 8)).not.toBe(b.slice(0, 8));
});

test('an unposted media is its owner’s alone, record and variants: 404 to others, private and unstored for the owner', async () => {
  const id = await readyMedia();
  const seen = await answers(id);
  expect(seen.owner).toMatchObject({ record: 200, thumb: 200, feed: 200, cache: [PRIVATE, PRIVATE] });
  expect(seen.owner.etag).toMatch(/^"[a-f0-9]{64}"$/);
  for (const other of [seen.stranger, seen.anonymous]) {
    // The same answer as for a media that does not exist, and not one a cache may keep.
    expect(other).toMatchObject({ record: 404, thumb: 404, feed: 404, cache: [PRIVATE, PRIVATE] });
  }
});

test('once a post shows it, anyone gets it with immutable caching; once the post is deleted, only its owner again', async () => {
  const id = await readyMedia();
  await new Publisher(bus, Events.postCreated).publish(postShowing('post-v1', alice.id, [id]));
  await eventually(async () => expect((await svc.http.get(`/api/v1/media/${id}/feed`).set('Authorization', bearer(bob))).status).toBe(200));

  const posted = await answers(id);
  for (const reader of [posted.owner, posted.stranger, posted.anonymous]) {
    expect(reader).toMatchObject({ record: 200, thumb: 200, feed: 200, cache: [PUBLIC, PUBLIC] });
    expect(reader.etag).toBe(posted.owner.etag);
  }

  await new Publisher(bus, Events.postDeleted).publish({ id: 'post-v1', authorId: alice.id, version: 2 });
  await eventually(async () => expect((await svc.http.get(`/api/v1/media/${id}/feed`).set('Authorization', bearer(bob))).status).toBe(404));
  const released = await answers(id);
  expect(released.owner).toMatchObject({ record: 200, thumb: 200, feed: 200, cache: [PRIVATE, PRIVATE] });
  expect(released.stranger).toMatchObject({ record: 404, thumb: 404, feed: 404 });
  expect(released.anonymous).toMatchObject({ record: 404, thumb: 404, feed: 404 });
});

test('an avatar is shown to everyone (profiles show it), and private again once replaced', async () => {
  const id = await readyMedia();
  const avatar = { mediaId: id, url: `/api/v1/media/${id}/thumb`, blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' };
  const userUpdated = new Publisher(bus, Events.userUpdated);
  await userUpdated.publish({ id: alice.id, username: 'alice', displayName: 'Alice', bio: '', avatar, version: 2 });
  await eventually(async () => expect((await svc.http.get(`/api/v1/media/${id}/thumb`)).status).toBe(200));
  expect((await svc.http.get(`/api/v1/media/${id}/thumb`)).headers['cache-control']).toBe(PUBLIC);

  await userUpdated.publish({ id: alice.id, username: 'alice', displayName: 'Alice', bio: '', avatar: null, version: 3 });
  await eventually(async () => expect((await svc.http.get(`/api/v1/media/${id}/thumb`)).status).toBe(404));
});
