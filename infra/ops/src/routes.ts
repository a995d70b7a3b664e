/**
 * The one route table (infra/routes.json): path prefix → service. The Ingress is checked
 * against it and the local gateway reads it, so both route the same prefixes the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Route {
  prefix: string;
  service: string;
  /** A deprecated unversioned prefix (`/api/users`): the v1 prefix it stands for (`/api/v1/users`). */
  aliasOf?: string;
}

/** infra/routes.json, found from this file in the source tree and in the built one alike. */
export const ROUTES_FILE = join(__dirname, '..', '..', 'routes.json');

/** Reads and checks the table; longest prefixes first, the order a router must try them in. */
export function loadRouteTable(file: string = ROUTES_FILE): Route[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { routes?: unknown };
  if (!Array.isArray(parsed.routes)) throw new Error(`${file}: no "routes" array`);
  const routes = parsed.routes.map((entry, i): Route => {
    const { prefix, service, aliasOf } = (entry ?? {}) as Record<string, unknown>;
    if (typeof prefix !== 'string' || !prefix.startsWith('/')) throw new Error(`${file}: routes[${i}].prefix must be a path`);
    if (typeof service !== 'string' || !/^[a-z][a-z0-9-]*$/.test(service))
      throw new Error(`${file}: routes[${i}].service must be a service name`);
    if (aliasOf !== undefined && typeof aliasOf !== 'string') throw new Error(`${file}: routes[${i}].aliasOf must be a prefix`);
    return aliasOf === undefined ? { prefix, service } : { prefix, service, aliasOf };
  });
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.prefix)) throw new Error(`${file}: prefix ${r.prefix} appears twice`);
    seen.add(r.prefix);
  }
  for (const r of routes) {
    if (r.aliasOf !== undefined && !routes.some((other) => other.prefix === r.aliasOf && other.service === r.service && !other.aliasOf))
      throw new Error(`${file}: ${r.prefix} is an alias of ${r.aliasOf}, which is not a route of ${r.service}`);
  }
  return routes.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The service a path goes to: the longest prefix that matches whole segments. */
export function routeFor(routes: Route[], path: string): string | undefined {
  return routes.find((r) => r.prefix === '/' || path === r.prefix || path.startsWith(`${r.prefix}/`))?.service;
}
