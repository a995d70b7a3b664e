/** auth — its route table: sessions, profiles and the follow graph. */
import { authRoutes, type RouteInput } from '@lumina/contract/client';
import { api } from './http';

export type SignUpInput = NonNullable<RouteInput<typeof authRoutes.signUp>['body']>;
type ProfileChanges = NonNullable<RouteInput<typeof authRoutes.updateProfile>['body']>;

export const usersApi = {
  signUp: (input: SignUpInput) => api(authRoutes.signUp, { body: input }).then((r) => r.user),
  signIn: (email: string, password: string) => api(authRoutes.signIn, { body: { email, password } }).then((r) => r.user),
  signOut: () => api(authRoutes.signOut),
  refresh: () => api(authRoutes.refresh).then((r) => r.user),
  currentUser: () => api(authRoutes.currentUser).then((r) => r.currentUser),
  profile: (username: string, signal?: AbortSignal) => api(authRoutes.profile, { params: { username } }, { signal }).then((r) => r.user),
  updateMe: (changes: ProfileChanges) => api(authRoutes.updateProfile, { body: changes }).then((r) => r.user),
  follow: (userId: string) => api(authRoutes.follow, { params: { id: userId } }),
  unfollow: (userId: string) => api(authRoutes.unfollow, { params: { id: userId } }),
  followers: (userId: string, cursor?: string | null, signal?: AbortSignal) =>
    api(authRoutes.followers, { params: { id: userId }, query: { cursor: cursor ?? undefined } }, { signal }),
  following: (userId: string, cursor?: string | null, signal?: AbortSignal) =>
    api(authRoutes.following, { params: { id: userId }, query: { cursor: cursor ?? undefined } }, { signal }),
};
