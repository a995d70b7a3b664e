/**
 * The one route table (infra/routes.json): the prefixes and the limits of the entry point. The
 * local entry point (NGINX or the Node gateway) is made from it, and so are the Ingress's
 * annotations: `ingressAnnotations` says what infra/k8s/base/ingress.yaml must carry, and a
 * test checks that it does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ServiceName = 'auth' | 'posts' | 'media' | 'search' | 'timeline' | 'client';

export interface Route {
  prefix: string;
  service: ServiceName;
  /**
   * A deprecated unversioned prefix (`/api/users`, DESIGN.md's) routed for one release beside
   * the canonical one: the v1 prefix it stands for (`/api/v1/users`).
   */
  aliasOf?: string;
}

export interface RatePerAddress {
  perSecond: number;
  /** Requests above the rate that are let through at once before answering `rejectStatus`. */
  burst: number;
}

export interface EntryPointLimits {
  /** NGINX size syntax (`21m`): uploads are 20 MB images plus the multipart envelope. */
  maxBodySize: string;
  ratePerAddress: RatePerAddress;
  rejectStatus: number;
  /** Off, for the timeline's Server-Sent Events (`/api/v1/timeline/stream`). */
  proxyBuffering: boolean;
  /** Long, for the same stream: an idle SSE connection must not be cut. */
  proxyReadTimeoutSeconds: number;
  /**
   * When a request goes to the next replica (NGINX `proxy_next_upstream`, without
   * `non_idempotent`) and how many replicas one request may try.
   */
  nextUpstream: { on: string; tries: number };
  /** What the one-machine mode changes (only the rate per address: see routes.json). */
  oneMachine: { ratePerAddress: RatePerAddress };
}

export interface RouteTable {
  routes: Route[];
  limits: EntryPointLimits;
}

export const ROUTES_FILE = join(__dirname, '..', 'routes.json');

export function loadRouteTable(file = ROUTES_FILE): RouteTable {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as RouteTable;
  return { routes: parsed.routes, limits: parsed.limits };
}

export function loadRoutes(file = ROUTES_FILE): Route[] {
  return loadRouteTable(file).routes;
}

/** The limits the one-machine entry point enforces: the Ingress's, with the laptop's rate. */
export function oneMachineLimits(limits: EntryPointLimits): EntryPointLimits {
  return { ...limits, ratePerAddress: limits.oneMachine.ratePerAddress };
}

/** `21m` → bytes, as NGINX reads a size (k, m, g; binary multiples). */
export function sizeInBytes(size: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(size);
  if (!match) throw new Error(`not an NGINX size: ${size}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}

/**
 * The annotations the Ingress carries for these limits, for both NGINX controllers (each ignores
 * the other's). The buffering and timeout ones apply to the whole Ingress, as the local NGINX
 * applies them to every proxied path.
 */
export function ingressAnnotations(limits: EntryPointLimits): Record<string, string> {
  const { perSecond, burst } = limits.ratePerAddress;
  if (burst % perSecond !== 0) throw new Error('ingress-nginx takes the burst as a multiple of the rate');
  return {
    'nginx.ingress.kubernetes.io/proxy-body-size': limits.maxBodySize,
    'nginx.org/client-max-body-size': limits.maxBodySize,
    'nginx.ingress.kubernetes.io/limit-rps': String(perSecond),
    'nginx.ingress.kubernetes.io/limit-burst-multiplier': String(burst / perSecond),
    'nginx.org/limit-req-rate': `${perSecond}r/s`,
    'nginx.org/limit-req-burst': String(burst),
    'nginx.org/limit-req-key': '${binary_remote_addr}',
    'nginx.org/limit-req-zone-size': '10m',
    'nginx.org/limit-req-reject-code': String(limits.rejectStatus),
    'nginx.ingress.kubernetes.io/proxy-buffering': limits.proxyBuffering ? 'on' : 'off',
    'nginx.ingress.kubernetes.io/proxy-read-timeout': String(limits.proxyReadTimeoutSeconds),
    // ingress-nginx's own default is `error timeout` and 3 tries; F5's controller takes no
    // Ingress annotation for it (its templates pass `error timeout` to the next endpoint).
    'nginx.ingress.kubernetes.io/proxy-next-upstream': limits.nextUpstream.on,
    'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': String(limits.nextUpstream.tries),
    'nginx.org/proxy-buffering': String(limits.proxyBuffering),
    'nginx.org/proxy-read-timeout': `${limits.proxyReadTimeoutSeconds}s`,
  };
}

/**
 * The route an ingress would pick: the longest prefix that matches on a path-segment boundary
 * (`/api/v1/users` serves `/api/v1/users` and `/api/v1/users/x`, never `/api/usersx`), as Kubernetes
 * `pathType: Prefix` does.
 */
export function routeFor(routes: Route[], pathname: string): Route | undefined {
  return [...routes]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .find((r) => r.prefix === '/' || pathname === r.prefix || pathname.startsWith(`${r.prefix}/`));
}
