import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Post } from '../src/api/types';
import { paintedImage } from './support/canvas';
import { alice, BLURHASH, bob, makePost } from './support/fixtures';
import { FakeApi, FakeEventSource, FakeIntersectionObserver, installNetwork } from './support/network';
import { renderApp } from './support/render';

let api: FakeApi;
let first: Post[];
let second: Post[];

beforeEach(() => {
  api = installNetwork();
  first = [makePost({ caption: 'Sunrise over the bay' }), makePost({ caption: 'Coffee and rain', likeCount: 3 })];
  second = [makePost({ caption: 'The old lighthouse' })];
  api.on('GET', '/api/v1/timeline', (call) =>
    call.query.get('cursor') === 'page-2'
      ? { body: { items: second, nextCursor: null } }
      : { body: { items: first, nextCursor: 'page-2' } },
  );
  api.on('GET', '/api/v1/timeline/notifications', { body: { items: [], nextCursor: null, unread: 0 } });
});

const captions = () => screen.getAllByTestId('post-card').map((card) => card.querySelector('p.whitespace-pre-line')?.textContent ?? '');

it("renders the timeline's posts with their authors, alt text and like counts", async () => {
  renderApp('/', alice);

  expect(await screen.findByText('Sunrise over the bay')).toBeInTheDocument();
  expect(captions()).toEqual(['bobSunrise over the bay', 'bobCoffee and rain']);
  expect(screen.getByRole('img', { name: `Alt text of ${first[0]!.id}` })).toHaveAttribute('src', `/api/v1/media/m-${first[0]!.id}/feed`);
  const card = screen.getAllByTestId('post-card')[1]!;
  expect(within(card).getByRole('heading', { name: 'Bob' })).toBeInTheDocument();
  expect(within(card).getByTestId('like-count')).toHaveTextContent('3 likes');
  expect(api.callsTo('GET', '/api/v1/timeline')[0]!.query.get('cursor')).toBeNull();
});

it('shows a decoded blurhash while an image loads, and drops it once the image is in', async () => {
  renderApp('/', alice);
  const img = await screen.findByRole('img', { name: `Alt text of ${first[0]!.id}` });
  const card = img.closest('article')!;
  const placeholder = within(card).getByTestId('blurhash');

  expect(placeholder).toHaveAttribute('data-blurhash', BLURHASH);
  expect(placeholder).toHaveAttribute('aria-hidden', 'true');
  const pixels = paintedImage(placeholder);
  expect(pixels?.width).toBe(32);
  // Decoded for real: opaque, and not one flat colour.
  expect(pixels?.data[3]).toBe(255);
  expect(new Set(Array.from(pixels!.data.filter((_, i) => i % 4 === 0))).size).toBeGreaterThan(4);
  expect(img).toHaveClass('opacity-0');

  fireEvent.load(img);

  expect(within(card).queryByTestId('blurhash')).toBeNull();
  expect(img).toHaveClass('opacity-100');
});

it('loads the next cursor page when the end of the list scrolls into reach, and stops at the last', async () => {
  renderApp('/', alice);
  await screen.findByText('Coffee and rain');

  FakeIntersectionObserver.scrollIntoReach();

  expect(await screen.findByText('The old lighthouse')).toBeInTheDocument();
  expect(captions()).toEqual(['bobSunrise over the bay', 'bobCoffee and rain', 'bobThe old lighthouse']);
  expect(api.callsTo('GET', '/api/v1/timeline').map((c) => c.query.get('cursor'))).toEqual([null, 'page-2']);
  expect(screen.getByText("You're all caught up.")).toBeInTheDocument();

  FakeIntersectionObserver.scrollIntoReach();
  expect(api.callsTo('GET', '/api/v1/timeline')).toHaveLength(2);
});

it('offers a "Load more" button for keyboards, and a retry when a page fails', async () => {
  api.on('GET', '/api/v1/timeline', { status: 503, body: { errors: [{ message: 'Timeline is unavailable' }] } }, 1);
  const user = userEvent.setup();
  renderApp('/', alice);

  expect(await screen.findByRole('alert')).toHaveTextContent('Timeline is unavailable');
  await user.click(screen.getByRole('button', { name: 'Try again' }));
  await screen.findByText('Coffee and rain');

  await user.click(screen.getByRole('button', { name: 'Load more' }));
  expect(await screen.findByText('The old lighthouse')).toBeInTheDocument();
});

it('holds posts from the timeline stream behind a "new posts" banner until asked', async () => {
  const user = userEvent.setup();
  renderApp('/', alice);
  await screen.findByText('Coffee and rain');
  const stream = FakeEventSource.instances[0]!;
  expect(stream.url).toBe('/api/v1/timeline/stream');
  stream.emit('open');

  const fresh = makePost({ caption: 'Just landed in Lisbon', author: bob });
  stream.emit('post', { post: fresh });
  stream.emit('post', { post: fresh }); // the same post twice counts once
  stream.emit('post', { post: first[0] }); // already on screen: nothing new

  const banner = await screen.findByRole('button', { name: '1 new post' });
  expect(screen.queryByText('Just landed in Lisbon')).toBeNull();

  const fresher = makePost({ caption: 'Pastéis de nata', author: bob });
  stream.emit('post', { post: fresher });
  expect(banner).toHaveTextContent('2 new posts');

  await user.click(banner);

  expect(captions()).toEqual(['bobPastéis de nata', 'bobJust landed in Lisbon', 'bobSunrise over the bay', 'bobCoffee and rain']);
  expect(screen.queryByRole('button', { name: /new posts?$/ })).toBeNull();
});

it("puts the viewer's own new post straight at the top, without a banner", async () => {
  renderApp('/', alice);
  await screen.findByText('Coffee and rain');

  FakeEventSource.instances[0]!.emit('post', { post: makePost({ caption: 'My own photo', author: alice }) });

  await waitFor(() => expect(captions()[0]).toBe('aliceMy own photo'));
  expect(screen.queryByRole('button', { name: /new post/ })).toBeNull();
});

it('refreshes the session and reopens the stream when the server closes it', async () => {
  api.on('POST', '/api/v1/users/refresh', { body: { user: alice } });
  renderApp('/', alice);
  await screen.findByText('Coffee and rain');
  const stream = FakeEventSource.instances[0]!;

  stream.readyState = FakeEventSource.CLOSED; // as after a 401: the browser gives up
  stream.emit('error');

  await waitFor(() => expect(FakeEventSource.instances).toHaveLength(2), { timeout: 3000 });
  expect(api.callsTo('POST', '/api/v1/users/refresh')).toHaveLength(1);
  FakeEventSource.instances[1]!.emit('post', { post: makePost({ caption: 'After the reconnect' }) });
  expect(await screen.findByRole('button', { name: '1 new post' })).toBeInTheDocument();
});

it('likes a post at once and settles on the count the server answers', async () => {
  api.on('PUT', `/api/v1/posts/${first[1]!.id}/like`, { body: { liked: true, likeCount: 7 } });
  const user = userEvent.setup();
  renderApp('/', alice);
  const card = (await screen.findByText('Coffee and rain')).closest('article')!;

  const like = within(card).getByRole('button', { name: 'Like' });
  expect(like).toHaveAttribute('aria-pressed', 'false');
  await user.click(like);

  expect(like).toHaveAttribute('aria-pressed', 'true');
  await waitFor(() => expect(within(card).getByTestId('like-count')).toHaveTextContent('7 likes'));
});

it('a post opened while its like is on the way shows the like: the read waits for the viewer’s own write', async () => {
  const post = first[1]!;
  let answerLike: () => void = () => undefined;
  let stored = false; // what the server holds: the like once its PUT was answered
  api.on('PUT', `/api/v1/posts/${post.id}/like`, async () => {
    await new Promise<void>((resolve) => (answerLike = resolve));
    stored = true;
    return { body: { liked: true, likeCount: 4 } };
  });
  api.on('GET', `/api/v1/posts/${post.id}`, () => ({
    body: { post: { ...post, likedByViewer: stored, likeCount: stored ? 4 : 3 } },
  }));
  api.on('GET', `/api/v1/posts/${post.id}/comments`, { body: { items: [], nextCursor: null } });
  const user = userEvent.setup();
  renderApp('/', alice);
  const card = (await screen.findByText('Coffee and rain')).closest('article')!;

  await user.click(within(card).getByRole('button', { name: 'Like' }));
  expect(within(card).getByTestId('like-count')).toHaveTextContent('4 likes'); // at once, before the server answered
  await user.click(
    within(card)
      .getAllByRole('link')
      .find((a) => a.getAttribute('href') === `/p/${post.id}`)!,
  );

  // The post is not read while the like is unanswered: a read now would show the post without it.
  await waitFor(() => expect(api.callsTo('PUT', `/api/v1/posts/${post.id}/like`)).toHaveLength(1));
  expect(api.callsTo('GET', `/api/v1/posts/${post.id}`)).toHaveLength(0);
  answerLike();
  const page = (await screen.findByRole('heading', { level: 1, name: /Bob/ })).closest('article')!;
  await waitFor(() => expect(within(page).getByTestId('like-count')).toHaveTextContent('4 likes'));
  expect(within(page).getByRole('button', { name: 'Like' })).toHaveAttribute('aria-pressed', 'true');
  expect(api.callsTo('GET', `/api/v1/posts/${post.id}`)).toHaveLength(1);
});
