/**
 * The one route table (infra/routes.json), read by the local gateway; the Ingress is checked
 * against the same file by infra/ops's manifest tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ServiceName = 'auth' | 'posts' | 'media' | 'search' | 'timeline' | 'client';

export interface Route {
  prefix: string;
  service: ServiceName;
}

export const ROUTES_FILE = join(__dirname, '..', 'routes.json');

export function loadRoutes(file = ROUTES_FILE): Route[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { routes: Route[] };
  return parsed.routes;
}

/**
 * The route an ingress would pick: the longest prefix that matches on a path-segment boundary
 * (`/api/users` serves `/api/users` and `/api/users/x`, never `/api/usersx`), as Kubernetes
 * `pathType: Prefix` does.
 */
export function routeFor(routes: Route[], pathname: string): Route | undefined {
  return [...routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .find((r) => r.prefix === '/' || pathname === r.prefix || pathname.startsWith(`${r.prefix}/`));
}
