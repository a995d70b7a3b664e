/**
 * The sweeper deletes media nobody uses once they are older than MEDIA_UNATTACHED_TTL_HOURS:
 * never one a post shows or a user has as avatar, and it finishes deletions interrupted before
 * their blobs were removed.
 */
import { Events, outboxEvent, Publisher, type EventBus, type EventData } from '@lumina/common';
import { collectEvents, eventually, TestContext, type EventCollector } from '@lumina/common/testing';
import { alice, bearer, filesUnder, startTestMedia, type TestMedia } from './helpers';
import * as images from './images';

const HOUR = 3600_000;
const ctx = new TestContext();
let bus: EventBus;
let svc: TestMedia;
let deleted: EventCollector<typeof Events.mediaDeleted>;

beforeAll(async () => {
  bus = await ctx.eventBus();
  svc = await startTestMedia(ctx, ctx.mongoDatabase('media'), { MEDIA_ROLE: 'all', MEDIA_UNATTACHED_TTL_HOURS: '24' });
  deleted = await collectEvents(bus, Events.mediaDeleted);
});
afterAll(async () => {
  await deleted.stop();
  await ctx.cleanup();
});

let size = 50;
async function readyMedia(service: TestMedia): Promise<string> {
  size += 1;
  const res = await service.http
    .post('/api/v1/media')
    .set('Authorization', bearer(alice))
    .attach('file', await images.png(size, 40), 'a.png');
  expect(res.status).toBe(202);
  const id: string = res.body.media.id;
  await eventually(async () => expect((await service.store.findById(id))?.status).toBe('ready'), { timeoutMs: 10_000 });
  return id;
}

function postUsing(id: string, mediaId: string): EventData<typeof Events.postCreated> {
  const variant = { url: `/api/v1/media/${mediaId}/thumb`, width: 10, height: 10 };
  return {
    id,
    authorId: alice.id,
    caption: '',
    hashtags: [],
    mentions: [],
    media: [{ id: mediaId, alt: '', width: 10, height: 10, blurhash: '', variants: { thumb: variant, feed: variant } }],
    likeCount: 0,
    commentCount: 0,
    createdAt: new Date().toISOString(),
    version: 1,
  };
}

const blobsOf = (service: TestMedia, id: string) => filesUnder(service.storageDir).filter((f) => f.includes(id));

test('past the age limit, unattached media go; media in a post or an avatar stay', async () => {
  const [inPost, avatar, unattached] = [await readyMedia(svc), await readyMedia(svc), await readyMedia(svc)];
  await new Publisher(bus, Events.postCreated).publish(postUsing('post-1', inPost));
  await new Publisher(bus, Events.userCreated).publish({
    id: alice.id,
    username: 'alice',
    displayName: 'Alice',
    bio: '',
    avatar: { mediaId: avatar, url: `/api/v1/media/${avatar}/thumb`, blurhash: '' },
    version: 1,
  });
  await eventually(async () => expect((await svc.store.findById(inPost))?.usedByPosts).toEqual(['post-1']));
  await eventually(async () => expect((await svc.usage.avatarsAmong([avatar])).has(avatar)).toBe(true));

  // Nothing is old enough yet.
  expect(await svc.sweeper!.sweep(new Date())).toBe(0);
  // A day later:
  expect(await svc.sweeper!.sweep(new Date(Date.now() + 25 * HOUR))).toBe(1);

  expect((await svc.store.findById(unattached))?.status).toBe('deleted');
  expect(blobsOf(svc, unattached)).toEqual([]);
  expect((await deleted.waitFor((d) => d.id === unattached)).data).toEqual({ id: unattached, ownerId: alice.id, version: 3 });
  for (const kept of [inPost, avatar]) {
    expect((await svc.store.findById(kept))?.status).toBe('ready');
    expect(blobsOf(svc, kept).length).toBe(3);
  }

  // Released: the post is deleted, the user changes avatar. The next sweep takes both.
  await new Publisher(bus, Events.postDeleted).publish({ id: 'post-1', authorId: alice.id, version: 2 });
  await new Publisher(bus, Events.userUpdated).publish({
    id: alice.id,
    username: 'alice',
    displayName: 'Alice',
    bio: '',
    avatar: null,
    version: 2,
  });
  await eventually(async () => expect((await svc.store.findById(inPost))?.usedByPosts).toEqual([]));
  await eventually(async () => expect((await svc.usage.avatarsAmong([avatar])).size).toBe(0));
  expect(await svc.sweeper!.sweep(new Date(Date.now() + 25 * HOUR))).toBe(2);
  await deleted.waitFor((d) => d.id === inPost);
  await deleted.waitFor((d) => d.id === avatar);
});

test('a deletion interrupted before its blobs were removed is finished by the next sweep', async () => {
  const id = await readyMedia(svc);
  const media = (await svc.store.findById(id))!;
  // The process died right after the write that marked it deleted.
  expect(
    await svc.store.markDeleted(id, media.version, outboxEvent(Events.mediaDeleted, { id, ownerId: alice.id, version: media.version + 1 })),
  ).toBe(true);
  expect(blobsOf(svc, id).length).toBe(3);

  await svc.sweeper!.sweep(new Date());
  expect(blobsOf(svc, id)).toEqual([]);
  expect(await svc.store.findById(id)).toMatchObject({ status: 'deleted', blobsPending: false });
});

test('the sweeper runs by itself in the worker (an age limit of two seconds here)', async () => {
  const other = new TestContext();
  try {
    const otherBus = await other.eventBus();
    const quick = await startTestMedia(other, other.mongoDatabase('media'), {
      MEDIA_ROLE: 'all',
      MEDIA_UNATTACHED_TTL_HOURS: String(2 / 3600),
      MEDIA_SWEEP_INTERVAL_MS: '300',
    });
    const gone = await collectEvents(otherBus, Events.mediaDeleted);
    const id = await readyMedia(quick);
    await gone.waitFor((d) => d.id === id, 10_000);
    // The event may be out before the blobs are removed (they go right after the write).
    await eventually(() => expect(blobsOf(quick, id)).toEqual([]));
    await gone.stop();
  } finally {
    await other.cleanup();
  }
});
