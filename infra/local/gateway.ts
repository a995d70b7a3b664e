/**
 * The Node gateway: the one-machine entry point where NGINX is not installed (infra/local/nginx.ts
 * is the usual one). One port that routes exactly as the Ingress does, from the same route table
 * and with the same limits, and the same tests as NGINX keep it so. API prefixes are proxied to
 * their service (streaming both ways, so uploads and the timeline's event stream pass through
 * untouched); `/` serves the client's production build with a fallback to index.html for
 * client-side routes.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { routeFor, sizeInBytes, type EntryPointLimits, type RatePerAddress, type Route, type ServiceName } from './routes';
import { ReplicaSet, forwardToReplica, readBody, type ReplicaTargets } from './upstreams';

export interface GatewayOptions {
  routes: Route[];
  /** Base URL of each API service (`http://127.0.0.1:4001`), or of each of its replicas. */
  targets: ReplicaTargets;
  /**
   * Which replicas take requests: the launcher's, so a replica it marks out before a restart gets
   * none (`upstreams.ts`). Default: every target, always in.
   */
  replicas?: ReplicaSet;
  /** How long a request waits when no replica of its service is in (`upstreams.ts`). */
  holdMs?: number;
  /** Called when a request starts waiting for a replica of its service (tests wait for this fact). */
  onHold?: (service: ServiceName) => void;
  /** The client's build (client/dist); a placeholder page is served when it is missing. */
  clientDir: string;
  /** The route table's limits: body size, rate per address (as NGINX's limit_req, nodelay). */
  limits: EntryPointLimits;
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ message }] }));
}

/**
 * NGINX's limit_req with `nodelay`: each address may run `burst` requests ahead of the rate;
 * beyond that it is refused until the excess drains at `perSecond`.
 */
class PerAddressRate {
  private readonly excess = new Map<string, { excess: number; at: number }>();

  constructor(private readonly rate: RatePerAddress) {}

  allow(address: string, now = Date.now()): boolean {
    const last = this.excess.get(address);
    const excess = last ? Math.max(0, last.excess - ((now - last.at) * this.rate.perSecond) / 1000) + 1 : 0;
    if (excess > this.rate.burst) return false;
    this.excess.set(address, { excess, at: now });
    if (this.excess.size > 10_000) this.forgetDrained(now);
    return true;
  }

  private forgetDrained(now: number): void {
    for (const [address, last] of this.excess) {
      if (last.excess - ((now - last.at) * this.rate.perSecond) / 1000 <= 0) this.excess.delete(address);
    }
  }
}

/**
 * The request target as a path and query: an absolute-form target (`GET http://elsewhere:9999/api/v1/users`)
 * keeps only those, so routing and the upstream never depend on a host the client names.
 */
function pathOf(requestTarget: string): { pathname: string; search: string } | undefined {
  if (requestTarget.startsWith('/')) {
    // Origin-form, kept as sent (`//host/x` is a path here, not a host).
    const query = requestTarget.indexOf('?');
    return query < 0
      ? { pathname: requestTarget, search: '' }
      : { pathname: requestTarget.slice(0, query), search: requestTarget.slice(query) };
  }
  try {
    const { pathname, search } = new URL(requestTarget);
    return { pathname, search };
  } catch {
    return undefined;
  }
}

/** What a service gets in place of the client's forwarding headers: this is the edge. */
function forwardedHeaders(req: IncomingMessage): IncomingHttpHeaders {
  const headers = { ...req.headers };
  // A client's own X-Forwarded-For is replaced by its address (as NGINX is configured to), so
  // with TRUST_PROXY_HOPS=1 the services' per-address limits see the client.
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  return headers;
}

export function createGateway(options: GatewayOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const maxBodyBytes = sizeInBytes(options.limits.maxBodySize);
  const rate = new PerAddressRate(options.limits.ratePerAddress);
  const hasClient = existsSync(join(options.clientDir, 'index.html'));
  const replicas = options.replicas ?? new ReplicaSet(options.targets);

  app.use((req, res, next) => {
    if (!rate.allow(req.socket.remoteAddress ?? '')) return sendError(res, options.limits.rejectStatus, 'Too many requests');
    const path = pathOf(req.url);
    if (!path) return sendError(res, 400, 'Bad request target');
    const { pathname, search } = path;
    const route = routeFor(options.routes, pathname);
    if (!route || route.service === 'client') return next();
    if (replicas.all(route.service).length === 0) return sendError(res, 502, `No ${route.service} service is configured`);
    // Only the route table's targets, whatever host the request target names.
    void readBody(req, res, maxBodyBytes).then((body) => {
      if (!body) return;
      return forwardToReplica(
        replicas,
        req.method,
        {
          service: route.service,
          path: `${pathname}${search}`,
          headers: forwardedHeaders(req),
          body,
          holdMs: options.holdMs,
          onHold: options.onHold && (() => options.onHold?.(route.service)),
        },
        res,
      );
    });
  });

  if (hasClient) {
    // Hashed assets can be cached forever; index.html must always be revalidated.
    app.use(
      express.static(options.clientDir, {
        index: false,
        setHeaders: (res, path) => {
          res.setHeader('Cache-Control', path.includes(`${join('assets', '')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      }),
    );
  }
  app.use((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 404, 'Not found');
    if (!hasClient) {
      res.status(200).type('text/plain').send('Lumina is running. The web client is not built: run `npm run build -w client`.\n');
      return;
    }
    const index = join(options.clientDir, 'index.html');
    if (!statSync(index, { throwIfNoEntry: false })) return sendError(res, 404, 'Not found');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return app;
}

export function listen(app: express.Express, port: number, host = '127.0.0.1'): Promise<Server> {
  // Not app.listen: Express 5 calls its callback on an error too (a port in use would "listen").
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
