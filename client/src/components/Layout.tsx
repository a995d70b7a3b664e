/**
 * The signed-in frame: a sidebar on desktop, a bottom tab bar on a phone, a skip link, and
 * focus moved to the new screen's content on navigation so keyboard users are not lost.
 */
import { Suspense, useEffect, useRef, type ReactNode } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useUnread } from '../notifications';
import { useViewer, useSession } from '../session';
import { Avatar } from './Avatar';
import { BellIcon, CompassIcon, HomeIcon, LogoutIcon, PlusIcon, SearchIcon, UserIcon } from './icons';
import { Spinner } from './status';

function Badge({ n }: { n: number }) {
  if (n <= 0) return null;
  return (
    <span
      data-testid="unread-badge"
      aria-hidden="true"
      className="absolute -top-1.5 -right-2 min-w-5 rounded-full bg-rose-600 px-1.5 text-center text-[11px] leading-5 font-bold text-white"
    >
      {n > 99 ? '99+' : n}
    </span>
  );
}

function NavItem({
  to,
  label,
  icon,
  badge = 0,
  end = false,
  className = '',
}: {
  to: string;
  label: string;
  icon: ReactNode;
  badge?: number;
  end?: boolean;
  className?: string;
}) {
  const spoken = badge > 0 ? `${label}, ${badge} unread` : label;
  return (
    <NavLink
      to={to}
      end={end}
      aria-label={spoken}
      className={({ isActive }) =>
        `flex flex-1 flex-col items-center gap-0.5 rounded-lg px-2 py-1.5 text-[11px] outline-none focus-visible:ring-2 focus-visible:ring-violet-500 md:flex-none md:flex-row md:gap-4 md:px-3 md:py-2.5 md:text-base ${
          isActive ? 'font-semibold text-violet-700' : 'text-stone-700 hover:bg-stone-100'
        } ${className}`
      }
    >
      <span className="relative">
        {icon}
        <Badge n={badge} />
      </span>
      <span>{label}</span>
    </NavLink>
  );
}

export function Layout() {
  const viewer = useViewer();
  const { signOut } = useSession();
  const { unread } = useUnread();
  const location = useLocation();
  const navigate = useNavigate();
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(location.pathname);

  // Not on the first screen (focus starts at the top of the page there), only on a move.
  useEffect(() => {
    if (shownPath.current === location.pathname) return;
    shownPath.current = location.pathname;
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  return (
    <div className="min-h-dvh bg-stone-50 text-stone-900">
      <a
        href="#main"
        className="sr-only z-50 rounded bg-white px-3 py-2 font-semibold shadow focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>

      <header className="sticky top-0 z-20 flex h-12 items-center justify-between border-b border-stone-200 bg-white/95 px-4 backdrop-blur md:hidden">
        <Link to="/" className="text-xl font-bold tracking-tight text-violet-700">
          Lumina
        </Link>
        <Link to="/explore" className="rounded p-1 text-stone-700" aria-label="Explore">
          <CompassIcon />
        </Link>
      </header>

      <nav
        aria-label="Main"
        className="fixed inset-x-0 bottom-0 z-20 flex border-t border-stone-200 bg-white px-1 pb-[env(safe-area-inset-bottom)] md:inset-y-0 md:right-auto md:w-60 md:flex-col md:gap-1 md:border-t-0 md:border-r md:px-3 md:py-6"
      >
        <Link to="/" className="mb-6 hidden px-3 text-2xl font-bold tracking-tight text-violet-700 md:block">
          Lumina
        </Link>
        <NavItem to="/" end label="Home" icon={<HomeIcon />} />
        <NavItem to="/search" label="Search" icon={<SearchIcon />} />
        <NavItem to="/explore" label="Explore" icon={<CompassIcon />} className="hidden md:flex" />
        <NavItem to="/compose" label="Create" icon={<PlusIcon />} />
        <NavItem to="/notifications" label="Notifications" icon={<BellIcon />} badge={unread} />
        <NavItem to={`/u/${viewer.username}`} label="Profile" icon={<UserIcon />} />
        <div className="mt-auto hidden flex-col gap-1 md:flex">
          <Link to={`/u/${viewer.username}`} className="flex items-center gap-3 rounded-lg px-3 py-2 text-sm hover:bg-stone-100">
            <Avatar user={viewer} size="xs" />
            <span className="truncate">@{viewer.username}</span>
          </Link>
          <button
            type="button"
            onClick={async () => {
              await signOut();
              navigate('/signin');
            }}
            className="flex items-center gap-4 rounded-lg px-3 py-2.5 text-left text-stone-700 outline-none hover:bg-stone-100 focus-visible:ring-2 focus-visible:ring-violet-500"
          >
            <LogoutIcon />
            Sign out
          </button>
        </div>
      </nav>

      <main id="main" ref={main} tabIndex={-1} className="pb-20 outline-none md:pb-8 md:pl-60">
        <div className="mx-auto w-full max-w-2xl md:px-6 md:pt-6">
          <Suspense fallback={<Spinner />}>
            <Outlet />
          </Suspense>
        </div>
      </main>
    </div>
  );
}

/**
 * A screen heading; sets the document title too. `inset` pads it on a phone, for screens whose
 * content runs edge to edge there (feeds, grids); padded screens pass inset={false}.
 */
export function PageTitle({ children, title, inset = true }: { children: ReactNode; title?: string; inset?: boolean }) {
  const text = title ?? (typeof children === 'string' ? children : '');
  useDocumentTitle(text);
  return <h1 className={`pt-4 pb-2 text-xl font-bold md:pt-0 ${inset ? 'px-4 md:px-0' : ''}`}>{children}</h1>;
}

export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Lumina` : 'Lumina';
  }, [title]);
}
