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

const sorted = (routes: Array<{ prefix: string; service: string }>) => [...routes].sort((a, b) => a.prefix.localeCompare(b.prefix));

/** The `## Routes` table of DESIGN.md: | `/api/users` | auth | … */
function designRoutes(): Array<{ prefix: string; service: string }> {
  const candidates = [join(REPO, '..', 'shared', 'DESIGN.md'), join(REPO, 'shared', 'DESIGN.md'), join(REPO, 'DESIGN.md')];
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

test('DESIGN.md and infra/routes.json route the same prefixes to the same services', () => {
  const design = designRoutes();
  expect(design.length).toBeGreaterThanOrEqual(6);
  expect(sorted(design)).toEqual(sorted(loadRouteTable()));
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
  expect(routeFor(routes, '/api/users/signin')).toBe('auth');
  expect(routeFor(routes, '/api/users')).toBe('auth');
  expect(routeFor(routes, '/api/media/abc/thumb')).toBe('media');
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
  for (const path of [...paths, '/', '/p/abc', '/api', '/api/unknown']) {
    expect({ path, gateway: gatewayRouteFor(table, path)?.service }).toEqual({ path, gateway: routeFor(ingressRoutes, path) });
  }
});
