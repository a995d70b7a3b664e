import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alice } from './support/fixtures';
import { FakeApi, installNetwork } from './support/network';
import { renderApp } from './support/render';

let api: FakeApi;
beforeEach(() => {
  api = installNetwork();
  api.on('GET', '/api/v1/timeline', { body: { items: [], nextCursor: null } });
  api.on('GET', '/api/v1/timeline/notifications', { body: { items: [], nextCursor: null, unread: 0 } });
});

describe('sign up', () => {
  it('checks every field before sending anything and ties each message to its input', async () => {
    const user = userEvent.setup();
    renderApp('/signup', null);

    await user.click(await screen.findByRole('button', { name: 'Sign up' }));

    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('Enter your email address.');
    expect(screen.getByLabelText('Email')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Username')).toHaveAccessibleDescription(/Choose a username\./);
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/Choose a password\./);
    expect(api.callsTo('POST', '/api/v1/users/signup')).toHaveLength(0);
    await waitFor(() => expect(screen.getByLabelText('Email')).toHaveFocus());
  });

  it('explains a username with characters the rules do not allow and a short password', async () => {
    const user = userEvent.setup();
    renderApp('/signup', null);

    await user.type(await screen.findByLabelText('Email'), 'alice@example.com');
    await user.type(screen.getByLabelText('Username'), 'al ice!');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    expect(screen.getByLabelText('Username')).toHaveAccessibleDescription(/Use only letters, digits, dots and underscores\./);
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/Use at least 8 characters\./);
    expect(screen.getByLabelText('Email')).not.toHaveAttribute('aria-invalid');
    expect(api.calls.filter((c) => c.path.startsWith('/api/v1/users/signup'))).toHaveLength(0);

    // Fixing a field clears its message as one types.
    await user.clear(screen.getByLabelText('Username'));
    await user.type(screen.getByLabelText('Username'), 'alice');
    expect(screen.getByLabelText('Username')).not.toHaveAttribute('aria-invalid');
  });

  it("shows the API's field errors under their fields and the others in an alert", async () => {
    api.on('POST', '/api/v1/users/signup', {
      status: 409,
      body: { errors: [{ message: 'That username is taken', field: 'username' }, { message: 'Try a different one' }] },
    });
    const user = userEvent.setup();
    renderApp('/signup', null);

    await user.type(await screen.findByLabelText('Email'), 'alice@example.com');
    await user.type(screen.getByLabelText('Username'), 'Alice');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    expect(await screen.findByText('That username is taken')).toBeInTheDocument();
    expect(screen.getByLabelText('Username')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('alert')).toHaveTextContent('Try a different one');
    // Sent once, the username lower-cased as the service stores it, no empty displayName.
    expect(api.callsTo('POST', '/api/v1/users/signup').map((c) => c.body)).toEqual([
      { email: 'alice@example.com', username: 'alice', password: 'correct horse battery' },
    ]);
  });

  it('signs the new user in and opens the feed', async () => {
    api.on('POST', '/api/v1/users/signup', { status: 201, body: { user: alice } });
    const user = userEvent.setup();
    renderApp('/signup', null);

    await user.type(await screen.findByLabelText('Email'), 'alice@example.com');
    await user.type(screen.getByLabelText('Username'), 'alice');
    await user.type(screen.getByLabelText('Display name (optional)'), 'Alice Liddell');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    expect(await screen.findByRole('heading', { name: 'Home' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/$/);
    expect(api.callsTo('POST', '/api/v1/users/signup')[0]?.body).toMatchObject({ displayName: 'Alice Liddell' });
  });
});

describe('sign in', () => {
  it('shows the one message the API gives for a wrong email or password', async () => {
    api.on('POST', '/api/v1/users/signin', { status: 401, body: { errors: [{ message: 'Invalid email or password' }] } });
    const user = userEvent.setup();
    renderApp('/signin', null);

    await user.type(await screen.findByLabelText('Email'), 'alice@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid email or password');
    // A failed sign-in is not a stale session: no refresh is attempted.
    expect(api.callsTo('POST', '/api/v1/users/refresh')).toHaveLength(0);
  });

  it('explains a rate limit even when the answer has no JSON body', async () => {
    api.on('POST', '/api/v1/users/signin', { status: 429 });
    const user = userEvent.setup();
    renderApp('/signin', null);

    await user.type(await screen.findByLabelText('Email'), 'alice@example.com');
    await user.type(screen.getByLabelText('Password'), 'whatever1');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Too many attempts');
  });

  it('requires both fields', async () => {
    const user = userEvent.setup();
    renderApp('/signin', null);
    await user.type(await screen.findByLabelText('Email'), 'not-an-email');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(/valid email address/);
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription('Enter your password.');
    expect(api.callsTo('POST', '/api/v1/users/signin')).toHaveLength(0);
  });

  it('goes back to the page that asked for a sign-in', async () => {
    api.on('POST', '/api/v1/users/signin', { body: { user: alice } });
    api.on('GET', '/api/v1/search', { body: { users: [], posts: [], hashtags: [] } });
    const user = userEvent.setup();
    renderApp('/search?q=cats', null);

    // A signed-out visitor is sent to sign in, remembering where they were going.
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/signin?next=%2Fsearch%3Fq%3Dcats'));
    await user.type(await screen.findByLabelText('Email'), 'alice@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/search?q=cats'));
  });
});
