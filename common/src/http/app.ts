/**
 * Every service's Express app starts the same way: request ids and logs, security headers,
 * cross-site write refusal, no caching by default, body limits, the current user (from the Bearer
 * header or the session cookie, which auth writes), health endpoints and metrics; then the
 * service's own routes; then 404 and the one error handler. Building it does no I/O.
 */
import { randomUUID } from 'node:crypto';
import { aliasHeaders, API_PREFIX, legacyPathOf, openApiDocument, type ServiceContract } from '@lumina/contract';
import cookieSession from 'cookie-session';
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { lifecycle } from '../lifecycle';
import { metrics } from '../metrics';
import { serveApiDocs } from './api-docs';
import { privateByDefault } from './cache-control';
import { currentUser } from './current-user';
import { errorHandler, notFoundHandler } from './error-handler';
import { refuseCrossSiteWrites } from './same-origin';
import type { PublicKeySet } from './tokens';
import { requireJsonObjectBody } from './parse-input';
import { checkResponses, responseChecksEnabled, routeKey } from './response-check';

/** A readiness check throws when its dependency is not reachable. */
export type ReadinessChecks = Record<string, () => Promise<void>>;

/**
 * What the common app takes from a service's start-up (bootService's `http`). A service's AppDeps
 * extends it, and its buildApp spreads them into createHttpApp beside its service, contract and routes.
 */
export interface AppSettings {
  log: Logger;
  publicKeys: PublicKeySet;
  readiness: ReadinessChecks;
  cookieSecure?: boolean;
  /** Express `trust proxy` (TRUST_PROXY_HOPS); default 1. */
  trustProxyHops?: number;
  /** The site's own origins (ALLOWED_ORIGINS), for refusing cross-site writes; empty: the request's own host. */
  allowedOrigins?: readonly string[];
}

export interface HttpAppOptions extends AppSettings {
  service: string;
  /**
   * Mounted at its prefix (`/api/v1/posts`), the path the ingress forwards unchanged. A prefix
   * under /api/v1 is also mounted at its deprecated unversioned alias (`/api/posts`), whose
   * answers carry `Deprecation` and a `successor-version` Link (`aliasOf`).
   */
  routes: Array<{ prefix: string; router: Router }>;
  /** The service sets and clears the session cookie (`req.session`, cookie-session): auth. */
  writesSession?: boolean;
  /** Largest JSON body accepted; larger is 413. */
  jsonLimit?: string;
  /**
   * The service's routes as @lumina/contract declares them: served as OpenAPI at /openapi.json and
   * Swagger UI at /docs (also under the contract's prefix); every mounted route must be in it.
   */
  contract?: ServiceContract;
  /** Check every JSON answer against the contract; default: LUMINA_CHECK_RESPONSES=1 (the test kit's). */
  checkResponses?: boolean;
}

/** `GET /api/posts/:id`, one per method and path the routers mount, in mounting order. */
export function mountedRoutes(routes: HttpAppOptions['routes']): string[] {
  const keys: string[] = [];
  for (const { prefix, router } of routes) {
    for (const layer of router.stack) {
      const route = layer.route as { path: unknown; methods: Record<string, boolean> } | undefined;
      // A router nested with router.use() hides its path; mount it in `routes` with its own prefix instead.
      if (!route) {
        if ((layer.handle as { stack?: unknown }).stack)
          throw new Error(`a nested router under ${prefix}: mount it in routes with its own prefix`);
        continue;
      }
      if (typeof route.path !== 'string') throw new Error(`a route under ${prefix} has a path that is not a string`);
      for (const [method, on] of Object.entries(route.methods))
        if (on && method !== '_all') keys.push(routeKey(method, `${prefix}${route.path}`));
    }
  }
  return keys;
}

const documents = new WeakMap<ServiceContract, ReturnType<typeof openApiDocument>>();

/** Generated once per contract: tests build many apps. */
function documentOf(contract: ServiceContract): ReturnType<typeof openApiDocument> {
  let document = documents.get(contract);
  if (!document) documents.set(contract, (document = openApiDocument(contract)));
  return document;
}

/**
 * The session cookie's name. Behind TLS it carries the `__Host-` prefix: the browser then only
 * accepts it Secure, from this host, with Path=/ and no Domain, so a sibling subdomain cannot
 * plant or overwrite it.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-session' : 'session';
}

/**
 * The unversioned alias of a v1 prefix (`/api/v1/posts` → `/api/posts`), kept for one release;
 * undefined for a prefix that is not under /api/v1 (it has no alias).
 */
export function aliasOf(prefix: string): string | undefined {
  return prefix.startsWith(`${API_PREFIX}/`) ? legacyPathOf(prefix) : undefined;
}

/**
 * Marks an answer under an alias as deprecated (RFC 9745 `Deprecation`, and the same path and
 * query under /api/v1 as its `successor-version`), and keeps the v1 prefix for whatever names the
 * route (the metrics' label, the contract check), so an alias is the same route as its v1 path.
 */
function deprecatedAlias(canonicalPrefix: string): express.RequestHandler {
  return (req, res, next) => {
    res.set(aliasHeaders(req.originalUrl));
    res.locals.canonicalBaseUrl = canonicalPrefix;
    next();
  };
}

/** The prefix of the matched route as the contract names it: the v1 one for an alias's request. */
export function canonicalBaseUrl(req: express.Request, res: express.Response): string {
  const canonical: unknown = res.locals.canonicalBaseUrl;
  return typeof canonical === 'string' ? canonical : req.baseUrl;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  const m = metrics();
  app.disable('x-powered-by');
  // Answers are private and no-store by default (cache-control.ts): a validator nobody keeps is
  // a hash of every body for nothing. What is cacheable (media's variants) sets its own ETag.
  app.set('etag', false);
  app.set('trust proxy', options.trustProxyHops ?? 1);
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (lifecycle.shuttingDown) {
      res.status(503).json({ status: 'shutting down' });
      return;
    }
    const results = await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), 2000)))]);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, (err as Error).message] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', m.registry.contentType).send(await m.registry.metrics());
  });

  app.use(
    pinoHttp({
      logger: options.log,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      // Our serializers read the raw request and response: pino-std-serializers' wrapping first
      // copies every field of each (its query getter parses the query string) on every request,
      // logged or not.
      wrapSerializers: false,
      serializers: {
        req: (req: { id: string; method: string; url: string; originalUrl?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.originalUrl ?? req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use((req, res, next) => {
    const end = m.httpRequestDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      // The route template, not the URL: ids in paths would explode the label set.
      const route = req.route?.path ? `${canonicalBaseUrl(req, res)}${String(req.route.path)}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } }));
  app.use(refuseCrossSiteWrites(options.allowedOrigins));
  app.use(privateByDefault);
  app.use(express.json({ limit: options.jsonLimit ?? '100kb', strict: true }));
  app.use(requireJsonObjectBody);
  const sessionCookie = sessionCookieName(options.cookieSecure ?? false);
  // Only a service that signs people in and out needs cookie-session's `req.session`; every
  // service reads the cookie in currentUser (see sessionTokenFrom for what it cost to mount it everywhere).
  if (options.writesSession)
    app.use(
      cookieSession({
        name: sessionCookie,
        // The JWT inside is signed; the cookie itself needs no second signature.
        signed: false,
        httpOnly: true,
        sameSite: 'lax',
        secure: options.cookieSecure ?? false,
        path: '/',
      }),
    );
  app.use(currentUser(options.publicKeys, sessionCookie));

  if (options.contract) {
    const { contract } = options;
    const declared = new Set(Object.values(contract.routes).map((r) => routeKey(r.method, r.path)));
    const undeclared = mountedRoutes(options.routes).filter((key) => !declared.has(key));
    if (undeclared.length > 0) throw new Error(`${options.service} mounts routes its contract does not declare: ${undeclared.join(', ')}`);
    app.locals.mountedRoutes = mountedRoutes(options.routes);
    const legacy = aliasOf(contract.prefix);
    serveApiDocs(app, documentOf(contract), contract.prefix);
    if (legacy) serveApiDocs(app, documentOf(contract), legacy, deprecatedAlias(contract.prefix));
    if (options.checkResponses ?? responseChecksEnabled()) app.use(checkResponses(contract, options.log));
  }

  for (const { prefix, router } of options.routes) app.use(prefix, router);
  // The unversioned paths of before /api/v1, for one release: the same routers, each answer marked.
  for (const { prefix, router } of options.routes) {
    const legacy = aliasOf(prefix);
    if (legacy) app.use(legacy, deprecatedAlias(prefix), router);
  }

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
