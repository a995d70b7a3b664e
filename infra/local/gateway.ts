/**
 * The local gateway: one port that routes exactly as the Ingress does, from the same route
 * table. API prefixes are proxied to their service (streaming both ways, so uploads and the
 * timeline's event stream pass through untouched); `/` serves the client's production build
 * with a fallback to index.html for client-side routes.
 */
import { request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { routeFor, type Route, type ServiceName } from './routes';

export interface GatewayOptions {
  routes: Route[];
  /** Base URL of each API service (`http://127.0.0.1:4001`). */
  targets: Partial<Record<ServiceName, string>>;
  /** The client's build (client/dist); a placeholder page is served when it is missing. */
  clientDir: string;
  /** Same as the Ingress's proxy-body-size: a larger request gets 413 here, before any service. */
  maxBodyBytes?: number;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ message }] }));
}

function proxy(req: IncomingMessage, res: ServerResponse, target: string, maxBodyBytes: number): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) {
    sendError(res, 413, 'Request body too large');
    req.resume();
    return;
  }
  const url = new URL(req.url ?? '/', target);
  const headers = { ...req.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  const client = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${client}` : client;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding'];

  const upstream = httpRequest(url, { method: req.method, headers }, (answer) => {
    const out = { ...answer.headers };
    for (const h of HOP_BY_HOP) delete out[h];
    res.writeHead(answer.statusCode ?? 502, out);
    res.flushHeaders();
    answer.pipe(res);
  });
  upstream.on('error', () => sendError(res, 502, 'The service behind this path is not reachable'));
  // A client that goes away (closing an event stream, say) ends the upstream request too.
  res.on('close', () => upstream.destroy());

  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBodyBytes) {
      sendError(res, 413, 'Request body too large');
      upstream.destroy();
      req.unpipe(upstream);
      req.destroy();
    }
  });
  req.pipe(upstream);
}

export function createGateway(options: GatewayOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const maxBodyBytes = options.maxBodyBytes ?? 21 * 1024 * 1024;
  const hasClient = existsSync(join(options.clientDir, 'index.html'));

  app.use((req, res, next) => {
    const route = routeFor(options.routes, req.path);
    if (!route || route.service === 'client') return next();
    const target = options.targets[route.service];
    if (!target) return sendError(res, 502, `No ${route.service} service is configured`);
    proxy(req, res, target, maxBodyBytes);
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
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
