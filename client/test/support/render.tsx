import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { AppRoutes } from '../../src/App';
import type { User } from '../../src/api/types';
import { SessionProvider } from '../../src/session';

/** Shows the current location so a test can see where the app navigated. */
function WhereAmI() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

/** The real app (routes, guards, layout, lazy screens) at `route`, signed in as `user` or signed out. */
export function renderApp(route: string, user: User | null) {
  return render(
    <MemoryRouter initialEntries={[route]}>
      <SessionProvider initialUser={user}>
        <AppRoutes />
        <WhereAmI />
      </SessionProvider>
    </MemoryRouter>,
  );
}
