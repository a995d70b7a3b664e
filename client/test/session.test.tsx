import { screen, waitFor } from '@testing-library/react';
import { authRoutes, postsRoutes } from '@lumina/contract/client';
import { api as call } from '../src/api/http';
import { alice } from './support/fixtures';
import { FakeApi, installNetwork } from './support/network';
import { renderApp } from './support/render';

let api: FakeApi;
beforeEach(() => {
  api = installNetwork();
  api.on('GET', '/api/v1/timeline/notifications', { body: { items: [], nextCursor: null, unread: 0 } });
});

describe('quiet refresh', () => {
  it('renews an expired access token once for many calls that got 401 together, then retries each', async () => {
    let fresh = false;
    api.on('GET', /^\/api\/v1\/posts\/\w+$/, (c) => (fresh ? { body: { post: { id: c.path.split('/').pop() } } } : { status: 401 }));
    api.on('POST', '/api/v1/users/refresh', async () => {
      await new Promise((r) => setTimeout(r, 20));
      fresh = true;
      return { body: { user: alice } };
    });

    const answers = await Promise.all(['a', 'b', 'c'].map((id) => call(postsRoutes.getPost, { params: { id } })));

    expect(answers.map((a) => a.post.id)).toEqual(['a', 'b', 'c']);
    // One refresh: the refresh token rotates, and presenting a used one would revoke the family.
    expect(api.callsTo('POST', '/api/v1/users/refresh')).toHaveLength(1);
    expect(api.callsTo('GET', /^\/api\/v1\/posts\//)).toHaveLength(6);
  });

  it('does not refresh again when another tab renewed the shared cookies meanwhile', async () => {
    let calls = 0;
    api.on('GET', '/api/v1/posts/x', () => (++calls === 1 ? { status: 401 } : { body: { post: { id: 'x' } } }));
    // The other tab's refresh left a valid session in the shared cookies.
    api.on('GET', '/api/v1/users/currentuser', { body: { currentUser: alice } });

    await expect(call(postsRoutes.getPost, { params: { id: 'x' } })).resolves.toEqual({ post: { id: 'x' } });
    expect(api.callsTo('POST', '/api/v1/users/refresh')).toHaveLength(0);
  });

  it('sends the person to sign in when the refresh is refused too', async () => {
    api.on('GET', '/api/v1/timeline', { status: 401, body: { errors: [{ message: 'Not signed in' }] } });
    api.on('POST', '/api/v1/users/refresh', { status: 401, body: { errors: [{ message: 'Refresh token reused' }] } });
    renderApp('/', alice);

    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/v1/users/refresh').length).toBeGreaterThanOrEqual(1);
  });

  it('starts a session from the refresh cookie when the access token is gone on load', async () => {
    let refreshed = false;
    api.on('GET', '/api/v1/users/currentuser', () => ({ body: { currentUser: refreshed ? alice : null } }));
    api.on('POST', '/api/v1/users/refresh', () => {
      refreshed = true;
      return { body: { user: alice } };
    });
    api.on('GET', '/api/v1/timeline', { body: { items: [], nextCursor: null } });
    renderApp('/', undefined as never);

    expect(await screen.findByRole('heading', { name: 'Home' })).toBeInTheDocument();
    expect(await screen.findByText('Your feed is empty')).toBeInTheDocument();
  });

  it('does not retry a sign-in that got 401', async () => {
    api.on('POST', '/api/v1/users/signin', { status: 401, body: { errors: [{ message: 'Invalid email or password' }] } });
    await expect(call(authRoutes.signIn, { body: { email: 'alice@example.com', password: 'wrong' } })).rejects.toThrow(
      'Invalid email or password',
    );
    await waitFor(() => expect(api.callsTo('POST', '/api/v1/users/refresh')).toHaveLength(0));
  });
});
