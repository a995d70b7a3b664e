/**
 * The replicas behind each route of the one-machine entry point, and how a request reaches one
 * of them while they restart. The launcher marks a replica out before it stops it and back in
 * once it is ready again (`setUp`); the Node gateway forwards through `forwardToReplica`, and so
 * does the holding proxy NGINX keeps as every upstream's `backup`, so both entry points behave
 * alike:
 *
 * - a replica marked out gets no new request;
 * - a refused connection is retried on another replica, whatever the method: the request never
 *   left this process, so it cannot have been applied;
 * - an error after the request was sent (a reset, a closed keep-alive socket) and a 502 or 503
 *   answer are retried only for idempotent methods, as NGINX's `proxy_next_upstream` does
 *   without `non_idempotent`: a POST that reached a service may have been applied, and sending
 *   it twice could post twice;
 * - when no replica is in (the one replica of a service is restarting), the request waits until
 *   one is, for up to `holdMs`, instead of failing; replicas that are in but all refuse have
 *   crashed, and that is a 502 at once (a crash is not hidden).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ServiceName } from './routes';

/** Methods NGINX does not pass to a next upstream once the request was sent (ngx_http_upstream.c). */
const NON_IDEMPOTENT = new Set(['POST', 'PATCH', 'LOCK']);

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

/** How long a request waits for a replica when none is in: longer than a service takes to restart. */
export const DEFAULT_HOLD_MS = 60_000;

/** Base URLs of a service's replicas: one URL, or one per replica. */
export type ReplicaTargets = Partial<Record<ServiceName, string | string[]>>;

export function replicaUrls(targets: ReplicaTargets, service: ServiceName): string[] {
  const target = targets[service];
  return target === undefined ? [] : Array.isArray(target) ? target : [target];
}

/** Which replicas of each service take requests. */
export class ReplicaSet {
  private readonly urls = new Map<ServiceName, string[]>();
  private readonly out = new Set<string>();
  private readonly turn = new Map<ServiceName, number>();
  private waiters: Array<() => void> = [];

  constructor(targets: ReplicaTargets) {
    for (const service of Object.keys(targets) as ServiceName[]) this.urls.set(service, replicaUrls(targets, service));
  }

  services(): ServiceName[] {
    return [...this.urls.keys()];
  }

  all(service: ServiceName): string[] {
    return this.urls.get(service) ?? [];
  }

  isUp(service: ServiceName, replica: number): boolean {
    return !this.out.has(`${service}#${replica}`);
  }

  setUp(service: ServiceName, replica: number, up: boolean): void {
    if (replica < 0 || replica >= this.all(service).length) throw new Error(`${service} has no replica ${replica}`);
    if (up) this.out.delete(`${service}#${replica}`);
    else this.out.add(`${service}#${replica}`);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The replicas in, round-robin from the next one's turn, so load spreads. */
  inRotation(service: ServiceName): string[] {
    const urls = this.all(service);
    const start = this.turn.get(service) ?? 0;
    this.turn.set(service, (start + 1) % Math.max(1, urls.length));
    return urls.map((_, i) => (start + i) % urls.length).flatMap((i) => (this.isUp(service, i) ? [urls[i]!] : []));
  }

  /** Resolves at the next change of any replica's state, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export interface ForwardOptions {
  service: ServiceName;
  /** Path and query, as the upstream gets them. */
  path: string;
  /** What the upstream gets (hop-by-hop headers are dropped here). */
  headers: IncomingHttpHeaders;
  /** The whole request body (read first, as NGINX buffers it, so a retry can send it again). */
  body: Buffer;
  holdMs?: number;
  /** Called when the request has to wait for a replica (the tests count these). */
  onHold?: () => void;
}

type Attempt =
  | { kind: 'answered'; answer: IncomingMessage }
  | { kind: 'refused' } // the request never left: safe to send anywhere
  | { kind: 'failed'; error: Error }; // it may have reached the service

function attempt(target: string, method: string, options: ForwardOptions, res: ServerResponse): Promise<Attempt> {
  const url = new URL(target);
  const headers = { ...options.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  headers['content-length'] = String(options.body.length);
  return new Promise((resolve) => {
    let sent = false;
    const upstream = httpRequest(
      { protocol: url.protocol, hostname: url.hostname, port: url.port, path: options.path, method, headers },
      (answer) => resolve({ kind: 'answered', answer }),
    );
    upstream.on('socket', (socket) => {
      // A kept-alive socket is connected already: the request goes out on it at once.
      if (!socket.connecting) sent = true;
      else socket.once('connect', () => (sent = true));
    });
    upstream.on('error', (error) => resolve(sent ? { kind: 'failed', error } : { kind: 'refused' }));
    // A client that goes away (closing an event stream, say) ends the upstream request too.
    res.on('close', () => upstream.destroy());
    upstream.end(options.body);
  });
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ message }] }));
}

/**
 * Sends the request to a replica of the service and streams its answer back, retrying and
 * holding as the file's comment says. Answers 502 when no replica answered in time.
 */
export async function forwardToReplica(replicas: ReplicaSet, method: string, options: ForwardOptions, res: ServerResponse): Promise<void> {
  const deadline = Date.now() + (options.holdMs ?? DEFAULT_HOLD_MS);
  const retryAfterSend = !NON_IDEMPOTENT.has(method);
  let held = false;
  while (!res.destroyed) {
    const candidates = replicas.inRotation(options.service);
    for (const target of candidates) {
      const result = await attempt(target, method, options, res);
      if (result.kind === 'refused') continue;
      if (result.kind === 'failed') {
        if (retryAfterSend) continue;
        return sendError(res, 502, 'The service behind this path is not reachable');
      }
      const { answer } = result;
      const status = answer.statusCode ?? 502;
      if ((status === 502 || status === 503) && retryAfterSend && target !== candidates.at(-1)) {
        answer.resume(); // drop it: the next replica may answer
        continue;
      }
      const out = { ...answer.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      res.writeHead(status, out);
      res.flushHeaders();
      answer.pipe(res);
      return;
    }
    // Replicas that are in but refuse have crashed: say so now, as NGINX does. Only a service
    // whose every replica the launcher marked out (a planned restart) is waited for.
    if (candidates.length > 0 || Date.now() >= deadline) break;
    if (!held) options.onHold?.();
    held = true;
    await replicas.changed(Math.min(250, Math.max(0, deadline - Date.now())));
  }
  sendError(res, 502, 'The service behind this path is not reachable');
}

/**
 * Reads a request body whole (NGINX buffers it too, which is what lets it resend one), or
 * answers 413 and drops the connection as soon as it passes `maxBytes`: undefined then.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    const tooLarge = () => {
      if (refused) return;
      refused = true;
      sendError(res, 413, 'Request body too large');
      req.destroy();
      resolve(undefined);
    };
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
      res.setHeader('Connection', 'close');
      sendError(res, 413, 'Request body too large');
      req.resume();
      return resolve(undefined);
    }
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) tooLarge();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', () => resolve(undefined));
  });
}
