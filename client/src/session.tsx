/**
 * Who is signed in. On load it asks auth for the current user and, when the access token has
 * expired but the refresh cookie is still good, renews it quietly instead of showing sign-in.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { onSessionLost, refreshSession } from './api/http';
import { usersApi } from './api/users';
import type { User } from './api/types';

export interface SessionState {
  /** undefined while the first check is still running. */
  user: User | null | undefined;
  setUser: (user: User | null) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

async function loadCurrentUser(): Promise<User | null> {
  const user = await usersApi.currentUser().catch(() => null);
  if (user) return user;
  // No valid access token: a refresh cookie may still start a new one without a sign-in.
  if (!(await refreshSession())) return null;
  return usersApi.currentUser().catch(() => null);
}

export function SessionProvider({ children, initialUser }: { children: ReactNode; initialUser?: User | null }) {
  const [user, setUser] = useState<User | null | undefined>(initialUser);

  useEffect(() => {
    if (initialUser !== undefined) return;
    let live = true;
    void loadCurrentUser().then((u) => {
      if (live) setUser(u);
    });
    return () => {
      live = false;
    };
  }, [initialUser]);

  useEffect(() => onSessionLost(() => setUser(null)), []);

  const signOut = useCallback(async () => {
    await usersApi.signOut().catch(() => undefined);
    setUser(null);
  }, []);

  const value = useMemo(() => ({ user, setUser, signOut }), [user, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionProvider>');
  return session;
}

/** The signed-in user, for screens that are only reachable when signed in. */
export function useViewer(): User {
  const { user } = useSession();
  if (!user) throw new Error('useViewer on a screen reachable while signed out');
  return user;
}
