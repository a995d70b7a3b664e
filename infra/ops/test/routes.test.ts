// One route table: infra/routes.json, the Ingress of every overlay, the local gateway
// (infra/local) and DESIGN.md's route table send the same prefixes to the same services.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRoutes as gatewayRoutes, routeFor as gatewayRouteFor } from '@lumina/local/routes';
import { loadRouteTable, routeFor, ROUTES_FILE } from '../src/routes';
import { OVERLAYS, REPO, ofKind, renderAll, type K8sObject, type Loose, type Overlay } from './support/render';

let rendered: Record<Overlay, K8sObject[]>;
let cleanup: () => void;
beforeAll(() => ({ rendered, cleanup } = renderAll()));
afterAll(() => cleanup?.());

const sorted = (routes: Array<{ prefix: string; service: string }>) =>
  routes.map(({ prefix, service }) => ({ prefix, service })).sort((a, b) => a.prefix.localeCompare(b.prefix));

/** The `## Routes` table of DESIGN.md: | `/api/users` | auth | … (unversioned) */
function designRoutes(): Array<{ prefix: string; service: string }> {
  // shared/ beside the repository, or beside the worktrees folder of a worktree (as infra/local's test looks).
  const candidates = [
    join(REPO, '..', 'shared', 'DESIGN.md'),
    join(REPO, '..', '..', 'shared', 'DESIGN.md'),
    join(REPO, 'shared', 'DESIGN.md'),
    join(REPO, 'DESIGN.md'),
  ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new Error(`DESIGN.md not found (looked in ${candidates.join(', ')})`);
  const text = readFileSync(file, 'utf8');
  const section = text.slice(text.indexOf('## Routes'), text.indexOf('\n## ', text.indexOf('## Routes') + 1));
  return [...section.matchAll(/^\|\s*`(\/[^`]*)`\s*\|\s*([a-z-]+)\s*\|$/gm)].map((m) => ({ prefix: m[1]!, service: m[2]! }));
}

test('infra/routes.json is read and checked by loadRouteTable', () => {
  expect(ROUTES_FILE).toBe(join(REPO, 'infra', 'routes.json'));
  const routes = loadRouteTable();
  expect(routes.map((r) => r.prefix)).toContain('/');
  expect(routes.at(-1)?.prefix).toBe('/'); // longest first, the catch-all last
});

test('DESIGN.md and infra/routes.json route the same prefixes to the same services, each API prefix also under /api/v1', () => {
  const design = designRoutes();
  expect(design.length).toBeGreaterThanOrEqual(6);
  const table = loadRouteTable();
  // DESIGN.md's routes are unversioned: they are the table's deprecated aliases (and `/`)…
  expect(sorted(table.filter((r) => r.aliasOf || r.prefix === '/'))).toEqual(sorted(design));
  // …and each API one is the alias of its /api/v1 prefix, to the same service; nothing else is routed.
  const versioned = design
    .filter((r) => r.prefix !== '/')
    .map((r) => ({ prefix: r.prefix.replace(/^\/api\//, '/api/v1/'), service: r.service }));
  expect(sorted(table.filter((r) => !r.aliasOf && r.prefix !== '/'))).toEqual(sorted(versioned));
  for (const alias of table.filter((r) => r.aliasOf)) expect(alias.aliasOf).toBe(alias.prefix.replace(/^\/api\//, '/api/v1/'));
});

test.each(OVERLAYS)('the Ingress of %s routes exactly the route table', (overlay) => {
  const [ingress] = ofKind(rendered[overlay], 'Ingress');
  const paths = ingress!.spec.rules.flatMap((r: Loose) => r.http.paths);
  for (const p of paths) expect(p.pathType).toBe('Prefix');
  const fromIngress = paths.map((p: Loose) => ({ prefix: p.path, service: p.backend.service.name }));
  expect(sorted(fromIngress)).toEqual(sorted(loadRouteTable()));
});

test('a path goes to the service of its longest matching prefix, on segment boundaries', () => {
  const routes = loadRouteTable();
  expect(routeFor(routes, '/api/v1/users/signin')).toBe('auth');
  expect(routeFor(routes, '/api/v1/users')).toBe('auth');
  expect(routeFor(routes, '/api/v1/media/abc/thumb')).toBe('media');
  expect(routeFor(routes, '/api/users/signin')).toBe('auth'); // the deprecated alias
  expect(routeFor(routes, '/api/media/abc/thumb')).toBe('media');
  expect(routeFor(routes, '/api/v1')).toBe('client');
  expect(routeFor(routes, '/api/v1/usersx')).toBe('client');
  expect(routeFor(routes, '/api/usersettings')).toBe('client');
  expect(routeFor(routes, '/')).toBe('client');
});

test('the local gateway sends every path where the Ingress does', () => {
  const [ingress] = ofKind(rendered.base, 'Ingress');
  const ingressRoutes = ingress!.spec.rules[0].http.paths.map((p: Loose) => ({ prefix: p.path, service: p.backend.service.name }));
  const table = gatewayRoutes();
  expect(sorted(table)).toEqual(sorted(ingressRoutes));
  // Each prefix itself, below it, and a longer word that must not match it.
  const paths = ingressRoutes.flatMap((r: { prefix: string }) => [r.prefix, `${r.prefix}/x/y`, `${r.prefix}x`]);
  for (const path of [...paths, '/', '/p/abc', '/api', '/api/unknown', '/api/v1', '/api/v1/unknown', '/api/v2/users']) {
    expect({ path, gateway: gatewayRouteFor(table, path)?.service }).toEqual({ path, gateway: routeFor(ingressRoutes, path) });
  }
});
