/**
 * A real Kubernetes control plane on loopback for the infra/ops tests: etcd, kube-apiserver
 * (RBAC, Pod Security admission), kube-controller-manager, kube-scheduler, and kwok playing the
 * kubelets of a few fake nodes. The binaries come from scripts/install-k8s-tools.sh. Started
 * once per Jest run by ./global-setup.ts; the test files reach it through ./index.ts.
 *
 * What differs from a cluster: no container runs (kwok marks a scheduled pod Running and Ready
 * at once, so probes, images and `kubectl logs`/`exec` are never exercised), no kube-proxy or
 * CNI (Services get EndpointSlices but nothing routes to them, NetworkPolicies are stored but
 * not enforced), no metrics server (an HPA cannot read CPU), and volumes come from the small
 * provisioner below (kwok mounts nothing).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The API's JSON, read by path (the callers check what they read). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiObject = any;

export const KUBERNETES_VERSION = 'v1.34.4'; // keep in step with scripts/install-k8s-tools.sh
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok'] as const;
/** The fake nodes. Three, so the three NATS pods (spread by hostname) each get their own. */
export const NODE_NAMES = ['kwok-node-0', 'kwok-node-1', 'kwok-node-2'];

/** Everything a test file needs to reach the cluster; written as JSON for the Jest workers. */
export interface ClusterInfo {
  dir: string;
  server: string;
  /** The admin's bearer token (group system:masters, from the static token file). */
  adminToken: string;
  caFile: string;
  /** A kubeconfig for the admin. */
  kubeconfig: string;
  /** What a second kube-apiserver on the same etcd needs (see startApiServer). */
  etcdUrl: string;
  bin: Record<(typeof BINARIES)[number], string>;
}

export interface RunningControlPlane {
  info: ClusterInfo;
  stop(): Promise<void>;
}

/** A server process with its log file, stopped with SIGTERM (SIGKILL after 10 s). */
export class Daemon {
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static start(name: string, binary: string, args: string[], logFile: string): Daemon {
    const log = openSync(logFile, 'a');
    try {
      return new Daemon(name, spawn(binary, args, { stdio: ['ignore', log, log] }), logFile);
    } finally {
      closeSync(log);
    }
  }

  /** For process exit, when there is no time to wait: the servers must not outlive the test run. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines of its log, for a failure message. */
  logTail(lines = 25): string {
    const text = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls until check() answers true; fails early, with its log, if a daemon it needs has exited. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, needs: Daemon[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = needs.find((d) => !d.running);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.logTail()}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = needs.map((d) => `\n--- ${d.name} (${d.logFile})\n${d.logTail(10)}`).join('');
      throw new Error(`${what}: not after ${timeoutMs / 1000} s${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * What the control plane takes from the test kit's servers module (common/src/testing/servers.ts),
 * handed in by the globalSetup: see global-setup.ts for why it cannot import @lumina/common/testing.
 */
export interface ControlPlaneTools {
  /** Where scripts/install-tools.sh puts the binaries it builds. */
  binDir: () => string;
  freePort: () => Promise<number>;
}

/** The binaries, or an error that says how to build them. */
export function findBinaries(binDir: () => string): ClusterInfo['bin'] {
  const bin = Object.fromEntries(BINARIES.map((b) => [b, join(binDir(), b)])) as ClusterInfo['bin'];
  const missing = BINARIES.filter((b) => !existsSync(bin[b]));
  if (missing.length > 0) {
    throw new Error(
      `the Kubernetes tests need ${missing.join(', ')} in ${binDir()}: run scripts/install-k8s-tools.sh ` +
        `(a first build takes about 25 minutes on 2 cores; scripts/install-tools.sh runs it too)`,
    );
  }
  const version = spawnSync(bin['kube-apiserver'], ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (version !== `Kubernetes ${KUBERNETES_VERSION}`) {
    throw new Error(`${bin['kube-apiserver']} is "${version}", not ${KUBERNETES_VERSION}: run scripts/install-k8s-tools.sh`);
  }
  return bin;
}

/** A JSON request to the API server with a bearer token; answers the status and the parsed body. */
export function apiRequest(
  info: Pick<ClusterInfo, 'server' | 'caFile'>,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(path, info.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca: readFileSync(info.caFile),
        agent: new Agent({ keepAlive: false }),
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = { text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr || result.error?.message}`);
}

/** The serving certificate (its own CA; valid for 127.0.0.1) and the service-account signing key. */
function makeCertificates(pki: string): void {
  mkdirSync(pki, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=lumina-test-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      'apiserver.key',
      '-out',
      'apiserver.crt',
    ],
    pki,
  );
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'service-account.key'], pki);
  openssl(['pkey', '-in', 'service-account.key', '-pubout', '-out', 'service-account.pub'], pki);
}

export function writeKubeconfig(
  file: string,
  info: Pick<ClusterInfo, 'server' | 'caFile'>,
  user: string,
  token: string,
  namespace = 'default',
) {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lumina-test', cluster: { server: info.server, 'certificate-authority': info.caFile } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'lumina-test', user, namespace } }],
    'current-context': user,
  };
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/** kube-apiserver's flags; a second server on the same etcd (startApiServer) differs only in port. */
function apiServerArgs(info: ClusterInfo, port: number): string[] {
  const pki = join(info.dir, 'pki');
  return [
    `--etcd-servers=${info.etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--cert-dir=${join(info.dir, 'apiserver-certs')}`,
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    // On by default; named so the intent is plain: the namespace's pod-security labels are enforced.
    '--enable-admission-plugins=PodSecurity,ServiceAccount,NamespaceLifecycle',
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${join(pki, 'service-account.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'service-account.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // The `kubernetes` Service's endpoints would be 127.0.0.1, which the API refuses as an endpoint.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    '--v=1',
  ];
}

/** Starts a kube-apiserver on the cluster's etcd and waits until it answers /readyz. */
export async function startApiServer(info: ClusterInfo, port: number, name = 'kube-apiserver'): Promise<Daemon> {
  const daemon = Daemon.start(name, info.bin['kube-apiserver'], apiServerArgs(info, port), join(info.dir, 'logs', `${name}-${port}.log`));
  const server = { server: `https://127.0.0.1:${port}`, caFile: info.caFile };
  try {
    await waitFor(
      `${name} ready on port ${port}`,
      async () => (await apiRequest(server, info.adminToken, 'GET', '/readyz')).status === 200,
      120_000,
      [daemon],
    );
  } catch (err) {
    await daemon.stop();
    throw err;
  }
  return daemon;
}

/**
 * Binds every waiting PersistentVolumeClaim to a new hostPath PersistentVolume made for it (no
 * storage driver runs here, and kwok mounts nothing, so the path is never used). A claim stays
 * Pending on a cluster without a provisioner; this stands in for one so StatefulSets start.
 */
function startVolumeProvisioner(info: ClusterInfo): () => void {
  const made = new Set<string>();
  let stopped = false;
  const once = async () => {
    const claims = await apiRequest(info, info.adminToken, 'GET', '/api/v1/persistentvolumeclaims');
    for (const claim of (claims.body.items ?? []) as ApiObject[]) {
      const uid = claim.metadata.uid as string;
      if (claim.status?.phase !== 'Pending' || claim.spec.volumeName || made.has(uid)) continue;
      const created = await apiRequest(info, info.adminToken, 'POST', '/api/v1/persistentvolumes', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: `pv-${uid}`, labels: { 'lumina.dev/test-provisioner': 'true' } },
        spec: {
          capacity: { storage: claim.spec.resources.requests.storage },
          accessModes: claim.spec.accessModes,
          storageClassName: claim.spec.storageClassName ?? '',
          persistentVolumeReclaimPolicy: 'Retain',
          claimRef: { namespace: claim.metadata.namespace, name: claim.metadata.name, uid },
          hostPath: { path: join(info.dir, 'volumes', uid) },
        },
      });
      if (created.status === 201 || created.status === 409) made.add(uid);
    }
  };
  const loop = async () => {
    while (!stopped) {
      await once().catch(() => undefined); // the server may be briefly away; try again
      await new Promise((resolve) => setTimeout(resolve, 500).unref());
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}

const nodeManifest = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name,
    // kwok manages the nodes carrying this annotation (--manage-nodes-with-annotation-selector).
    annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
  },
  // No NoSchedule taint (kwok's examples have one): ordinary pods land here.
  spec: {},
});

export async function startControlPlane({ binDir, freePort }: ControlPlaneTools): Promise<RunningControlPlane> {
  const bin = findBinaries(binDir);
  const dir = mkdtempSync(join(tmpdir(), 'lumina-k8s-'));
  const daemons: Daemon[] = [];
  let stopProvisioner = () => undefined as void;
  // Jest interrupted (Ctrl-C, a crash) skips globalTeardown; the servers go with the process anyway.
  const killAll = () => daemons.forEach((d) => d.killNow());
  process.once('exit', killAll);
  const stop = async () => {
    process.removeListener('exit', killAll);
    stopProvisioner();
    // Nodes' agents first, the store last.
    for (const daemon of [...daemons].reverse()) await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync(join(dir, 'logs'));
    const pki = join(dir, 'pki');
    makeCertificates(pki);
    const adminToken = randomBytes(24).toString('hex');
    // token,user,uid,"groups": one cluster admin, used by the tests, the controllers, the scheduler and kwok.
    writeFileSync(join(pki, 'tokens.csv'), `${adminToken},lumina-test-admin,lumina-test-admin,"system:masters"\n`, { mode: 0o600 });

    const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const info: ClusterInfo = {
      dir,
      server: `https://127.0.0.1:${apiPort}`,
      adminToken,
      caFile: join(pki, 'apiserver.crt'),
      kubeconfig: join(dir, 'admin.kubeconfig'),
      etcdUrl: `http://127.0.0.1:${etcdPort}`,
      bin,
    };
    writeKubeconfig(info.kubeconfig, info, 'lumina-test-admin', adminToken);

    const etcd = Daemon.start(
      'etcd',
      bin.etcd,
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${info.etcdUrl}`,
        `--advertise-client-urls=${info.etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
        // A throwaway store: no fsync, so a busy disk does not slow every write.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(dir, 'logs', 'etcd.log'),
    );
    daemons.push(etcd);
    await waitFor(
      'etcd healthy',
      async () => {
        const res = await fetch(`${info.etcdUrl}/health`);
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      60_000,
      [etcd],
    );

    daemons.push(await startApiServer(info, apiPort));

    const controllerManager = Daemon.start(
      'kube-controller-manager',
      bin['kube-controller-manager'],
      [
        `--kubeconfig=${info.kubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--service-account-private-key-file=${join(pki, 'service-account.key')}`,
        `--root-ca-file=${info.caFile}`,
        // HPAs read metrics every 5 s instead of 15 (there is no metrics server; they report that sooner).
        '--horizontal-pod-autoscaler-sync-period=5s',
        '--v=1',
      ],
      join(dir, 'logs', 'kube-controller-manager.log'),
    );
    daemons.push(controllerManager);
    const scheduler = Daemon.start(
      'kube-scheduler',
      bin['kube-scheduler'],
      [`--kubeconfig=${info.kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1'],
      join(dir, 'logs', 'kube-scheduler.log'),
    );
    daemons.push(scheduler);

    const stages = join(__dirname, 'kwok-stages.yaml');
    const kwok = Daemon.start(
      'kwok',
      bin.kwok,
      [
        `--kubeconfig=${info.kubeconfig}`,
        `--config=${stages}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--node-lease-duration-seconds=40',
        '--cidr=10.244.0.1/16',
        '--node-ip=10.0.0.1',
      ],
      join(dir, 'logs', 'kwok.log'),
    );
    daemons.push(kwok);

    for (const name of NODE_NAMES) {
      const res = await apiRequest(info, adminToken, 'POST', '/api/v1/nodes', nodeManifest(name));
      if (res.status !== 201) throw new Error(`create node ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
    stopProvisioner = startVolumeProvisioner(info);
    await waitFor(
      `${NODE_NAMES.length} kwok nodes Ready`,
      async () => {
        const nodes = await apiRequest(info, adminToken, 'GET', '/api/v1/nodes');
        const ready = ((nodes.body.items ?? []) as ApiObject[]).filter((n) =>
          (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === NODE_NAMES.length;
      },
      120_000,
      daemons,
    );
    // The controller manager is up once it has made the default namespace's ServiceAccount.
    await waitFor(
      'kube-controller-manager running (the default ServiceAccount exists)',
      async () => (await apiRequest(info, adminToken, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      120_000,
      daemons,
    );
    return { info, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
