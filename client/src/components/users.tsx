/** A follow / unfollow toggle and a user row for lists (followers, search results). */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { usersApi } from '../api/users';
import type { User, UserSummary } from '../api/types';
import { displayNameOf } from '../lib/format';
import { Avatar } from './Avatar';
import { buttonClass } from './forms';

export function FollowButton({
  user,
  following,
  onChange,
  size = 'md',
}: {
  user: UserSummary;
  following: boolean;
  onChange?: (following: boolean) => void;
  size?: 'sm' | 'md';
}) {
  const [state, setState] = useState(following);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setState(following), [following]);

  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      if (state) await usersApi.unfollow(user.id);
      else await usersApi.follow(user.id);
      setState(!state);
      onChange?.(!state);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Something went wrong');
    } finally {
      setBusy(false);
    }
  };

  return (
    <span className="inline-flex flex-col items-end gap-1">
      <button
        type="button"
        onClick={toggle}
        disabled={busy}
        aria-label={`${state ? 'Unfollow' : 'Follow'} ${user.username}`}
        className={buttonClass(state ? 'secondary' : 'primary', size === 'sm' ? 'px-3 py-1.5 text-xs' : '')}
      >
        {state ? 'Following' : 'Follow'}
      </button>
      {error && (
        <span role="alert" className="text-xs text-rose-700">
          {error}
        </span>
      )}
    </span>
  );
}

export function UserRow({ user, viewerId }: { user: User | UserSummary; viewerId?: string }) {
  const isFollowing = 'isFollowing' in user ? user.isFollowing : undefined;
  return (
    <li className="flex items-center gap-3 py-2.5">
      <Avatar user={user} size="md" />
      <div className="min-w-0 flex-1 leading-tight">
        <Link to={`/u/${user.username}`} className="block truncate font-semibold text-stone-900 hover:underline">
          {displayNameOf(user)}
        </Link>
        <p className="truncate text-sm text-stone-500">@{user.username}</p>
      </div>
      {viewerId && viewerId !== user.id && isFollowing !== undefined && <FollowButton user={user} following={isFollowing} size="sm" />}
    </li>
  );
}
