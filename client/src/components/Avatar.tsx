import type { UserSummary } from '../api/types';
import { displayNameOf } from '../lib/format';

const SIZES = {
  xs: 'h-7 w-7 text-xs',
  sm: 'h-9 w-9 text-sm',
  md: 'h-12 w-12 text-base',
  lg: 'h-20 w-20 text-2xl md:h-28 md:w-28 md:text-4xl',
};

/**
 * A round avatar, or the first letter of the name when there is none. Decorative by default
 * (the name is shown next to it); pass `labelled` where it stands alone.
 */
export function Avatar({ user, size = 'sm', labelled = false }: { user: UserSummary; size?: keyof typeof SIZES; labelled?: boolean }) {
  const name = displayNameOf(user);
  const alt = labelled ? `${name}'s profile photo` : '';
  if (user.avatar?.url) {
    return (
      <img src={user.avatar.url} alt={alt} className={`${SIZES[size]} shrink-0 rounded-full bg-stone-200 object-cover`} loading="lazy" />
    );
  }
  return (
    <span
      role={labelled ? 'img' : undefined}
      aria-label={labelled ? alt : undefined}
      aria-hidden={labelled ? undefined : true}
      className={`${SIZES[size]} inline-flex shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-amber-300 to-rose-400 font-semibold text-white uppercase`}
    >
      {name.charAt(0)}
    </span>
  );
}
