/** The routes. Every screen is its own chunk, loaded when first visited. */
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { Layout } from './components/Layout';
import { Spinner } from './components/status';
import { UnreadProvider } from './notifications';
import { SessionProvider, useSession } from './session';

const SignIn = lazy(() => import('./pages/SignIn'));
const SignUp = lazy(() => import('./pages/SignUp'));
const Home = lazy(() => import('./pages/Home'));
const Explore = lazy(() => import('./pages/Explore'));
const Compose = lazy(() => import('./pages/Compose'));
const PostPage = lazy(() => import('./pages/PostPage'));
const Profile = lazy(() => import('./pages/Profile'));
const FollowList = lazy(() => import('./pages/FollowList'));
const EditProfile = lazy(() => import('./pages/EditProfile'));
const Search = lazy(() => import('./pages/Search'));
const Hashtag = lazy(() => import('./pages/Hashtag'));
const Notifications = lazy(() => import('./pages/Notifications'));
const NotFound = lazy(() => import('./pages/NotFound'));

/** Signed-in screens: wait for the session check, send strangers to sign in and back. */
function RequireSession({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  if (user === undefined) return <Spinner label="Starting Lumina" />;
  if (user === null) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <UnreadProvider>{children}</UnreadProvider>;
}

/** Sign-in screens: a signed-in visitor goes where they were headed. */
function GuestOnly({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const location = useLocation();
  if (user === undefined) return <Spinner label="Starting Lumina" />;
  if (user) {
    const next = new URLSearchParams(location.search).get('next');
    return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Spinner />}>
      <Routes>
        <Route
          path="/signin"
          element={
            <GuestOnly>
              <SignIn />
            </GuestOnly>
          }
        />
        <Route
          path="/signup"
          element={
            <GuestOnly>
              <SignUp />
            </GuestOnly>
          }
        />
        <Route
          element={
            <RequireSession>
              <Layout />
            </RequireSession>
          }
        >
          <Route index element={<Home />} />
          <Route path="explore" element={<Explore />} />
          <Route path="compose" element={<Compose />} />
          <Route path="p/:id" element={<PostPage />} />
          <Route path="u/:username" element={<Profile />} />
          <Route path="u/:username/followers" element={<FollowList kind="followers" />} />
          <Route path="u/:username/following" element={<FollowList kind="following" />} />
          <Route path="settings/profile" element={<EditProfile />} />
          <Route path="search" element={<Search />} />
          <Route path="tags/:tag" element={<Hashtag />} />
          <Route path="notifications" element={<Notifications />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <AppRoutes />
      </SessionProvider>
    </BrowserRouter>
  );
}
