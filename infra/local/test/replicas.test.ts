/**
 * Several replicas behind one route, as a rolling restart needs them, on NGINX and the Node
 * gateway alike: a replica marked out gets nothing new, a refused connection is tried on the next
 * replica whatever the method, a POST that reached a replica is never sent twice, and with every
 * replica out a request waits for one instead of failing. Real HTTP servers play the replicas.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startEntryPoint, type EntryPoint, type EntryPointKind } from '../entry-point';
import { nginxConfig } from '../nginx';
import { loadRouteTable, oneMachineLimits } from '../routes';
import { ReplicaSet, type ReplicaTargets } from '../upstreams';

const table = loadRouteTable();

interface Hit {
  method: string;
  body: string;
}

/** A replica that answers 200 with its name; `drop` makes it close the connection on every request instead. */
async function replica(name: string, options: { drop?: boolean } = {}): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ method: req.method ?? '', body });
      if (options.drop) req.socket.destroy();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ replica: name }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on: a connection there is refused. */
async function refusingUrl(): Promise<string> {
  const r = await replica('gone');
  await r.close();
  return r.url;
}

test('the generated upstream lists every replica, writes one marked out as down, and keeps the holding proxy as backup', () => {
  const targets: ReplicaTargets = {
    auth: ['http://127.0.0.1:1', 'http://127.0.0.1:2'],
    posts: 'http://127.0.0.1:3',
    media: 'http://127.0.0.1:4',
    search: 'http://127.0.0.1:5',
    timeline: 'http://127.0.0.1:6',
  };
  const replicas = new ReplicaSet(targets);
  replicas.setUp('auth', 1, false);
  const conf = nginxConfig({
    routes: table.routes,
    limits: table.limits,
    targets,
    replicas,
    holdPort: 7,
    clientDir: '/c',
    port: 8080,
    prefix: '/p',
  });
  const upstream = (name: string) => /upstream (\w+) \{([^}]*)\}/g.exec(conf.slice(conf.indexOf(`upstream ${name} {`)))![2]!;
  expect(upstream('auth').match(/server [^;]+;/g)).toEqual([
    'server 127.0.0.1:1;',
    'server 127.0.0.1:2 down;',
    'server 127.0.0.1:7 backup;',
  ]);
  expect(upstream('posts').match(/server [^;]+;/g)).toEqual(['server 127.0.0.1:3;', 'server 127.0.0.1:7 backup;']);

  // The same retry rule as the Ingress: no non_idempotent, so a POST that reached a replica is not resent.
  const ingress = parse(readFileSync(join(__dirname, '..', '..', 'k8s', 'base', 'ingress.yaml'), 'utf8')) as {
    metadata: { annotations: Record<string, string> };
  };
  const annotations = ingress.metadata.annotations;
  const directive = (name: string) => [...conf.matchAll(new RegExp(`^\\s*${name} ([^;]+);`, 'gm'))].map((m) => m[1]);
  expect(directive('proxy_next_upstream')).toEqual([annotations['nginx.ingress.kubernetes.io/proxy-next-upstream']]);
  expect(directive('proxy_next_upstream_tries')).toEqual([annotations['nginx.ingress.kubernetes.io/proxy-next-upstream-tries']]);
  expect(directive('proxy_next_upstream')[0]).not.toMatch(/non_idempotent/);
});

describe.each<EntryPointKind>(['nginx', 'node'])('the %s entry point with replicas', (kind) => {
  let running: EntryPoint[] = [];
  let closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(running.map((e) => e.stop()));
    await Promise.all(closing.map((close) => close()));
    running = [];
    closing = [];
  });

  /** Requests that found every replica of their service out and wait for one, by service. */
  let held: string[] = [];
  let heldWaiters: Array<() => void> = [];
  const oneHeld = (): Promise<void> => (held.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => heldWaiters.push(resolve)));
  beforeEach(() => {
    held = [];
    heldWaiters = [];
  });

  const start = async (auth: string[]): Promise<EntryPoint> => {
    const other = await refusingUrl();
    const entry = await startEntryPoint({
      onHold: (service) => {
        held.push(service);
        heldWaiters.splice(0).forEach((wake) => wake());
      },
      kind,
      routes: table.routes,
      limits: oneMachineLimits(table.limits),
      targets: { auth, posts: other, media: other, search: other, timeline: other },
      clientDir: '/nonexistent',
      port: 0,
    });
    running.push(entry);
    return entry;
  };
  const replicas = async (...specs: Array<[string, { drop?: boolean }?]>) => {
    const made = await Promise.all(specs.map(([name, options]) => replica(name, options)));
    closing.push(...made.map((r) => r.close));
    return made;
  };
  const post = (url: string, n: number) =>
    fetch(`${url}/api/v1/users/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) });

  test('a replica marked out gets no new request; back in, it gets its share again', async () => {
    const [a, b] = await replicas(['a'], ['b']);
    const entry = await start([a!.url, b!.url]);
    await entry.setReplicaUp('auth', 0, false);
    for (let i = 0; i < 6; i += 1) expect((await fetch(`${entry.url}/api/v1/users/x`)).status).toBe(200);
    expect(a!.hits).toHaveLength(0);
    expect(b!.hits).toHaveLength(6);

    await entry.setReplicaUp('auth', 0, true);
    for (let i = 0; i < 6; i += 1) expect((await fetch(`${entry.url}/api/v1/users/x`)).status).toBe(200);
    expect(a!.hits.length).toBeGreaterThan(0);
  });

  test('a POST whose connection a replica refused goes to the next one, once', async () => {
    const [b] = await replicas(['b']);
    const entry = await start([await refusingUrl(), b!.url]);
    for (let n = 0; n < 4; n += 1) expect((await post(entry.url, n)).status).toBe(200);
    expect(b!.hits.map((h) => h.body)).toEqual([0, 1, 2, 3].map((n) => JSON.stringify({ n })));
  });

  test('a POST that reached a replica which then dropped the connection is not sent again; a GET is', async () => {
    const [dropping, b] = await replicas(['dropping', { drop: true }], ['b']);
    const entry = await start([dropping!.url, b!.url]);
    const statuses: number[] = [];
    for (let n = 0; n < 4; n += 1) statuses.push((await post(entry.url, n)).status);
    // Each POST reached exactly one replica: those the dropping one took failed, and none was resent.
    const posts = [...dropping!.hits, ...b!.hits].filter((h) => h.method === 'POST');
    expect(posts.map((h) => h.body).sort()).toEqual([0, 1, 2, 3].map((n) => JSON.stringify({ n })));
    expect(statuses.filter((s) => s === 502)).toHaveLength(dropping!.hits.length);
    expect(statuses.filter((s) => s === 200)).toHaveLength(b!.hits.length);

    b!.hits.length = 0;
    for (let i = 0; i < 4; i += 1) expect((await fetch(`${entry.url}/api/v1/users/x`)).status).toBe(200);
    expect(b!.hits).toHaveLength(4);
  });

  test('with every replica out, a POST waits and is answered once one is back in', async () => {
    const [a] = await replicas(['a']);
    const entry = await start([a!.url]);
    await entry.setReplicaUp('auth', 0, false);
    let answered = false;
    const pending = post(entry.url, 7).then((res) => {
      answered = true;
      return res;
    });
    // The fact, not a pause: the entry point has the request and is holding it for want of a replica.
    await oneHeld();
    expect(held).toEqual(['auth']);
    expect(answered).toBe(false);
    expect(a!.hits).toHaveLength(0);

    await entry.setReplicaUp('auth', 0, true);
    expect((await pending).status).toBe(200);
    expect(a!.hits.map((h) => h.body)).toEqual([JSON.stringify({ n: 7 })]);
  });
});
