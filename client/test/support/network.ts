/**
 * The browser's network boundary, faked for component tests: `fetch`, XMLHttpRequest (uploads),
 * EventSource (the timeline stream) and IntersectionObserver (infinite scroll). Everything
 * above it — the API client, quiet refresh, hooks and components — runs for real. What a test
 * fires through these fakes (progress, an answer, a stream event) is wrapped in act(), as a
 * browser event would be.
 */
import { act } from '@testing-library/react';

export interface Call {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface Reply {
  status?: number;
  body?: unknown;
}

type Handler = (call: Call) => Reply | Promise<Reply>;

interface Route {
  method: string;
  path: string | RegExp;
  handler: Handler;
  times: number;
}

export class FakeApi {
  readonly calls: Call[] = [];
  private routes: Route[] = [];

  /** Answers `method path` (exact path, or a RegExp on it); later routes win; `times` limits uses. */
  on(method: string, path: string | RegExp, reply: Reply | Handler, times = Infinity): this {
    const handler = typeof reply === 'function' ? reply : () => reply;
    this.routes.unshift({ method, path, handler, times });
    return this;
  }

  callsTo(method: string, path: string | RegExp): Call[] {
    return this.calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)));
  }

  readonly fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const parsed = new URL(url, 'http://lumina.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const call: Call = {
      method,
      url,
      path: parsed.pathname,
      query: parsed.searchParams,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
    };
    this.calls.push(call);
    if (init.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
    const route = this.routes.find(
      (r) => r.times > 0 && r.method === method && (typeof r.path === 'string' ? r.path === call.path : r.path.test(call.path)),
    );
    const reply = route ? (route.times--, await route.handler(call)) : { status: 404, body: { errors: [{ message: 'Not found' }] } };
    return fakeResponse(reply.status ?? 200, reply.body);
  };
}

function fakeResponse(status: number, body: unknown): Response {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: new Headers({ 'content-type': 'application/json' }),
    text: async () => text,
    json: async () => JSON.parse(text),
  } as unknown as Response;
}

// ---- XMLHttpRequest (uploads) --------------------------------------------------------------

export class FakeXhr {
  static instances: FakeXhr[] = [];
  method = '';
  url = '';
  status = 0;
  responseText = '';
  withCredentials = false;
  headers: Record<string, string> = {};
  body: FormData | null = null;
  aborted = false;
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  readonly upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };

  constructor() {
    FakeXhr.instances.push(this);
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }

  /** The file sent in the multipart body. */
  get file(): File {
    return this.body?.get('file') as File;
  }
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ lengthComputable: true, loaded, total }));
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    act(() => this.onload?.());
  }
}

// ---- EventSource ---------------------------------------------------------------------------

export class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  private listeners = new Map<string, Array<(e: MessageEvent) => void>>();

  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, listener: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  emit(type: string, data?: unknown) {
    if (type === 'open') this.readyState = FakeEventSource.OPEN;
    const event = new MessageEvent(type, { data: data === undefined ? undefined : JSON.stringify(data) });
    act(() => {
      for (const l of this.listeners.get(type) ?? []) l(event);
    });
  }
}

// ---- IntersectionObserver ------------------------------------------------------------------

export class FakeIntersectionObserver {
  static instances: FakeIntersectionObserver[] = [];
  readonly targets = new Set<Element>();
  disconnected = false;
  constructor(readonly callback: IntersectionObserverCallback) {
    FakeIntersectionObserver.instances.push(this);
  }
  observe(el: Element) {
    this.targets.add(el);
  }
  unobserve(el: Element) {
    this.targets.delete(el);
  }
  disconnect() {
    this.disconnected = true;
    this.targets.clear();
  }
  takeRecords() {
    return [];
  }
  /** Scrolls every watched element into (or out of) reach. */
  static scrollIntoReach(isIntersecting = true) {
    for (const o of FakeIntersectionObserver.instances.filter((i) => !i.disconnected)) {
      const entries = [...o.targets].map((target) => ({ target, isIntersecting }) as IntersectionObserverEntry);
      if (entries.length) act(() => o.callback(entries, o as unknown as IntersectionObserver));
    }
  }
}

/** Installs all fakes; call in beforeEach. */
export function installNetwork(): FakeApi {
  const api = new FakeApi();
  localStorage.clear();
  FakeXhr.instances = [];
  FakeEventSource.instances = [];
  FakeIntersectionObserver.instances = [];
  Object.assign(globalThis, {
    fetch: api.fetch,
    XMLHttpRequest: FakeXhr,
    EventSource: FakeEventSource,
    IntersectionObserver: FakeIntersectionObserver,
  });
  return api;
}
