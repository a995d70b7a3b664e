/**
 * The bootstrap every service's index.ts calls: start background workers (listeners, relays),
 * listen, and on SIGTERM/SIGINT shut down in the right order — stop taking requests and let
 * the in-flight ones finish, stop listeners (their handlers finish), stop relays, drain NATS,
 * close the databases.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { ConfigError } from './config';
import { DependencyError } from './dependency-error';
import { lifecycle } from './lifecycle';

/** Anything with a lifecycle that runs beside the HTTP server. */
export interface BackgroundWorker {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceSpec {
  name: string;
  port: number;
  /**
   * The address to listen on. Default: BIND_ADDRESS from the environment (the one-machine mode sets
   * 127.0.0.1), else every interface (a pod).
   */
  host?: string;
  log: Logger;
  app: Express;
  workers?: BackgroundWorker[];
  /** Runs last, after workers and HTTP have stopped: drain NATS, close databases. */
  close: () => Promise<void>;
  shutdownTimeoutMs?: number;
}

export interface RunningService {
  server: Server;
  port: number;
  shutdown(reason?: string): Promise<void>;
}

export async function startService(spec: ServiceSpec): Promise<RunningService> {
  const { log } = spec;
  const workers = spec.workers ?? [];
  for (const worker of workers) await worker.start();

  const host = spec.host ?? (process.env.BIND_ADDRESS || undefined);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = host ? spec.app.listen(spec.port, host, () => resolve(s)) : spec.app.listen(spec.port, () => resolve(s));
    s.once('error', reject);
  });
  // Longer than the ingress's idle timeout, so it never reuses a socket we are closing.
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : spec.port;
  log.info({ port, host: host ?? 'every interface' }, `${spec.name} listening`);

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    shuttingDown ??= (async () => {
      lifecycle.shuttingDown = true;
      log.info({ reason }, `${spec.name} shutting down`);
      const timer = setTimeout(() => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      }, spec.shutdownTimeoutMs ?? 25_000);
      timer.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Answers still in flight go out with `Connection: close`, and keep-alive sockets that
        // turn idle once their request finishes are closed too, so close() can complete.
        server.on('request', (_req, res: ServerResponse) => res.setHeader('Connection', 'close'));
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        server.once('close', () => clearInterval(sweep));
        server.closeIdleConnections();
      });
      for (const worker of [...workers].reverse()) await worker.stop().catch((err) => log.error({ err }, 'worker stop failed'));
      await spec.close().catch((err) => log.error({ err }, 'close failed'));
      clearTimeout(timer);
      log.info(`${spec.name} stopped`);
    })();
    return shuttingDown;
  };

  return { server, port, shutdown };
}

/** Exits cleanly on SIGTERM/SIGINT once the service has shut down. */
export function shutdownOnSignals(service: RunningService): void {
  const onSignal = (signal: NodeJS.Signals) => {
    void service.shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/**
 * Runs an entry point; configuration and unreachable-dependency errors print one clear line
 * instead of a stack trace.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError || err instanceof DependencyError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`Fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  });
}
