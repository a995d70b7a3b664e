import { Link, useParams } from 'react-router';
import { usersApi } from '../api/users';
import type { User } from '../api/types';
import { PageTitle } from '../components/Layout';
import { EmptyState, ErrorState, LoadMore, Spinner } from '../components/status';
import { UserRow } from '../components/users';
import { usePagedList } from '../lib/usePagedList';
import { useResource } from '../lib/useResource';
import { useViewer } from '../session';

/** Who follows someone, or whom they follow. */
export default function FollowList({ kind }: { kind: 'followers' | 'following' }) {
  const { username = '' } = useParams();
  const profile = useResource((signal) => usersApi.profile(username, signal), username);
  if (profile.loading) return <Spinner />;
  if (!profile.data) return <ErrorState message={profile.error ?? 'Could not load the profile.'} onRetry={profile.reload} />;
  return <Users key={`${kind}:${profile.data.id}`} user={profile.data} kind={kind} />;
}

function Users({ user, kind }: { user: User; kind: 'followers' | 'following' }) {
  const viewer = useViewer();
  const list = usePagedList<User>(
    (cursor, signal) => (kind === 'followers' ? usersApi.followers(user.id, cursor, signal) : usersApi.following(user.id, cursor, signal)),
    `${kind}:${user.id}`,
  );
  const title = kind === 'followers' ? `People following @${user.username}` : `People @${user.username} follows`;
  return (
    <div className="px-4 md:px-0">
      <PageTitle title={title} inset={false}>
        {title}
      </PageTitle>
      <nav aria-label="Follow lists" className="mb-2 flex gap-4 border-b border-stone-200 text-sm">
        <Link
          to={`/u/${user.username}/followers`}
          aria-current={kind === 'followers' ? 'page' : undefined}
          className={`py-2 ${kind === 'followers' ? 'border-b-2 border-stone-900 font-semibold' : 'text-stone-600'}`}
        >
          Followers
        </Link>
        <Link
          to={`/u/${user.username}/following`}
          aria-current={kind === 'following' ? 'page' : undefined}
          className={`py-2 ${kind === 'following' ? 'border-b-2 border-stone-900 font-semibold' : 'text-stone-600'}`}
        >
          Following
        </Link>
      </nav>
      {list.items.length === 0 && list.done && !list.error ? (
        <EmptyState title={kind === 'followers' ? 'No followers yet' : 'Not following anyone yet'} />
      ) : (
        <ul className="divide-y divide-stone-100">
          {list.items.map((u) => (
            <UserRow key={u.id} user={u} viewerId={viewer.id} />
          ))}
        </ul>
      )}
      <LoadMore onLoadMore={list.loadMore} loading={list.loading} done={list.done} error={list.error} itemCount={list.items.length} />
    </div>
  );
}
