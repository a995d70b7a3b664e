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
import { ReplicaSet, type ReplicaTargets } from './upstreams';

export type EntryPointKind = 'nginx' | 'node';

/** The port `npm start` puts the entry point on, unless LUMINA_PORT names another. */
export const DEFAULT_PORT = 8080;

/** The entry point's URL on a port (loopback only), as `npm start` prints it. */
export function entryPointUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export interface EntryPointOptions {
  /** `auto`: NGINX if installed, else the Node gateway (and `onFallback` says how to install NGINX). */
  kind: EntryPointKind | 'auto';
  routes: Route[];
  limits: EntryPointLimits;
  /** Each API service's base URL, or one per replica. */
  targets: ReplicaTargets;
  /** How long a request waits while every replica of its service is marked out (a restart). */
  holdMs?: number;
  /** Called when a request starts waiting because every replica of its service is out. */
  onHold?: (service: ServiceName) => void;
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
  /**
   * Marks a replica out of rotation (before it is stopped: it gets no new request, and a request
   * for a service whose every replica is out waits for one) or back in. Resolves once the entry
   * point acts on it.
   */
  setReplicaUp(service: ServiceName, replica: number, up: boolean): Promise<void>;
  stop(): Promise<void>;
}

async function startNodeGateway(options: EntryPointOptions): Promise<EntryPoint> {
  const replicas = new ReplicaSet(options.targets);
  const server: Server = await listen(createGateway({ ...options, replicas }), options.port);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    kind: 'node',
    url: entryPointUrl(port),
    async setReplicaUp(service, replica, up) {
      replicas.setUp(service, replica, up);
    },
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
  return { kind: 'nginx', url: nginx.url, stop: nginx.stop, setReplicaUp: nginx.setReplicaUp };
}
