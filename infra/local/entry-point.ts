/**
 * The one-machine entry point: NGINX (infra/local/nginx.ts) where it is installed, else the
 * Node gateway (infra/local/gateway.ts), both made from the route table and its limits and
 * kept alike by the same tests (infra/local/test/entry-point.test.ts).
 */
import type { Server } from 'node:http';
import { freePort } from '@lumina/common/testing';
import { createGateway, listen } from './gateway';
import { NGINX_INSTALL_HINT, findNginx, startNginx } from './nginx';
import type { EntryPointLimits, Route, ServiceName } from './routes';

export type EntryPointKind = 'nginx' | 'node';

export interface EntryPointOptions {
  /** `auto`: NGINX if installed, else the Node gateway (and `onFallback` says how to install NGINX). */
  kind: EntryPointKind | 'auto';
  routes: Route[];
  limits: EntryPointLimits;
  targets: Partial<Record<ServiceName, string>>;
  clientDir: string;
  /** 0: any free loopback port. */
  port: number;
  /** Where NGINX's error log is kept when it stops. */
  logFile?: string;
  onFallback?: (message: string) => void;
}

export interface EntryPoint {
  kind: EntryPointKind;
  url: string;
  stop(): Promise<void>;
}

async function startNodeGateway(options: EntryPointOptions): Promise<EntryPoint> {
  const server: Server = await listen(createGateway(options), options.port);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    kind: 'node',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startEntryPoint(options: EntryPointOptions): Promise<EntryPoint> {
  const binary = options.kind === 'node' ? undefined : findNginx();
  if (!binary) {
    if (options.kind === 'nginx') throw new Error(NGINX_INSTALL_HINT);
    if (options.kind === 'auto') options.onFallback?.(`${NGINX_INSTALL_HINT} Using the Node gateway meanwhile.`);
    return startNodeGateway(options);
  }
  const port = options.port === 0 ? await freePort() : options.port;
  const nginx = await startNginx({ ...options, port, binary, keepLogAs: options.logFile });
  return { kind: 'nginx', url: nginx.url, stop: nginx.stop };
}
