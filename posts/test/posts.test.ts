/** Posts over HTTP against the real service: create, read, edit, delete, list, and refusals. */
import { eventually } from '@lumina/common/testing';
import { Harness, auth, mediaReadyData, type TestUser } from './harness';

const h = new Harness();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  await h.start();
  alice = await h.user('alice', 'Alice A.');
  bob = await h.user('bob', 'Bob B.');
});
afterAll(() => h.stop());

describe('creating a post', () => {
  test('answers 201 with the post, its author and media from the copies', async () => {
    const mediaId = await h.readyMedia(alice.id);
    const res = await h.http
      .post('/api/v1/posts')
      .set(auth(alice))
      .send({
        caption: 'Sunset with @bob and @nobody_here #Sunset #sunset #été #日本 #snake_case',
        media: [{ id: mediaId, alt: 'the sea at dusk' }],
      });
    expect(res.status).toBe(201);
    const post = res.body.post;
    expect(post).toEqual({
      id: expect.any(String),
      author: { id: alice.id, username: 'alice', displayName: 'Alice A.', avatar: null },
      caption: 'Sunset with @bob and @nobody_here #Sunset #sunset #été #日本 #snake_case',
      hashtags: ['sunset', 'été', '日本', 'snake_case'],
      mentions: [{ id: bob.id, username: 'bob' }],
      media: [
        {
          id: mediaId,
          alt: 'the sea at dusk',
          width: 1080,
          height: 1350,
          blurhash: expect.any(String),
          variants: {
            thumb: { url: `/api/v1/media/${mediaId}/thumb`, width: 320, height: 320 },
            feed: { url: `/api/v1/media/${mediaId}/feed`, width: 1080, height: 1350 },
          },
        },
      ],
      likeCount: 0,
      commentCount: 0,
      likedByViewer: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const read = await h.http.get(`/api/v1/posts/${post.id}`);
    expect(read.status).toBe(200);
    expect(read.body.post.caption).toBe(post.caption);
  });

  test('takes 10 media items, each with its own alt text', async () => {
    const media = [];
    for (let i = 0; i < 10; i += 1) media.push({ id: await h.readyMedia(alice.id), alt: `picture ${i}` });
    const res = await h.http.post('/api/v1/posts').set(auth(alice)).send({ caption: '', media });
    expect(res.status).toBe(201);
    expect(res.body.post.media.map((m: { alt: string }) => m.alt)).toEqual(media.map((m) => m.alt));
  });

  test('needs a signed-in user', async () => {
    const res = await h.http.post('/api/v1/posts').send({ caption: 'x', media: [{ id: 'm1' }] });
    expect(res.status).toBe(401);
  });

  describe('is refused with 400 and nothing written', () => {
    let before: Record<string, number>;
    let streamBefore: number;
    beforeEach(async () => {
      await h.drained();
      before = await h.counts();
      streamBefore = await h.streamMessages();
    });
    afterEach(async () => {
      await h.drained(); // a (wrongly) written event would be in the stream by now
      expect(await h.counts()).toEqual(before);
      expect(await h.streamMessages()).toBe(streamBefore);
    });

    test("with another user's media", async () => {
      const mine = await h.readyMedia(alice.id);
      const bobs = await h.readyMedia(bob.id);
      const res = await h.http
        .post('/api/v1/posts')
        .set(auth(alice))
        .send({ caption: 'not mine', media: [{ id: mine }, { id: bobs }] });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ message: expect.stringContaining('not yours'), field: 'media.1.id' }]);
    });

    test('with media still processing (no media.ready yet)', async () => {
      const res = await h.http
        .post('/api/v1/posts')
        .set(auth(alice))
        .send({ caption: 'too soon', media: [{ id: 'med-still-processing' }] });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toEqual({ message: expect.stringContaining('not ready'), field: 'media.0.id' });
    });

    test('with media that failed to process', async () => {
      const id = 'med-failed-1';
      await h.publishMediaFailed({ id, ownerId: alice.id, reason: 'not an image', version: 2 });
      await eventuallyStatus(id, 'failed');
      const res = await h.http
        .post('/api/v1/posts')
        .set(auth(alice))
        .send({ caption: 'broken', media: [{ id }] });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('media.0.id');
    });

    test('with 11 media items', async () => {
      const media = [];
      for (let i = 0; i < 11; i += 1) media.push({ id: await h.readyMedia(alice.id) });
      const res = await h.http.post('/api/v1/posts').set(auth(alice)).send({ caption: 'too many', media });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ message: expect.stringContaining('at most 10'), field: 'media' }]);
    });

    test('with no media, or the same media twice', async () => {
      const id = await h.readyMedia(alice.id);
      expect((await h.http.post('/api/v1/posts').set(auth(alice)).send({ caption: 'none', media: [] })).status).toBe(400);
      expect((await h.http.post('/api/v1/posts').set(auth(alice)).send({ caption: 'none' })).status).toBe(400);
      const twice = await h.http
        .post('/api/v1/posts')
        .set(auth(alice))
        .send({ caption: 'twice', media: [{ id }, { id }] });
      expect(twice.status).toBe(400);
      expect(twice.body.errors[0].field).toBe('media.1.id');
    });

    test('with a caption over 2,200 characters or alt text over 1,000', async () => {
      const id = await h.readyMedia(alice.id);
      const long = await h.http
        .post('/api/v1/posts')
        .set(auth(alice))
        .send({ caption: 'x'.repeat(2201), media: [{ id }] });
      expect(long.status).toBe(400);
      expect(long.body.errors[0].field).toBe('caption');
      const alt = await h.http
        .post('/api/v1/posts')
        .set(auth(alice))
        .send({ caption: 'ok', media: [{ id, alt: 'a'.repeat(1001) }] });
      expect(alt.status).toBe(400);
      expect(alt.body.errors[0].field).toBe('media.0.alt');
    });

    test.each([
      ['caption', { caption: { $gt: '' }, media: [{ id: 'm' }] }],
      ['media', { caption: 'x', media: { $gt: '' } }],
      ['media id', { caption: 'x', media: [{ id: { $gt: '' } }] }],
      ['media alt', { caption: 'x', media: [{ id: 'm', alt: { $ne: null } }] }],
      ['an unknown key', { caption: 'x', media: [{ id: 'm' }], $where: '1' }],
      ['a media item key', { caption: 'x', media: [{ id: 'm', $gt: '' }] }],
    ])('with operator injection in %s', async (_name, body) => {
      const res = await h.http.post('/api/v1/posts').set(auth(alice)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.errors.length).toBeGreaterThan(0);
    });
  });
});

async function eventuallyStatus(mediaId: string, status: string): Promise<void> {
  await eventually(async () => expect(await h.svc.models.MediaCopy.exists({ _id: mediaId, status })).not.toBeNull());
}

describe('editing and deleting', () => {
  test('the author edits the caption: new hashtags and mentions, same id', async () => {
    const post = await h.post(alice, 'first #one');
    const res = await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'second #Two with @bob' });
    expect(res.status).toBe(200);
    expect(res.body.post).toMatchObject({
      id: post.id,
      caption: 'second #Two with @bob',
      hashtags: ['two'],
      mentions: [{ id: bob.id, username: 'bob' }],
    });
  });

  test("editing or deleting someone else's post is 403 and changes nothing", async () => {
    const post = await h.post(alice, 'mine');
    const edit = await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(bob)).send({ caption: 'hijacked' });
    expect(edit.status).toBe(403);
    const del = await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(bob));
    expect(del.status).toBe(403);
    const read = await h.http.get(`/api/v1/posts/${post.id}`);
    expect(read.status).toBe(200);
    expect(read.body.post.caption).toBe('mine');
  });

  test('the author deletes: 204, then reads answer 404 and the post leaves the list', async () => {
    const post = await h.post(alice, 'short-lived');
    const del = await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(alice));
    expect(del.status).toBe(204);
    expect((await h.http.get(`/api/v1/posts/${post.id}`)).status).toBe(404);
    expect((await h.http.delete(`/api/v1/posts/${post.id}`).set(auth(alice))).status).toBe(404);
    expect((await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'back?' })).status).toBe(404);
    const list = await h.http.get(`/api/v1/posts?authorId=${alice.id}&limit=100`);
    expect(list.body.items.map((p: { id: string }) => p.id)).not.toContain(post.id);
    // A tombstone stays, so the outbox relay can still publish post.deleted from it.
    const tombstone = await h.svc.models.Post.findById(post.id).lean();
    expect(tombstone?.deletedAt).toBeInstanceOf(Date);
  });

  test('operator injection in an edit, a bad id or a bad query is 400', async () => {
    const post = await h.post(alice, 'stable');
    expect(
      (
        await h.http
          .patch(`/api/v1/posts/${post.id}`)
          .set(auth(alice))
          .send({ caption: { $gt: '' } })
      ).status,
    ).toBe(400);
    expect((await h.http.patch(`/api/v1/posts/${post.id}`).set(auth(alice)).send({ caption: 'x', version: 9 })).status).toBe(400);
    expect((await h.http.get('/api/v1/posts/not%20an%20id')).status).toBe(400);
    expect((await h.http.get('/api/v1/posts')).status).toBe(400);
    expect((await h.http.get(`/api/v1/posts?authorId=${alice.id}&authorId=${bob.id}`)).status).toBe(400);
    expect((await h.http.get('/api/v1/posts?authorId[$gt]=')).status).toBe(400);
    expect((await h.http.get(`/api/v1/posts?authorId=${alice.id}&limit=0`)).status).toBe(400);
    expect((await h.http.get(`/api/v1/posts?authorId=${alice.id}&limit=101`)).status).toBe(400);
    expect((await h.http.get(`/api/v1/posts?authorId=${alice.id}&cursor=garbage`)).status).toBe(400);
    expect((await h.http.get(`/api/v1/posts/${post.id}`)).body.post.caption).toBe('stable');
  });
});

describe('listing by author', () => {
  test('newest first, page by page, and a cursor stays right while new posts arrive', async () => {
    const carol = await h.user('carol');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await h.post(carol, `post ${i}`)).id);
    const newestFirst = [...ids].reverse();

    const first = await h.http.get(`/api/v1/posts?authorId=${carol.id}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((p: { id: string }) => p.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));

    await h.post(carol, 'arrived while paging'); // sorts before the cursor: never shifts a later page

    const second = await h.http.get(`/api/v1/posts?authorId=${carol.id}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((p: { id: string }) => p.id)).toEqual(newestFirst.slice(2, 4));
    const third = await h.http.get(`/api/v1/posts?authorId=${carol.id}&limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body.items.map((p: { id: string }) => p.id)).toEqual(newestFirst.slice(4));
    expect(third.body.nextCursor).toBeNull();
  });

  test('an author with no posts gets an empty list', async () => {
    const res = await h.http.get('/api/v1/posts?authorId=nobody-at-all');
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('rendering from the copies', () => {
  test('a user renamed after posting shows the new name on the old post', async () => {
    const dave = await h.user('dave', 'Dave');
    const post = await h.post(dave, 'before the rename');
    await h.publishUserUpdated({
      id: dave.id,
      username: 'david',
      displayName: 'David D.',
      bio: '',
      avatar: { mediaId: 'av1', url: '/api/v1/media/av1/thumb', blurhash: 'L00' },
      version: 2,
    });
    await eventually(async () => {
      const res = await h.http.get(`/api/v1/posts/${post.id}`);
      expect(res.body.post.author).toEqual({
        id: dave.id,
        username: 'david',
        displayName: 'David D.',
        avatar: { mediaId: 'av1', url: '/api/v1/media/av1/thumb', blurhash: 'L00' },
      });
    });
    const list = await h.http.get(`/api/v1/posts?authorId=${dave.id}`);
    expect(list.body.items[0].author.username).toBe('david');
  });

  test('a re-processed image (newer media.ready) is rendered with its new variants', async () => {
    const post = await h.post(alice, 'reprocessed');
    const mediaId = (post.media as Array<{ id: string }>)[0]!.id;
    await h.publishMediaReady(mediaReadyData(mediaId, alice.id, 2, { width: 800, height: 1000 }));
    await eventually(async () => {
      const res = await h.http.get(`/api/v1/posts/${post.id}`);
      expect(res.body.post.media[0]).toMatchObject({ id: mediaId, width: 800, height: 1000, alt: 'image 0' });
    });
  });
});
