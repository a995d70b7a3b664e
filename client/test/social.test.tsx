import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alice, bob, makePost } from './support/fixtures';
import { FakeApi, installNetwork } from './support/network';
import { renderApp } from './support/render';

let api: FakeApi;
beforeEach(() => {
  api = installNetwork();
  api.on('GET', '/api/v1/timeline/notifications', { body: { items: [], nextCursor: null, unread: 0 } });
});

it('shows the unread count on the notifications link and clears it once they are seen', async () => {
  const post = makePost({ author: alice });
  const items = [
    { id: 'n1', type: 'like', actor: bob, post, createdAt: new Date().toISOString(), read: false },
    { id: 'n2', type: 'follow', actor: bob, createdAt: new Date().toISOString(), read: true },
  ];
  let unread = 1;
  api.on('GET', '/api/v1/timeline/notifications', () => ({ body: { items, nextCursor: null, unread } }));
  api.on('POST', '/api/v1/timeline/notifications/read', () => {
    unread = 0;
    return { status: 204 };
  });
  api.on('GET', '/api/v1/timeline', { body: { items: [], nextCursor: null } });
  const user = userEvent.setup();
  renderApp('/', alice);

  const link = await screen.findByRole('link', { name: 'Notifications, 1 unread' });
  expect(within(link).getByTestId('unread-badge')).toHaveTextContent('1');

  await user.click(link);

  const rows = await screen.findAllByTestId('notification');
  expect(rows[0]).toHaveTextContent('Bob liked your post');
  expect(within(rows[0]!).getByRole('link', { name: 'liked your post' })).toHaveAttribute('href', `/p/${post.id}`);
  expect(rows[1]).toHaveTextContent('Bob started following you');
  await waitFor(() => expect(api.callsTo('POST', '/api/v1/timeline/notifications/read')).toHaveLength(1));
  await waitFor(() => expect(screen.getByRole('link', { name: 'Notifications' })).toBeInTheDocument());
  expect(screen.queryByTestId('unread-badge')).toBeNull();
});

it('shows a profile with its counts and posts, and follows and unfollows', async () => {
  api.on('GET', '/api/v1/users/bob', {
    body: { user: { ...bob, bio: 'Photos of lighthouses', followerCount: 4, followingCount: 2, isFollowing: false } },
  });
  api.on('GET', '/api/v1/posts', {
    body: { items: [makePost({ caption: 'Lighthouse one' }), makePost({ caption: 'Lighthouse two' })], nextCursor: null },
  });
  api.on('PUT', '/api/v1/users/u-bob/follow', { status: 204 });
  api.on('DELETE', '/api/v1/users/u-bob/follow', { status: 204 });
  const user = userEvent.setup();
  renderApp('/u/bob', alice);

  expect(await screen.findByRole('heading', { name: 'Bob' })).toBeInTheDocument();
  expect(screen.getByText('Photos of lighthouses')).toBeInTheDocument();
  expect(screen.getByTestId('follower-count')).toHaveTextContent('4 followers');
  expect(screen.getByTestId('following-count')).toHaveTextContent('2 following');
  await waitFor(() => expect(within(screen.getByRole('list', { name: 'Posts by Bob' })).getAllByRole('link')).toHaveLength(2));
  expect(api.callsTo('GET', '/api/v1/posts')[0]!.query.get('authorId')).toBe('u-bob');

  await user.click(screen.getByRole('button', { name: 'Follow bob' }));
  await waitFor(() => expect(screen.getByTestId('follower-count')).toHaveTextContent('5 followers'));
  expect(screen.getByRole('button', { name: 'Unfollow bob' })).toHaveTextContent('Following');

  await user.click(screen.getByRole('button', { name: 'Unfollow bob' }));
  await waitFor(() => expect(screen.getByTestId('follower-count')).toHaveTextContent('4 followers'));
  expect(api.callsTo('PUT', '/api/v1/users/u-bob/follow')).toHaveLength(1);
  expect(api.callsTo('DELETE', '/api/v1/users/u-bob/follow')).toHaveLength(1);
});

it('suggests people and hashtags as one types, and opens one with the keyboard', async () => {
  api.on('GET', '/api/v1/search/suggest', (c) => ({
    body: {
      items:
        c.query.get('q') === 'li'
          ? [
              { type: 'user', id: 'u-lina', username: 'lina', displayName: 'Lina', avatar: null },
              { type: 'hashtag', tag: 'lighthouse', postCount: 12 },
            ]
          : [],
    },
  }));
  api.on('GET', '/api/v1/search/hashtags/lighthouse/posts', {
    body: { items: [makePost({ caption: 'By the sea #lighthouse' })], nextCursor: null },
  });
  const user = userEvent.setup();
  renderApp('/search', alice);

  const box = await screen.findByRole('combobox', { name: 'Search people and hashtags' });
  await user.type(box, 'li');

  const options = await screen.findAllByRole('option');
  expect(options).toHaveLength(2);
  expect(options[0]).toHaveAccessibleName('Lina @lina');
  expect(options[1]).toHaveAccessibleName('#lighthouse · 12 posts');
  expect(box).toHaveAttribute('aria-expanded', 'true');

  await user.keyboard('{ArrowDown}{ArrowDown}');
  expect(box).toHaveAttribute('aria-activedescendant', options[1]!.id);
  expect(options[1]).toHaveAttribute('aria-selected', 'true');
  await user.keyboard('{Enter}');

  await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/tags/lighthouse'));
  expect(await screen.findByRole('heading', { name: '#lighthouse' })).toBeInTheDocument();
  expect(await screen.findByRole('link', { name: 'Post: By the sea #lighthouse' })).toBeInTheDocument();
});

it('edits the profile and shows the API field errors', async () => {
  api.on('PATCH', '/api/v1/users/me', (c) => {
    saved = { ...saved, ...(c.body as object) };
    return { body: { user: saved } };
  });
  api.on(
    'PATCH',
    '/api/v1/users/me',
    { status: 400, body: { errors: [{ message: 'Bio must be at most 160 characters', field: 'bio' }] } },
    1,
  );
  let saved = { ...alice, followerCount: 0, followingCount: 0 };
  api.on('GET', '/api/v1/users/alice', () => ({ body: { user: saved } }));
  api.on('GET', '/api/v1/posts', { body: { items: [], nextCursor: null } });
  const user = userEvent.setup();
  // The session's copy of the user has no bio; the form starts from the stored profile.
  renderApp('/settings/profile', { ...alice, bio: undefined });

  const name = await screen.findByLabelText('Display name');
  expect(screen.getByLabelText('Bio')).toHaveValue('Down the rabbit hole');
  await user.clear(name);
  await user.type(name, 'Alice L.');
  await user.click(screen.getByRole('button', { name: 'Save' }));
  expect(await screen.findByText('Bio must be at most 160 characters')).toBeInTheDocument();
  expect(screen.getByLabelText('Bio')).toHaveAttribute('aria-invalid', 'true');

  await user.click(screen.getByRole('button', { name: 'Save' }));
  await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/u/alice'));
  // Only the changed field is sent.
  expect(api.callsTo('PATCH', '/api/v1/users/me')[1]!.body).toEqual({ displayName: 'Alice L.' });
  expect(await screen.findByRole('heading', { name: 'Alice L.' })).toBeInTheDocument();
});

it('shows a post with its comments, adds one and deletes it', async () => {
  const post = makePost({ id: 'p-talk', author: bob, caption: 'Which lighthouse is this? #quiz', commentCount: 1 });
  api.on('GET', '/api/v1/posts/p-talk', { body: { post } });
  api.on('GET', '/api/v1/posts/p-talk/comments', {
    body: {
      items: [{ id: 'c1', postId: 'p-talk', author: bob, body: 'Hint: it is in @alice town', createdAt: new Date().toISOString() }],
      nextCursor: null,
    },
  });
  api.on('POST', '/api/v1/posts/p-talk/comments', (c) => ({
    status: 201,
    body: {
      comment: { id: 'c2', postId: 'p-talk', author: alice, body: (c.body as { body: string }).body, createdAt: new Date().toISOString() },
    },
  }));
  api.on('DELETE', '/api/v1/posts/p-talk/comments/c2', { status: 204 });
  const user = userEvent.setup();
  renderApp('/p/p-talk', alice);

  const first = await screen.findByText(/Hint: it is in/);
  expect(first).toHaveTextContent('bobHint: it is in @alice town');
  expect(within(first).getByRole('link', { name: '@alice' })).toHaveAttribute('href', '/u/alice');
  expect(screen.getByRole('link', { name: '#quiz' })).toHaveAttribute('href', '/tags/quiz');
  // Only one's own comments (or any, on one's own post) can be deleted.
  expect(screen.queryByRole('button', { name: /Delete comment by bob/ })).toBeNull();

  await user.click(screen.getByRole('button', { name: 'Post comment' }));
  expect(api.callsTo('POST', '/api/v1/posts/p-talk/comments')).toHaveLength(0);
  await user.type(screen.getByLabelText('Add a comment'), '  Hook Head!  ');
  await user.click(screen.getByRole('button', { name: 'Post comment' }));

  expect(await screen.findByText('Hook Head!')).toBeInTheDocument();
  expect(api.callsTo('POST', '/api/v1/posts/p-talk/comments')[0]!.body).toEqual({ body: 'Hook Head!' });
  expect(screen.getByRole('heading', { name: /Comments/ })).toHaveTextContent('Comments (2)');
  expect(screen.getByLabelText('Add a comment')).toHaveValue('');

  await user.click(screen.getByRole('button', { name: 'Delete comment by alice' }));
  await waitFor(() => expect(screen.queryByText('Hook Head!')).toBeNull());
  expect(screen.getByRole('heading', { name: /Comments/ })).toHaveTextContent('Comments (1)');
});
