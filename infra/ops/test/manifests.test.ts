// Every manifest of every overlay, rendered by the real kustomize and checked for what the
// deployment promises (probes, resources, the restricted security context, Services that reach
// their pods, one scaler per replica count, NetworkPolicies that admit each service to its own
// data stores only, the pinned NATS release with fsync on every write); then the dev and prod
// overlays applied to a real Kubernetes API server with its controllers and kwok nodes
// (support/cluster/): accepted whole, Ready, reachable through their Services, scalable.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, PINNED_NATS_VERSION } from '@lumina/common/testing';
import { parseAutoscalerConfig } from '../src/autoscaler';
import { kubectl, kubectlJson, kubectlRun, NODE_NAMES, waitFor, waitForWorkloadsReady, type KubectlResult } from './support/cluster';
import {
  OVERLAYS,
  REPO,
  named,
  ofKind,
  overlayInNamespace,
  render,
  renderAll,
  selects,
  workloads,
  type K8sObject,
  type Loose,
  type Overlay,
} from './support/render';
import { clusterNatsUsers, passwordVariable } from '../src/nats-authorization';

/** Each workload that talks to a data store, and the ones it owns. */
const OWN_DATA: Record<string, string[]> = {
  auth: ['auth-mysql'],
  search: ['search-mysql'],
  posts: ['posts-mongo', 'posts-redis'],
  media: ['media-mongo'],
  'media-worker': ['media-mongo'],
  timeline: ['timeline-mongo', 'timeline-redis'],
};
/** The databases and the caches of timeline and posts: single servers, each reached by its owner only. */
const DATABASES = ['auth-mysql', 'search-mysql', 'posts-mongo', 'media-mongo', 'timeline-mongo', 'timeline-redis', 'posts-redis'];
const APPS = ['auth', 'posts', 'media', 'media-worker', 'search', 'timeline', 'client', 'lumina-autoscaler'];
/** Where Skaffold's file sync writes: the dev overlay lets these write their root file system. */
const FILE_SYNCED = ['auth', 'posts', 'media', 'media-worker', 'search', 'timeline', 'client'];

let rendered: Record<Overlay, K8sObject[]>;
let work: string;
let cleanup: () => void;
beforeAll(() => ({ rendered, work, cleanup } = renderAll()));
afterAll(() => cleanup?.());

const podSpec = (w: K8sObject) => w.spec.template.spec;
const podLabels = (w: K8sObject): Record<string, string> => w.spec.template.metadata.labels;

describe.each(OVERLAYS)('%s', (overlay) => {
  const objects = () => rendered[overlay];

  test('every object but the Namespace is in the lumina namespace', () => {
    expect(objects().length).toBeGreaterThan(40);
    for (const o of objects())
      if (o.kind !== 'Namespace')
        expect({ object: `${o.kind}/${o.metadata.name}`, namespace: o.metadata.namespace }).toEqual({
          object: `${o.kind}/${o.metadata.name}`,
          namespace: 'lumina',
        });
  });

  test('every Deployment and StatefulSet has probes, resources and the restricted security context', () => {
    for (const w of workloads(objects())) {
      const pod = podSpec(w);
      const name = `${w.kind}/${w.metadata.name}`;
      expect({ name, ...pod.securityContext }).toMatchObject({ name, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod.containers) {
        expect({ name, probes: [!!c.startupProbe, !!c.livenessProbe, !!c.readinessProbe] }).toEqual({ name, probes: [true, true, true] });
        expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
        expect(c.resources.limits).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
        const readOnly = !(overlay === 'overlays/dev' && FILE_SYNCED.includes(w.metadata.name));
        expect({ name, ...c.securityContext }).toMatchObject({
          name,
          allowPrivilegeEscalation: false,
          runAsNonRoot: true,
          readOnlyRootFilesystem: readOnly,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext.privileged ?? false).toBe(false);
        // A read-only root needs somewhere to write temp files.
        const tmp = (c.volumeMounts ?? []).find((m: { mountPath: string }) => m.mountPath === '/tmp');
        if (w.kind === 'Deployment')
          expect({ name, tmp: pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir }).toEqual({
            name,
            tmp: expect.any(Object),
          });
      }
      // HTTP probes go to the endpoints every service serves.
      const probePaths = pod.containers
        .flatMap((c: Loose) => [c.livenessProbe, c.readinessProbe].map((p) => p?.httpGet?.path))
        .filter(Boolean);
      if (APPS.includes(w.metadata.name)) expect(probePaths).toEqual(['/healthz', '/readyz']);
    }
  });

  test('a rolling update of an API service loses no request: a pod surges before one goes, and a going one stops being sent to first', () => {
    const SHUTDOWN_TIMEOUT_S = 25; // common/src/config.ts SHUTDOWN_TIMEOUT_MS, unset in the manifests
    for (const name of ['auth', 'posts', 'media', 'search', 'timeline']) {
      const w = workloads(objects()).find((x) => x.kind === 'Deployment' && x.metadata.name === name)!;
      const pod = podSpec(w);
      const [c] = pod.containers;
      const preStopS = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect({ name, strategy: w.spec.strategy }).toEqual({
        name,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      });
      // The endpoint removal takes a moment to reach the ingress: the pod keeps serving meanwhile,
      // then SIGTERM (/readyz 503, finish in flight, drain NATS) within the grace period.
      expect({ name, preStopS: preStopS >= 5 }).toEqual({ name, preStopS: true });
      expect({ name, grace: pod.terminationGracePeriodSeconds >= preStopS + SHUTDOWN_TIMEOUT_S }).toEqual({ name, grace: true });
      expect({ name, readiness: c.readinessProbe.httpGet.path }).toEqual({ name, readiness: '/readyz' });
    }
    // What a pod refused (or, if idempotent, failed or answered 502/503) goes to another; never a POST that reached one.
    const [ingress] = ofKind(objects(), 'Ingress');
    expect(ingress!.metadata.annotations['nginx.ingress.kubernetes.io/proxy-next-upstream']).toBe('error timeout http_502 http_503');
  });

  test('every Service selects the pods of a Deployment or StatefulSet, on a port their container listens on', () => {
    for (const svc of ofKind(objects(), 'Service')) {
      const targets = workloads(objects()).filter((w) => selects({ matchLabels: svc.spec.selector }, podLabels(w)));
      expect({ service: svc.metadata.name, targets: targets.length }).toEqual({ service: svc.metadata.name, targets: 1 });
      const ports = podSpec(targets[0]!).containers.flatMap((c: Loose) => c.ports ?? []);
      for (const p of svc.spec.ports) {
        const target = p.targetPort ?? p.port;
        const listens = ports.some((cp: Loose) => cp.name === target || cp.containerPort === target);
        expect({ service: svc.metadata.name, port: target, listens }).toEqual({ service: svc.metadata.name, port: target, listens: true });
      }
    }
  });

  test('each replica count has one owner: an HPA (with scale-down stabilisation) or the backlog autoscaler', () => {
    const hpas = ofKind(objects(), 'HorizontalPodAutoscaler');
    const autoscalerConfig = parseAutoscalerConfig(
      JSON.parse(named(objects(), 'ConfigMap', 'lumina-autoscaler')?.data?.['autoscaler.json'] ?? '{}'),
    );
    const backlogScaled = autoscalerConfig.targets.map((t) => t.deployment);
    expect(backlogScaled.sort()).toEqual(['media-worker', 'search', 'timeline']);
    for (const h of hpas) {
      expect(h.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(named(objects(), 'Deployment', h.spec.scaleTargetRef.name)).toBeDefined();
      expect(h.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(60);
      expect(backlogScaled).not.toContain(h.spec.scaleTargetRef.name);
    }
    const hpaScaled = hpas.map((h) => h.spec.scaleTargetRef.name);
    expect(hpaScaled.sort()).toEqual(['auth', 'client', 'media', 'posts']);
    for (const d of ofKind(objects(), 'Deployment')) {
      const scaled = hpaScaled.includes(d.metadata.name) || backlogScaled.includes(d.metadata.name);
      // A count in the manifest would fight the scaler on every apply.
      if (scaled)
        expect({ deployment: d.metadata.name, replicas: d.spec.replicas }).toEqual({ deployment: d.metadata.name, replicas: undefined });
    }
  });

  test('every service Deployment and database has a PodDisruptionBudget', () => {
    const pdbs = ofKind(objects(), 'PodDisruptionBudget');
    for (const w of workloads(objects())) {
      if (w.metadata.name === 'lumina-autoscaler' || DATABASES.includes(w.metadata.name)) continue; // single replica: a PDB would block drains
      expect({ workload: w.metadata.name, pdb: pdbs.some((p) => selects(p.spec.selector, podLabels(w))) }).toEqual({
        workload: w.metadata.name,
        pdb: true,
      });
    }
  });

  test('databases: MySQL 8.4 for auth and search, MongoDB 7 for posts, media, timeline, each with a volume claim', () => {
    const images = Object.fromEntries(ofKind(objects(), 'StatefulSet').map((s) => [s.metadata.name, podSpec(s).containers[0].image]));
    expect(images).toEqual({
      'auth-mysql': 'mysql:8.4',
      'search-mysql': 'mysql:8.4',
      'posts-mongo': 'mongo:7',
      'media-mongo': 'mongo:7',
      'timeline-mongo': 'mongo:7',
      nats: `nats:${PINNED_NATS_VERSION}-alpine`,
    });
    for (const s of ofKind(objects(), 'StatefulSet')) expect(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBeDefined();
  });

  test.each(['timeline', 'posts'])(
    "%s's Redis: a cache with nothing persisted and LRU eviction under a memory cap, at REDIS_URL",
    (owner) => {
      const redis = named(objects(), 'Deployment', `${owner}-redis`)!;
      const container = podSpec(redis).containers[0];
      expect(container.image).toBe('redis:7.4-alpine');
      expect(redis.spec.replicas).toBe(1);
      const args: string[] = container.args;
      const flag = (name: string) => args[args.indexOf(name) + 1];
      expect({ save: flag('--save'), appendonly: flag('--appendonly'), policy: flag('--maxmemory-policy') }).toEqual({
        save: '',
        appendonly: 'no',
        policy: 'allkeys-lru',
      });
      // maxmemory below the container's limit: Redis evicts before the kernel kills it.
      const mib = (q: string) => Number.parseInt(q, 10) * (/gi?b?$/i.test(q) ? 1024 : 1);
      expect(mib(flag('--maxmemory')!)).toBeLessThan(mib(container.resources.limits.memory));
      const service = podSpec(named(objects(), 'Deployment', owner)!).containers[0];
      expect(service.env).toContainEqual({ name: 'REDIS_URL', value: `redis://${owner}-redis:6379` });
      expect(named(objects(), 'Service', `${owner}-redis`)!.spec.ports).toEqual([{ name: 'redis', port: 6379, targetPort: 'redis' }]);
    },
  );

  test('NetworkPolicies: deny by default; each service reaches its own data stores only, NATS and DNS', () => {
    const policies = ofKind(objects(), 'NetworkPolicy');
    expect(
      policies.some(
        (p) =>
          Object.keys(p.spec.podSelector).length === 0 &&
          p.spec.policyTypes.includes('Ingress') &&
          p.spec.policyTypes.includes('Egress') &&
          !p.spec.ingress &&
          !p.spec.egress,
      ),
    ).toBe(true);
    const pods = workloads(objects());
    const pod = (name: string) => pods.find((w) => w.metadata.name === name)!;
    for (const app of APPS) {
      for (const db of DATABASES) {
        const allowed = connectionAllowed(policies, pod(app), pod(db), podSpec(pod(db)).containers[0].ports[0]);
        expect({ from: app, to: db, allowed }).toEqual({ from: app, to: db, allowed: OWN_DATA[app]?.includes(db) ?? false });
      }
      const nats = connectionAllowed(policies, pod(app), pod('nats'), { name: 'client', containerPort: 4222 });
      expect({ from: app, to: 'nats', allowed: nats }).toEqual({ from: app, to: 'nats', allowed: app !== 'client' });
      // Services do not call each other (DESIGN.md): events only.
      for (const other of APPS.filter((o) => o !== app)) {
        expect({
          from: app,
          to: other,
          allowed: connectionAllowed(policies, pod(app), pod(other), { name: 'http', containerPort: 3000 }),
        }).toMatchObject({ allowed: false });
      }
    }
    for (const db of DATABASES) {
      expect({ from: db, toNats: connectionAllowed(policies, pod(db), pod('nats'), { name: 'client', containerPort: 4222 }) }).toEqual({
        from: db,
        toNats: false,
      });
    }
    // Only the ingress controller's namespace reaches the HTTP services.
    for (const app of ['auth', 'posts', 'media', 'search', 'timeline', 'client']) {
      expect({ app, fromIngress: ingressAllowed(policies, pod(app), { 'kubernetes.io/metadata.name': 'ingress-nginx' }, {}) }).toEqual({
        app,
        fromIngress: true,
      });
      expect({ app, fromElsewhere: ingressAllowed(policies, pod(app), { 'kubernetes.io/metadata.name': 'default' }, {}) }).toEqual({
        app,
        fromElsewhere: false,
      });
    }
  });

  test('the Ingress is class nginx with upload size and rate limits for both NGINX controllers', () => {
    const [ingress, ...more] = ofKind(objects(), 'Ingress');
    expect(more).toEqual([]);
    expect(ingress!.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress!.spec.ingressClassName).toBe('nginx');
    expect(ingress!.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '21m',
      'nginx.org/client-max-body-size': '21m',
      'nginx.ingress.kubernetes.io/limit-rps': expect.any(String),
      'nginx.org/limit-req-rate': expect.stringMatching(/^\d+r\/s$/),
    });
    for (const path of ingress!.spec.rules[0].http.paths) {
      expect(named(objects(), 'Service', path.backend.service.name)).toBeDefined();
    }
  });

  test('the autoscaler may only get and update the scale of the Deployments it scales', () => {
    const role = named(objects(), 'Role', 'lumina-autoscaler')!;
    expect(role.rules).toEqual([
      {
        apiGroups: ['apps'],
        resources: ['deployments/scale'],
        resourceNames: ['timeline', 'search', 'media-worker'],
        verbs: ['get', 'update'],
      },
    ]);
    const binding = named(objects(), 'RoleBinding', 'lumina-autoscaler')!;
    const deployment = named(objects(), 'Deployment', 'lumina-autoscaler')!;
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'lumina-autoscaler' });
    expect((binding.subjects as Loose[])[0]).toMatchObject({ kind: 'ServiceAccount', name: podSpec(deployment).serviceAccountName });
    expect(ofKind(objects(), 'ClusterRole')).toEqual([]);
    // Nothing else gets the Kubernetes API token mounted.
    for (const w of workloads(objects()).filter((x) => x !== deployment)) expect(podSpec(w).automountServiceAccountToken).toBe(false);
  });

  test("lumina-ops' operator account may read and scale and restart Deployments, nothing more", () => {
    expect(named(objects(), 'Role', 'lumina-operator')!.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'update'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list'] },
    ]);
    expect(named(objects(), 'ServiceAccount', 'lumina-operator')!.automountServiceAccountToken).toBe(false);
    expect((named(objects(), 'RoleBinding', 'lumina-operator')!.subjects as Loose[])[0]).toMatchObject({
      kind: 'ServiceAccount',
      name: 'lumina-operator',
    });
  });

  test('every Secret a pod refers to is generated', () => {
    const secrets = new Set(ofKind(objects(), 'Secret').map((s) => s.metadata.name));
    for (const w of workloads(objects())) {
      const spec = JSON.stringify(podSpec(w));
      const refs = [
        ...spec.matchAll(/"secretKeyRef":\{"name":"([^"]+)"/g),
        ...spec.matchAll(/"secretName":"([^"]+)"/g),
        ...spec.matchAll(/"secretRef":\{"name":"([^"]+)"/g),
      ].map((m) => m[1]!);
      for (const ref of refs)
        expect({ workload: w.metadata.name, ref, exists: secrets.has(ref) }).toEqual({ workload: w.metadata.name, ref, exists: true });
    }
  });
});

describe('NATS', () => {
  test('the StatefulSet runs the pinned release; install-tools.sh and versions.ts agree', () => {
    for (const overlay of OVERLAYS) {
      const nats = named(rendered[overlay], 'StatefulSet', 'nats')!;
      expect(nats.spec.replicas).toBe(3);
      expect(podSpec(nats).containers[0].image).toBe(`nats:${PINNED_NATS_VERSION}-alpine`);
    }
    const installTools = readFileSync(join(REPO, 'scripts', 'install-tools.sh'), 'utf8');
    expect(installTools).toContain(`NATS_VERSION="\${NATS_VERSION:-v${PINNED_NATS_VERSION}}"`);
  });

  test('the server config fsyncs every write and is accepted by nats-server itself', () => {
    const config = named(rendered.base, 'ConfigMap', 'nats-config')!.data!['nats.conf']!;
    expect(config).toMatch(/^\s*sync_interval:\s*always\s*$/m);
    expect(config).toMatch(/store_dir:\s*\/data\/jetstream/);
    const natsServer = join(binDir(), 'nats-server');
    expect(existsSync(natsServer)).toBe(true); // built by scripts/install-tools.sh, like the test servers
    const dir = mkdtempSync(join(tmpdir(), 'nats-conf-'));
    try {
      writeFileSync(join(dir, 'nats.conf'), config);
      const check = spawnSync(natsServer, ['-c', join(dir, 'nats.conf'), '-t'], {
        env: { ...process.env, POD_NAME: 'nats-0', ...Object.fromEntries(clusterNatsUsers().map((u) => [passwordVariable(u.user), 'x'])) },
        encoding: 'utf8',
      });
      expect({ status: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({
        status: 0,
        out: expect.stringMatching(/configuration file .* is valid/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the services create streams with three replicas', () => {
    const config = rendered.base.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('lumina-config'))!;
    expect(config.data).toMatchObject({
      STREAM_REPLICAS: '3',
      NATS_URL: 'nats://nats:4222',
      EVENT_SUBJECT_PREFIX: 'lumina',
      EVENT_STREAM_PREFIX: '',
    });
  });
});

// ---- The overlays on a real API server (support/cluster/: etcd, kube-apiserver, controller
// manager, scheduler, kwok nodes). kwok runs no container: pods become Running and Ready when
// scheduled, so probes and images are not exercised, and nothing routes to a Service.

/** Generous: the cluster shares two cores with the rest of the run. */
const LIVE_TIMEOUT_MS = 240_000;

/** The object kinds the overlays hold (Namespace aside), as kubectl names them. */
const LIVE_KINDS =
  'deployments,statefulsets,services,configmaps,secrets,serviceaccounts,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,' +
  'networkpolicies,poddisruptionbudgets,horizontalpodautoscalers.autoscaling,ingresses,persistentvolumeclaims';

/** A pod that breaks the restricted profile: no securityContext at all (so it may run as root, escalate, keep capabilities). */
const unrestrictedPod = (namespace: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'unrestricted', namespace },
    spec: { containers: [{ name: 'shell', image: 'busybox:1.37' }] },
  });

describe.each(['overlays/dev', 'overlays/prod'] as const)('%s on a real API server', (overlay) => {
  const namespace = `lumina-${overlay.split('/')[1]}`;
  let expected: K8sObject[];
  let applied: KubectlResult;

  beforeAll(async () => {
    const dir = overlayInNamespace(work, overlay, namespace);
    expected = render(dir);
    applied = await kubectlRun(['apply', '--server-side', '--field-manager=lumina-test', '-k', dir]);
  }, 120_000);

  test(
    'every object is accepted, in a namespace that enforces the restricted Pod Security profile',
    async () => {
      // No warning either: Pod Security's `warn` label would name any pod template it would refuse.
      const warnings = applied.stderr.split('\n').filter((line) => /warning/i.test(line));
      expect({ code: applied.code, warnings }).toEqual({ code: 0, warnings: [] });
      const lines = applied.stdout.trim().split('\n');
      expect(lines).toHaveLength(expected.length);
      expect(lines.filter((l) => !l.endsWith(' serverside-applied'))).toEqual([]);
      // Read back from the server: every rendered object is there (the controllers add more).
      const live = (await kubectlJson<{ items: K8sObject[] }>('get', LIVE_KINDS, '-n', namespace)).items.map(
        (o) => `${o.kind}/${o.metadata.name}`,
      );
      const wanted = expected.filter((o) => o.kind !== 'Namespace').map((o) => `${o.kind}/${o.metadata.name}`);
      expect(wanted.filter((o) => !live.includes(o))).toEqual([]);
      const ns = await kubectlJson('get', 'namespace', namespace);
      expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    },
    LIVE_TIMEOUT_MS,
  );

  test(
    'every Deployment and StatefulSet reaches its Ready replicas on the kwok nodes, its volume claims bound',
    async () => {
      // The HPA controller raises its Deployments to minReplicas first (it can do that without metrics).
      const hpaMin = Object.fromEntries(
        ofKind(expected, 'HorizontalPodAutoscaler').map((h) => [h.spec.scaleTargetRef.name, h.spec.minReplicas]),
      );
      const ready = await waitForWorkloadsReady(namespace, (w) => (w.spec.replicas ?? 1) >= (hpaMin[w.metadata.name] ?? 1));
      const names = (kind: string) =>
        ready
          .filter((w) => w.kind === kind)
          .map((w) => w.metadata.name)
          .sort();
      expect(names('Deployment')).toEqual(
        ofKind(expected, 'Deployment')
          .map((d) => d.metadata.name)
          .sort(),
      );
      expect(names('StatefulSet')).toEqual(
        ofKind(expected, 'StatefulSet')
          .map((d) => d.metadata.name)
          .sort(),
      );
      for (const w of ready) {
        const want = hpaMin[w.metadata.name] ?? named(expected, w.kind, w.metadata.name)!.spec.replicas ?? 1;
        expect({ workload: `${w.kind}/${w.metadata.name}`, ready: w.status.readyReplicas }).toEqual({
          workload: `${w.kind}/${w.metadata.name}`,
          ready: want,
        });
      }
      const pods = (await kubectlJson<{ items: Loose[] }>('get', 'pods', '-n', namespace)).items;
      for (const pod of pods)
        expect({ pod: pod.metadata.name, node: NODE_NAMES.includes(pod.spec.nodeName) }).toEqual({ pod: pod.metadata.name, node: true });
      const claims = (await kubectlJson<{ items: Loose[] }>('get', 'persistentvolumeclaims', '-n', namespace)).items;
      expect(claims.length).toBeGreaterThan(0);
      for (const c of claims) expect({ claim: c.metadata.name, phase: c.status.phase }).toEqual({ claim: c.metadata.name, phase: 'Bound' });
    },
    LIVE_TIMEOUT_MS,
  );

  test(
    "every Service's endpoints are its workload's Ready pods, on ports the pods declare",
    async () => {
      const services = ofKind(expected, 'Service');
      await waitFor(
        `EndpointSlices of ${services.length} Services in ${namespace}`,
        async () => {
          const [slices, pods] = await Promise.all([
            kubectlJson<{ items: Loose[] }>('get', 'endpointslices', '-n', namespace),
            kubectlJson<{ items: Loose[] }>('get', 'pods', '-n', namespace),
          ]);
          return services.every((svc) => {
            const own = slices.items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
            const selected = pods.items.filter((p) => selects({ matchLabels: svc.spec.selector }, p.metadata.labels));
            const endpoints = own.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
            // A named targetPort only appears in the slice when the pods declare a port of that name.
            const ports = own.flatMap((s) => s.ports ?? []).map((p) => p.name);
            return (
              selected.length > 0 && endpoints.length === selected.length && svc.spec.ports.every((p: Loose) => ports.includes(p.name))
            );
          });
        },
        90_000,
      );
    },
    LIVE_TIMEOUT_MS,
  );

  test(
    'kubectl scale changes a Deployment, and the new pods become Ready',
    async () => {
      await kubectl('scale', 'deployment/timeline', '--replicas=3', '-n', namespace);
      await waitFor(
        'timeline at 3 Ready replicas',
        async () => (await kubectlJson('get', 'deployment/timeline', '-n', namespace)).status.readyReplicas === 3,
        60_000,
      );
      const pods = (await kubectlJson<{ items: Loose[] }>('get', 'pods', '-n', namespace, '-l', 'app.kubernetes.io/name=timeline')).items;
      expect(pods.filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(3);
    },
    LIVE_TIMEOUT_MS,
  );

  test(
    'the HPAs are stored as autoscaling/v2; without a metrics server (none runs here) they report CPU unavailable',
    async () => {
      const hpas = JSON.parse(await kubectl('get', '--raw', `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`));
      expect(hpas.items.map((h: Loose) => h.metadata.name).sort()).toEqual(
        ofKind(expected, 'HorizontalPodAutoscaler')
          .map((h) => h.metadata.name)
          .sort(),
      );
      for (const h of hpas.items)
        expect(h.spec.metrics[0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } });
      expect((await kubectlRun(['get', '--raw', '/apis/metrics.k8s.io/v1beta1'])).code).not.toBe(0);
      await waitFor(
        'every HPA reporting that it cannot read CPU',
        async () => {
          const items = (await kubectlJson<{ items: Loose[] }>('get', 'horizontalpodautoscalers.autoscaling', '-n', namespace)).items;
          return items.every((h) =>
            (h.status?.conditions ?? []).some(
              (c: Loose) => c.type === 'ScalingActive' && c.status === 'False' && c.reason === 'FailedGetResourceMetric',
            ),
          );
        },
        90_000,
      );
    },
    LIVE_TIMEOUT_MS,
  );

  test(
    'a pod that breaks the restricted profile is refused by the real admission (and accepted where nothing is enforced)',
    async () => {
      const refused = await kubectlRun(['apply', '-f', '-'], { input: unrestrictedPod(namespace) });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
      expect((await kubectlRun(['get', 'pod/unrestricted', '-n', namespace])).code).not.toBe(0);
      // The control: the same pod in a namespace without the label is accepted.
      const open = `${namespace}-unenforced`;
      await kubectl('create', 'namespace', open);
      const accepted = await kubectlRun(['apply', '-f', '-'], { input: unrestrictedPod(open) });
      expect({ code: accepted.code, stdout: accepted.stdout.trim() }).toEqual({ code: 0, stdout: 'pod/unrestricted created' });
    },
    LIVE_TIMEOUT_MS,
  );
});

test('no secret is committed', () => {
  const tracked = execFileSync('git', ['ls-files', 'infra/k8s'], { cwd: REPO, encoding: 'utf8' }).split('\n');
  expect(tracked.filter((f) => f.startsWith('infra/k8s/secrets/') || /\.(pem|env)$/.test(f))).toEqual([]);
  expect(readFileSync(join(REPO, 'infra', 'k8s', '.gitignore'), 'utf8')).toMatch(/^secrets\/$/m);
});

// ---- NetworkPolicy evaluation (same namespace, the subset of the API these manifests use) -----

type Port = { name?: string; containerPort: number };
type Peer = { podSelector?: Loose; namespaceSelector?: Loose; ipBlock?: unknown };
type Rule = { to?: Peer[]; from?: Peer[]; ports?: Array<{ port?: number | string; protocol?: string }> };

const LUMINA_NS = { 'kubernetes.io/metadata.name': 'lumina' };

function portMatches(rule: Rule, port: Port): boolean {
  return !rule.ports || rule.ports.some((p) => p.port === undefined || p.port === port.containerPort || p.port === port.name);
}

function peerMatches(peers: Peer[] | undefined, podLabels: Record<string, string>, nsLabels: Record<string, string>): boolean {
  if (!peers) return true;
  return peers.some((p) => {
    if (p.ipBlock) return false; // these manifests use none for pods
    const nsOk = p.namespaceSelector
      ? selects(p.namespaceSelector, nsLabels) || Object.keys(p.namespaceSelector).length === 0
      : nsLabels === LUMINA_NS;
    const podOk = p.podSelector ? Object.keys(p.podSelector).length === 0 || selects(p.podSelector, podLabels) : true;
    return nsOk && podOk;
  });
}

function egressAllowed(policies: K8sObject[], from: K8sObject, to: K8sObject, port: Port): boolean {
  const applying = policies.filter(
    (p) =>
      p.spec.policyTypes.includes('Egress') &&
      (Object.keys(p.spec.podSelector).length === 0 || selects(p.spec.podSelector, podLabels(from))),
  );
  if (applying.length === 0) return true;
  return applying.some((p) => (p.spec.egress ?? []).some((r: Rule) => peerMatches(r.to, podLabels(to), LUMINA_NS) && portMatches(r, port)));
}

function ingressAllowed(
  policies: K8sObject[],
  to: K8sObject,
  fromNs: Record<string, string>,
  fromPod: Record<string, string>,
  port: Port = { name: 'http', containerPort: 3000 },
): boolean {
  const applying = policies.filter(
    (p) =>
      p.spec.policyTypes.includes('Ingress') &&
      (Object.keys(p.spec.podSelector).length === 0 || selects(p.spec.podSelector, podLabels(to))),
  );
  if (applying.length === 0) return true;
  const ports = podSpec(to).containers[0].ports as Port[];
  const real = ports.find((p) => p.name === port.name) ?? port;
  return applying.some((p) => (p.spec.ingress ?? []).some((r: Rule) => peerMatches(r.from, fromPod, fromNs) && portMatches(r, real)));
}

function connectionAllowed(policies: K8sObject[], from: K8sObject, to: K8sObject, port: Port): boolean {
  return egressAllowed(policies, from, to, port) && ingressAllowed(policies, to, LUMINA_NS, podLabels(from), port);
}
