/** auth — /api/users: sessions, profiles and the follow graph. */
import { api, query } from './http';
import type { Page, User } from './types';

export interface SignUpInput {
  email: string;
  username: string;
  password: string;
  displayName?: string;
}

export const usersApi = {
  signUp: (input: SignUpInput) => api<{ user: User }>('/api/users/signup', { method: 'POST', body: input }).then((r) => r.user),
  signIn: (email: string, password: string) =>
    api<{ user: User }>('/api/users/signin', { method: 'POST', body: { email, password } }).then((r) => r.user),
  signOut: () => api<void>('/api/users/signout', { method: 'POST' }),
  refresh: () => api<{ user: User }>('/api/users/refresh', { method: 'POST' }).then((r) => r.user),
  currentUser: () => api<{ currentUser: User | null }>('/api/users/currentuser').then((r) => r.currentUser),
  profile: (username: string, signal?: AbortSignal) =>
    api<{ user: User }>(`/api/users/${encodeURIComponent(username)}`, { signal }).then((r) => r.user),
  updateMe: (changes: { displayName?: string; bio?: string; avatarMediaId?: string | null }) =>
    api<{ user: User }>('/api/users/me', { method: 'PATCH', body: changes }).then((r) => r.user),
  follow: (userId: string) => api<void>(`/api/users/${encodeURIComponent(userId)}/follow`, { method: 'PUT' }),
  unfollow: (userId: string) => api<void>(`/api/users/${encodeURIComponent(userId)}/follow`, { method: 'DELETE' }),
  followers: (userId: string, cursor?: string | null, signal?: AbortSignal) =>
    api<Page<User>>(`/api/users/${encodeURIComponent(userId)}/followers${query({ cursor })}`, { signal }),
  following: (userId: string, cursor?: string | null, signal?: AbortSignal) =>
    api<Page<User>>(`/api/users/${encodeURIComponent(userId)}/following${query({ cursor })}`, { signal }),
};
