/**
 * The index is fed only by events: real events published on a real NATS, handled by the real
 * listeners, written to a real MySQL, read back through the HTTP API.
 */
import { TestContext, eventually } from '@lumina/common/testing';
import { Events, ids, postState, startSearch, tableRows, uid, userState, type SearchHarness } from './helpers';

const ctx = new TestContext();
let h: SearchHarness;

beforeAll(async () => {
  h = await startSearch(ctx);
});
afterAll(() => ctx.cleanup());

async function postIds(q: string): Promise<string[]> {
  const res = await h.get(`/api/v1/search/posts?q=${encodeURIComponent(q)}`).expect(200);
  return ids(res.body);
}

async function hashtag(tag: string): Promise<{ tag: string; postCount: number } | undefined> {
  const res = await h.get(`/api/v1/search/hashtags?q=${encodeURIComponent(tag)}`).expect(200);
  return (res.body.items as Array<{ tag: string; postCount: number }>).find((t) => t.tag === tag);
}

describe('a new post', () => {
  it('is findable by a caption word, by its hashtag and by its author shortly after post.created', async () => {
    const author = userState({ id: uid('u'), username: 'marguerite_v', displayName: 'Marguerite Vallon' });
    await h.publish(Events.userCreated, author);
    const post = postState({
      id: uid('p'),
      authorId: author.id,
      caption: 'Lavender fields near Valensole #provence',
      hashtags: ['provence'],
    });
    await h.publish(Events.postCreated, post);

    await eventually(async () => expect(await postIds('lavender')).toEqual([post.id]));
    expect(await postIds('#provence')).toEqual([post.id]);
    expect(await postIds('marguerite_v')).toEqual([post.id]);
    expect(await postIds('Vallon')).toEqual([post.id]);

    const byTag = await h.get('/api/v1/search/hashtags/provence/posts').expect(200);
    expect(ids(byTag.body)).toEqual([post.id]);
    expect(byTag.body.items[0]).toMatchObject({
      id: post.id,
      author: { id: author.id, username: 'marguerite_v', displayName: 'Marguerite Vallon', avatar: null },
      caption: post.caption,
      hashtags: ['provence'],
      likeCount: 0,
      commentCount: 0,
      createdAt: post.createdAt,
    });
    expect(byTag.body.items[0].media[0].variants.thumb.url).toBe(`/api/v1/media/m-${post.id}/thumb`);
    expect(await hashtag('provence')).toEqual({ tag: 'provence', postCount: 1 });

    const all = await h.get('/api/v1/search?q=lavender').expect(200);
    expect(ids(all.body.posts)).toEqual([post.id]);
  });

  it('is findable by its alt text', async () => {
    const post = postState({ id: uid('p'), authorId: uid('u'), caption: 'no words here' });
    post.media[0]!.alt = 'A heron standing in shallow water';
    await h.publish(Events.postCreated, post);
    await eventually(async () => expect(await postIds('heron')).toEqual([post.id]));
  });

  it('gets its author when the author is indexed after the post', async () => {
    const authorId = uid('u');
    const post = postState({ id: uid('p'), authorId, caption: 'Orphaned kestrel photo' });
    await h.publish(Events.postCreated, post);
    await eventually(async () => expect(await postIds('kestrel')).toEqual([post.id]));
    expect(await postIds('ottoline')).toEqual([]);

    await h.publish(Events.userCreated, userState({ id: authorId, username: 'ottoline', displayName: 'Ottoline M' }));
    await eventually(async () => expect(await postIds('ottoline')).toEqual([post.id]));
  });
});

describe('an edited post', () => {
  it('replaces the old words and hashtags with the new ones', async () => {
    const post = postState({ id: uid('p'), authorId: uid('u'), caption: 'Sunrise over the glacier #alps', hashtags: ['alps'] });
    await h.publish(Events.postCreated, post);
    await eventually(async () => expect(await postIds('glacier')).toEqual([post.id]));

    await h.publish(Events.postUpdated, { ...post, caption: 'Sunset over the fjord #norway', hashtags: ['norway'], version: 2 });
    await eventually(async () => expect(await postIds('fjord')).toEqual([post.id]));
    expect(await postIds('glacier')).toEqual([]);
    expect(await postIds('alps')).toEqual([]);
    expect(await hashtag('alps')).toBeUndefined();
    expect(await hashtag('norway')).toEqual({ tag: 'norway', postCount: 1 });
    const byOldTag = await h.get('/api/v1/search/hashtags/alps/posts').expect(200);
    expect(byOldTag.body).toEqual({ items: [], nextCursor: null });
  });
});

describe('a deleted post', () => {
  it('is gone from every route and from its hashtags’ counts', async () => {
    const post = postState({ id: uid('p'), authorId: uid('u'), caption: 'Ephemeral mandala #sandart', hashtags: ['sandart'] });
    await h.publish(Events.postCreated, post);
    await eventually(async () => expect(await postIds('mandala')).toEqual([post.id]));

    await h.publish(Events.postDeleted, { id: post.id, authorId: post.authorId, version: 2 });
    await eventually(async () => expect(await postIds('mandala')).toEqual([]));
    expect(await postIds('sandart')).toEqual([]);
    expect((await h.get('/api/v1/search/hashtags/sandart/posts').expect(200)).body.items).toEqual([]);
    expect(await hashtag('sandart')).toBeUndefined();
    const [row] = await tableRows(h.service, `SELECT deleted, version, caption FROM posts WHERE id = '${post.id}'`);
    expect(row).toMatchObject({ deleted: 1, version: 2, caption: '' }); // a tombstone
  });
});

describe('events out of order or twice', () => {
  it('keeps the newest version when an update arrives before the create', async () => {
    const post = postState({ id: uid('p'), authorId: uid('u'), caption: 'first draft albatross', hashtags: [] });
    await h.publish(Events.postUpdated, { ...post, caption: 'final cormorant', version: 3 });
    await h.publish(Events.postUpdated, { ...post, caption: 'second draft pelican', version: 2 });
    await h.publish(Events.postCreated, post);
    await h.publish(Events.postCreated, post); // a redelivery (a new envelope id, so NATS does not drop it)
    await h.drained();
    expect(await postIds('cormorant')).toEqual([post.id]);
    expect(await postIds('albatross')).toEqual([]);
    expect(await postIds('pelican')).toEqual([]);
  });

  it('never brings back a post whose delete arrived before its create', async () => {
    const post = postState({ id: uid('p'), authorId: uid('u'), caption: 'zombie flamingo #undead', hashtags: ['undead'] });
    await h.publish(Events.postDeleted, { id: post.id, authorId: post.authorId, version: 3 });
    await h.publish(Events.postCreated, post);
    await h.publish(Events.postUpdated, { ...post, version: 2 });
    await h.drained();
    expect(await postIds('flamingo')).toEqual([]);
    expect(await hashtag('undead')).toBeUndefined();
  });

  it('keeps the newest user when user events arrive out of order, and refreshes their posts', async () => {
    const user = userState({ id: uid('u'), username: 'quillon', displayName: 'Quill On' });
    const post = postState({ id: uid('p'), authorId: user.id, caption: 'Marmot portrait' });
    await h.publish(Events.postCreated, post);
    await h.publish(Events.userUpdated, { ...user, username: 'quillon_new', displayName: 'Renamed Person', version: 2 });
    await h.publish(Events.userCreated, user);
    await h.publish(Events.userCreated, user);
    await h.drained();
    const users = await h.get('/api/v1/search/users?q=renamed').expect(200);
    expect(users.body.items).toEqual([{ id: user.id, username: 'quillon_new', displayName: 'Renamed Person', bio: '', avatar: null }]);
    expect(ids((await h.get('/api/v1/search/users?q=quill').expect(200)).body)).toEqual([user.id]); // prefix of the new name
    expect(await postIds('quillon_new')).toEqual([post.id]);
    expect(await postIds('Renamed')).toEqual([post.id]);
    const [row] = await tableRows(h.service, `SELECT author_username FROM posts WHERE id = '${post.id}'`);
    expect(row?.author_username).toBe('quillon_new');
  });

  it('applies likes and comments by engagement version, even before the post arrives', async () => {
    const post = postState({ id: uid('p'), authorId: uid('u'), caption: 'Engaging ibis', likeCount: 0, commentCount: 0 });
    const like = (likeCount: number, version: number) => ({
      postId: post.id,
      postAuthorId: post.authorId,
      userId: uid('u'),
      likeCount,
      version,
    });
    await h.publish(Events.postLiked, like(2, 3));
    await h.publish(Events.postLiked, like(1, 1)); // older: ignored
    await h.publish(Events.commentCreated, {
      id: uid('c'),
      postId: post.id,
      postAuthorId: post.authorId,
      authorId: uid('u'),
      body: 'nice',
      mentions: [],
      commentCount: 1,
      createdAt: new Date().toISOString(),
      version: 2, // older than the like, but the newest comment count
    });
    await h.drained();
    expect(await postIds('ibis')).toEqual([]); // a placeholder is never shown
    await h.publish(Events.postCreated, post);
    await h.drained();
    const res = await h.get('/api/v1/search/posts?q=ibis').expect(200);
    expect(res.body.items[0]).toMatchObject({ id: post.id, likeCount: 2, commentCount: 1 });

    await h.publish(Events.postUnliked, like(1, 4));
    await h.publish(Events.commentDeleted, { id: uid('c'), postId: post.id, commentCount: 0, version: 5 });
    await h.publish(Events.postUpdated, { ...post, caption: 'Engaging ibis again', likeCount: 9, commentCount: 9, version: 2 });
    await h.drained();
    const after = await h.get('/api/v1/search/posts?q=ibis').expect(200);
    expect(after.body.items[0]).toMatchObject({ id: post.id, caption: 'Engaging ibis again', likeCount: 1, commentCount: 0 });
  });
});

describe('a deleted user', () => {
  it('leaves the index with their posts, and stays deleted', async () => {
    const user = userState({ id: uid('u'), username: 'vanishing_vera' });
    await h.publish(Events.userCreated, user);
    const post = postState({ id: uid('p'), authorId: user.id, caption: 'Goodbye wombat #farewell', hashtags: ['farewell'] });
    await h.publish(Events.postCreated, post);
    await eventually(async () => expect(await postIds('wombat')).toEqual([post.id]));

    await h.publish(Events.userDeleted, { id: user.id, version: 2 });
    await h.publish(Events.userUpdated, { ...user, version: 1 });
    await h.drained();
    expect((await h.get('/api/v1/search/users?q=vanishing_vera').expect(200)).body.items).toEqual([]);
    expect(await postIds('wombat')).toEqual([]);
    expect(await hashtag('farewell')).toBeUndefined();
    const suggest = await h.get('/api/v1/search/suggest?q=vanish').expect(200);
    expect(suggest.body.items).toEqual([]);
  });
});

describe('hashtag counts', () => {
  it('are exact when many posts with the same tag are indexed at once', async () => {
    const posts = Array.from({ length: 24 }, (_, i) =>
      postState({ id: uid('p'), authorId: uid('u'), caption: `crowd ${i} #crowded #busy${i % 3}`, hashtags: ['crowded', `busy${i % 3}`] }),
    );
    await Promise.all(posts.map((p) => h.publish(Events.postCreated, p)));
    await h.drained();
    expect(await hashtag('crowded')).toEqual({ tag: 'crowded', postCount: 24 });
    expect(await hashtag('busy1')).toEqual({ tag: 'busy1', postCount: 8 });
    await Promise.all(posts.slice(0, 10).map((p) => h.publish(Events.postDeleted, { id: p.id, authorId: p.authorId, version: 2 })));
    await h.drained();
    expect(await hashtag('crowded')).toEqual({ tag: 'crowded', postCount: 14 });
  });

  it('move with edits and deletions, counting tags equal under the collation once per post', async () => {
    const author = uid('u');
    const both = postState({ id: uid('p'), authorId: author, caption: 'crème #crème #creme', hashtags: ['crème', 'creme'] });
    const plain = postState({ id: uid('p'), authorId: author, caption: 'creme #creme #glaze', hashtags: ['creme', 'glaze'] });
    const upper = postState({ id: uid('p'), authorId: author, caption: 'CRÈME #CRÈME', hashtags: ['CRÈME'] });
    // One hashtag row, spelled as whichever spelling came first.
    const creme = async () => {
      const res = await h.get(`/api/v1/search/hashtags?q=${encodeURIComponent('crème')}`).expect(200);
      const rows = (res.body.items as Array<{ tag: string; postCount: number }>).filter((t) => ['crème', 'creme', 'CRÈME'].includes(t.tag));
      expect(rows.length).toBeLessThanOrEqual(1);
      return rows[0]?.postCount;
    };
    for (const p of [both, plain, upper]) await h.publish(Events.postCreated, p);
    await h.drained();
    expect(await creme()).toBe(3);
    expect(await hashtag('glaze')).toEqual({ tag: 'glaze', postCount: 1 });

    // An edit that keeps one tag and drops another; an edit that changes nothing; a redelivery.
    await h.publish(Events.postUpdated, { ...plain, caption: 'creme #creme', hashtags: ['creme'], version: 2 });
    await h.publish(Events.postUpdated, { ...upper, caption: 'CRÈME again #CRÈME', version: 2 });
    await h.publish(Events.postCreated, both);
    await h.drained();
    expect(await creme()).toBe(3);
    expect(await hashtag('glaze')).toBeUndefined();

    await h.publish(Events.postDeleted, { id: both.id, authorId: author, version: 2 });
    await h.publish(Events.postUpdated, { ...upper, caption: 'no tags now', hashtags: [], version: 3 });
    await h.drained();
    expect(await creme()).toBe(1);
  });
});

describe('ranking', () => {
  it('mixes relevance with engagement and recency', async () => {
    const day = 24 * 3600_000;
    const old = postState({
      id: uid('p'),
      authorId: uid('u'),
      caption: 'quokka selfie',
      createdAt: new Date(Date.now() - 400 * day).toISOString(),
    });
    const fresh = postState({ id: uid('p'), authorId: uid('u'), caption: 'quokka selfie' });
    const popular = postState({ id: uid('p'), authorId: uid('u'), caption: 'quokka selfie', likeCount: 500, commentCount: 80 });
    await Promise.all([old, fresh, popular].map((p) => h.publish(Events.postCreated, p)));
    await h.drained();
    expect(await postIds('quokka')).toEqual([popular.id, fresh.id, old.id]);
  });
});
