/**
 * How every service starts and stops. bootService is the one bootstrap each service's
 * server.ts calls with what is particular to it; it does the rest — logger, verification keys,
 * stores (opened, checked, migrated), NATS and the streams the service touches, readiness
 * checks, the stream limits monitor, listen, and on failure or shutdown closing everything in
 * order. startService underneath starts background workers (relay, listeners), listens, and
 * on SIGTERM/SIGINT shuts down in the right order: readiness false, stop taking requests and
 * let the in-flight ones finish, stop listeners (their handlers finish), stop the relay, drain
 * NATS, close the stores.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { busOptionsFrom, closeEventBus, connectEventBus, pingNats, provisionStreams, type EventBus } from './events/bus';
import type { EventDefinition } from './events/catalogue';
import type { Listener } from './events/listener';
import { streamsOf, type ServiceName } from './events/permissions';
import { StreamLimitsMonitor, streamSettingsFrom } from './events/stream-limits';
import type { AppSettings, ReadinessChecks } from './http/app';
import type { PublicKeySet } from './http/tokens';
import type { OutboxRelay, RelayOptions } from './outbox/relay';
import { ConfigError, publicKeysFrom, type BaseServiceEnv } from './config';
import { DependencyError } from './dependency-error';
import { lifecycle } from './lifecycle';
import { createLogger } from './logger';
import type { OpenStores, StoreSpecs } from './service-stores';

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
  /**
   * Runs as shutdown begins (readiness already false), before HTTP stops taking requests: ends
   * what never ends by itself, such as open event streams, which the HTTP server would wait for.
   */
  beforeShutdown?: () => void;
  shutdownTimeoutMs?: number;
}

export interface RunningService {
  server: Server;
  port: number;
  shutdown(reason?: string): Promise<void>;
}

/**
 * Listens, resolving once the port is bound and rejecting when it cannot be (EADDRINUSE). Not
 * `app.listen(port, callback)`: Express 5 calls that callback on an error too, so a taken port
 * looked like listening.
 */
function listen(app: Express, port: number, host: string | undefined): Promise<Server> {
  const server = createServer(app);
  return new Promise<Server>((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once('error', failed);
    server.listen({ port, host }, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}

export async function startService(spec: ServiceSpec): Promise<RunningService> {
  const { log } = spec;
  const workers = spec.workers ?? [];
  const started: BackgroundWorker[] = [];
  const host = spec.host ?? (process.env.BIND_ADDRESS || undefined);
  let server: Server;
  try {
    for (const worker of workers) {
      await worker.start();
      started.push(worker);
    }
    server = await listen(spec.app, spec.port, host);
  } catch (err) {
    // What started stops again, so a service that cannot listen leaves nothing running.
    for (const worker of started.reverse()) await worker.stop().catch((stopErr) => log.error({ err: stopErr }, 'worker stop failed'));
    throw err;
  }
  // Longer than the ingress's idle timeout, so it never reuses a socket we are closing.
  server.keepAliveTimeout = 65_000;
  // Answers being worked on, so that shutdown can tell their clients not to reuse the connection.
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : spec.port;
  log.info({ port, host: host ?? 'every interface' }, `${spec.name} listening`);

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    shuttingDown ??= (async () => {
      lifecycle.shuttingDown = true;
      log.info({ reason }, `${spec.name} shutting down`);
      spec.beforeShutdown?.();
      const timer = setTimeout(() => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      }, spec.shutdownTimeoutMs ?? 25_000);
      timer.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Answers still in flight (those already being worked on, and any that arrive on an open
        // connection meanwhile) go out with `Connection: close`, so no client sends another
        // request on a socket we are about to close; keep-alive sockets that turn idle once their
        // request finishes are closed too, so close() can complete.
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
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

/** What a service's configuration holds for its start-up (every service's config has these). */
export type ServiceConfig = BaseServiceEnv & { OUTBOX_POLL_INTERVAL_MS?: number };

export interface ConnectionsSpec<S extends StoreSpecs> {
  /** Provisions the streams it touches (streamsOf) and names its logger. */
  service: ServiceName;
  /** How this process names itself to NATS when that is more than the service (`media-worker`). */
  instance?: string;
  config: ServiceConfig;
  log?: Logger;
  /** Opened in this order, closed in reverse; each also gets a readiness check. */
  stores: S;
}

export type Connections<S extends StoreSpecs> = OpenStores<S> & {
  log: Logger;
  bus: EventBus;
  /** Every store's check and NATS's, for the app's /readyz. */
  readiness: ReadinessChecks;
  /** Drains NATS, then closes the stores in reverse order. */
  close(): Promise<void>;
};

/**
 * The stores, NATS and the streams: what a service needs before its own parts, and what a
 * one-off command (search's rebuild) needs without HTTP. On a failure, what was opened is closed.
 */
export async function openConnections<S extends StoreSpecs>(spec: ConnectionsSpec<S>): Promise<Connections<S>> {
  const { config, service } = spec;
  const instance = spec.instance ?? service;
  const log = spec.log ?? createLogger(service, config.LOG_LEVEL);
  const opened: Array<{ name: string; store: unknown }> = [];
  let bus: EventBus | undefined;
  const close = async () => {
    if (bus) await closeEventBus(bus).catch((err) => log.error({ err }, 'closing NATS failed'));
    for (const { name, store } of opened.splice(0).reverse()) {
      await Promise.resolve(spec.stores[name]!.close(store)).catch((err) => log.error({ err, store: name }, 'closing a store failed'));
    }
  };
  try {
    for (const [name, store] of Object.entries(spec.stores)) opened.push({ name, store: await store.open(log) });
    bus = await connectEventBus(busOptionsFrom(config, instance, log));
    await provisionStreams(bus, streamsOf(service), streamSettingsFrom(config, service));
  } catch (err) {
    await close();
    throw err;
  }
  const connectedBus = bus;
  const readiness: ReadinessChecks = {};
  for (const { name, store } of opened) readiness[spec.stores[name]!.check] = () => spec.stores[name]!.ping(store);
  readiness.nats = () => pingNats(connectedBus);
  const stores = Object.fromEntries(opened.map(({ name, store }) => [name, store])) as OpenStores<S>;
  return { ...stores, log, bus: connectedBus, readiness, close };
}

/** What every service's Express app takes from the start-up (spread into its buildApp), all of it set. */
export type HttpSettings = Required<AppSettings>;

/** What build() gets: the open connections, the keys, and settings from the config. */
export type ServiceContext<S extends StoreSpecs> = Connections<S> & {
  config: ServiceConfig;
  publicKeys: PublicKeySet;
  /** For the app: `buildApp({ ...http, …its own })`. */
  http: HttpSettings;
  /** For the service's outbox relay: its log and OUTBOX_POLL_INTERVAL_MS (and the test overrides). */
  relayOptions: RelayOptions;
};

/** What is particular to a service, built by its build(). */
export interface ServiceParts<T extends object> {
  app: Express;
  /** The outbox relay: started first and stopped last, after every writer. */
  relay?: OutboxRelay;
  /** Its listeners; the stream limits monitor watches their consumers. */
  listeners?: ReadonlyArray<Listener<EventDefinition>>;
  /** Other background work (sweepers, hubs): started after the relay, before the listeners. */
  workers?: BackgroundWorker[];
  /** See ServiceSpec.beforeShutdown. */
  beforeShutdown?: () => void;
  /** What the caller gets back beside the connections (tests reach into these). */
  handles: T;
}

export interface ServiceDefinition<S extends StoreSpecs, T extends object> extends ConnectionsSpec<S> {
  /** Another port than PORT (0: a free one, for tests). */
  port?: number;
  /** Verification keys when not those of JWT_PUBLIC_KEYS(_DIR) (auth: its own signing key's). */
  publicKeys?: PublicKeySet;
  /** Test overrides for the relay's options (poll interval, afterPublish). */
  relay?: Partial<RelayOptions>;
  build(context: ServiceContext<S>): Promise<ServiceParts<T>> | ServiceParts<T>;
}

export type BootedService<S extends StoreSpecs, T extends object> = Connections<S> & T & { running: RunningService };

/** Starts a service: see the top of this file. */
export async function bootService<S extends StoreSpecs, T extends object>(
  definition: ServiceDefinition<S, T>,
): Promise<BootedService<S, T>> {
  const { config } = definition;
  // Keys first: a missing key is a configuration error, reported before anything is opened.
  const publicKeys = definition.publicKeys ?? publicKeysFrom(config);
  const connections = await openConnections(definition);
  const { log, bus } = connections;
  try {
    const relayOptions: RelayOptions = { log, pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS, ...definition.relay };
    const http: HttpSettings = {
      log,
      publicKeys,
      readiness: connections.readiness,
      cookieSecure: config.COOKIE_SECURE,
      allowedOrigins: config.ALLOWED_ORIGINS,
      trustProxyHops: config.TRUST_PROXY_HOPS,
    };
    const parts = await definition.build({ ...connections, config, publicKeys, http, relayOptions });
    const listeners = parts.listeners ?? [];
    const monitor = new StreamLimitsMonitor(bus, {
      streams: streamsOf(definition.service),
      consumers: listeners,
      log,
      intervalMs: config.STREAM_LIMITS_CHECK_INTERVAL_MS,
    });
    const running = await startService({
      name: definition.instance ?? definition.service,
      port: definition.port ?? config.PORT,
      log,
      app: parts.app,
      // Started in this order and stopped in reverse: listeners stop first, the relay last.
      workers: [...(parts.relay ? [parts.relay] : []), ...(parts.workers ?? []), ...listeners, monitor],
      beforeShutdown: parts.beforeShutdown,
      close: connections.close,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    return { ...connections, ...parts.handles, running };
  } catch (err) {
    await connections.close();
    throw err;
  }
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

/** A service's index.ts: start it, and shut down cleanly on SIGTERM/SIGINT. */
export function runService(start: () => Promise<{ running: RunningService }>): void {
  runMain(async () => shutdownOnSignals((await start()).running));
}
