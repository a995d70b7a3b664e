/** A person's page: who they are, how many follow them and whom they follow, their posts. */
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { postsApi } from '../api/posts';
import { usersApi } from '../api/users';
import type { Post, User } from '../api/types';
import { Avatar } from '../components/Avatar';
import { buttonClass } from '../components/forms';
import { useDocumentTitle } from '../components/Layout';
import { PostGrid } from '../components/PostGrid';
import { EmptyState, ErrorState, LoadMore, Spinner } from '../components/status';
import { FollowButton } from '../components/users';
import { count, displayNameOf } from '../lib/format';
import { usePagedList } from '../lib/usePagedList';
import { useResource } from '../lib/useResource';
import { useSession, useViewer } from '../session';

export default function Profile() {
  const { username = '' } = useParams();
  const profile = useResource((signal) => usersApi.profile(username, signal), username);

  if (profile.loading) return <Spinner label="Loading profile" />;
  if (!profile.data) {
    return profile.status === 404 ? (
      <div className="p-4 md:p-0">
        <EmptyState title={`No one is called @${username}`}>Check the spelling, or search for them.</EmptyState>
      </div>
    ) : (
      <ErrorState message={profile.error ?? 'Could not load the profile.'} onRetry={profile.reload} />
    );
  }
  return <ProfileView key={profile.data.id} user={profile.data} />;
}

function ProfileView({ user }: { user: User }) {
  const viewer = useViewer();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const isSelf = viewer.id === user.id;
  const shown = isSelf ? { ...user, ...viewer, followerCount: user.followerCount, followingCount: user.followingCount } : user;
  const [followers, setFollowers] = useState(user.followerCount ?? 0);
  const name = displayNameOf(shown);
  useDocumentTitle(`${name} (@${user.username})`);
  const posts = usePagedList<Post>((cursor, signal) => postsApi.byAuthor(user.id, cursor, signal), user.id);

  return (
    <div>
      <header className="flex flex-col gap-4 px-4 py-5 md:px-0">
        <div className="flex items-center gap-5 md:gap-8">
          <Avatar user={shown} size="lg" labelled />
          <div className="flex min-w-0 flex-1 flex-col gap-3">
            <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
              <div className="min-w-0">
                <h1 className="truncate text-xl font-bold">{name}</h1>
                <p className="text-sm text-stone-500">@{user.username}</p>
              </div>
              {isSelf ? (
                <div className="flex gap-2">
                  <Link to="/settings/profile" className={buttonClass('secondary', 'px-3 py-1.5')}>
                    Edit profile
                  </Link>
                  <button
                    type="button"
                    className={buttonClass('ghost', 'px-3 py-1.5 md:hidden')}
                    onClick={async () => {
                      await signOut();
                      navigate('/signin');
                    }}
                  >
                    Sign out
                  </button>
                </div>
              ) : (
                <FollowButton
                  user={user}
                  following={!!user.isFollowing}
                  onChange={(now) => setFollowers((n) => Math.max(0, n + (now ? 1 : -1)))}
                />
              )}
            </div>
            <ul className="flex gap-5 text-sm" aria-label="Counts">
              <li>
                <Link to={`/u/${user.username}/followers`} className="hover:underline" data-testid="follower-count">
                  <strong>{count(followers)}</strong> {followers === 1 ? 'follower' : 'followers'}
                </Link>
              </li>
              <li>
                <Link to={`/u/${user.username}/following`} className="hover:underline" data-testid="following-count">
                  <strong>{count(user.followingCount)}</strong> following
                </Link>
              </li>
            </ul>
          </div>
        </div>
        {shown.bio && <p className="text-sm whitespace-pre-line">{shown.bio}</p>}
      </header>

      <section aria-label="Posts" className="border-t border-stone-200 pt-1">
        {posts.items.length === 0 && posts.done && !posts.error ? (
          <div className="p-4 md:px-0">
            <EmptyState title="No posts yet">
              {isSelf && (
                <Link to="/compose" className="font-semibold text-violet-700 hover:underline">
                  Share your first photo
                </Link>
              )}
            </EmptyState>
          </div>
        ) : (
          <PostGrid posts={posts.items} label={`Posts by ${name}`} />
        )}
        <LoadMore
          onLoadMore={posts.loadMore}
          loading={posts.loading}
          done={posts.done}
          error={posts.error}
          itemCount={posts.items.length}
        />
      </section>
    </div>
  );
}
