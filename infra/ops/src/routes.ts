/**
 * The one route table (infra/routes.json): path prefix → service. The Ingress is checked
 * against it and the local gateway reads it, so both route the same prefixes the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Route {
  prefix: string;
  service: string;
}

/** infra/routes.json, found from this file in the source tree and in the built one alike. */
export const ROUTES_FILE = join(__dirname, '..', '..', 'routes.json');

/** Reads and checks the table; longest prefixes first, the order a router must try them in. */
export function loadRouteTable(file: string = ROUTES_FILE): Route[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { routes?: unknown };
  if (!Array.isArray(parsed.routes)) throw new Error(`${file}: no "routes" array`);
  const routes = parsed.routes.map((entry, i): Route => {
    const { prefix, service } = (entry ?? {}) as Record<string, unknown>;
    if (typeof prefix !== 'string' || !prefix.startsWith('/')) throw new Error(`${file}: routes[${i}].prefix must be a path`);
    if (typeof service !== 'string' || !/^[a-z][a-z0-9-]*$/.test(service))
      throw new Error(`${file}: routes[${i}].service must be a service name`);
    return { prefix, service };
  });
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.prefix)) throw new Error(`${file}: prefix ${r.prefix} appears twice`);
    seen.add(r.prefix);
  }
  return routes.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The service a path goes to: the longest prefix that matches whole segments. */
export function routeFor(routes: Route[], path: string): string | undefined {
  return routes.find((r) => r.prefix === '/' || path === r.prefix || path.startsWith(`${r.prefix}/`))?.service;
}
