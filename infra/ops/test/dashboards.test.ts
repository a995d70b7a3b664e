// The Grafana dashboards (infra/grafana/*.json) as the manifests ship them: every dashboard file
// is in a ConfigMap of its own labelled for Grafana's sidecar, in every overlay, byte for byte;
// each is a valid dashboard by Grafana's own model; every process that serves /metrics carries
// the scrape annotations for its metrics port; and the optional monitoring component (PodMonitor,
// NetworkPolicy) scrapes exactly those pods and lets Prometheus reach them. That every metric a
// dashboard queries is one a service exports is e2e/test/dashboards.test.ts (real services).
import { appendFileSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { OVERLAYS, REPO, ofKind, render, renderAll, selects, workloads, type K8sObject, type Loose, type Overlay } from './support/render';

const GRAFANA_DIR = join(REPO, 'infra', 'grafana');
const dashboardFiles = () => readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json'));
const SIDECAR_LABEL = { grafana_dashboard: '1' };

let rendered: Record<Overlay, K8sObject[]>;
let work: string;
let cleanup: () => void;
beforeAll(() => ({ rendered, work, cleanup } = renderAll()));
afterAll(() => cleanup?.());

/** The ConfigMaps Grafana's sidecar loads: the label, and each data key a dashboard file. */
const sidecarConfigMaps = (objects: K8sObject[]) =>
  ofKind(objects, 'ConfigMap').filter((c) => selects({ matchLabels: SIDECAR_LABEL }, c.metadata.labels));

/** Pods whose process serves /metrics: every Lumina image but the client (static files from NGINX). */
const servesMetrics = (w: K8sObject) =>
  w.kind === 'Deployment' && w.spec.template.spec.containers.some((c: Loose) => /^lumina\/(?!client$)/.test(c.image));

test('infra/grafana holds the overview and one dashboard per service, each with its own uid and title', () => {
  expect(dashboardFiles()).toEqual(
    expect.arrayContaining(['overview', 'auth', 'posts', 'media', 'search', 'timeline'].map((name) => `lumina-${name}.json`)),
  );
  const dashboards = dashboardFiles().map((f) => JSON.parse(readFileSync(join(GRAFANA_DIR, f), 'utf8')));
  expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
  expect(new Set(dashboards.map((d) => d.title)).size).toBe(dashboards.length);
});

describe.each(OVERLAYS)('%s', (overlay) => {
  test('every dashboard file is in a ConfigMap of its own, labelled for the Grafana sidecar, byte for byte', () => {
    const maps = sidecarConfigMaps(rendered[overlay]);
    for (const map of maps)
      expect({ map: map.metadata.name, keys: Object.keys(map.data ?? {}).length }).toEqual({ map: map.metadata.name, keys: 1 });
    const shipped = new Map(maps.flatMap((m) => Object.entries(m.data ?? {})));
    expect([...shipped.keys()].sort()).toEqual(dashboardFiles().sort());
    for (const file of dashboardFiles())
      expect({ file, same: shipped.get(file) === readFileSync(join(GRAFANA_DIR, file), 'utf8') }).toEqual({ file, same: true });
    // No hash suffix: a renamed ConfigMap would leave the old one for the sidecar to load twice.
    for (const map of maps) expect(map.metadata.name).toMatch(/^lumina-dashboard-[a-z]+$/);
  });

  test('every process that serves /metrics carries the scrape annotations for its metrics port', () => {
    const scraped = workloads(rendered[overlay]).filter(servesMetrics);
    expect(scraped.map((w) => w.metadata.name).sort()).toEqual(
      ['auth', 'posts', 'media', 'media-worker', 'search', 'timeline', 'lumina-autoscaler'].sort(),
    );
    for (const w of scraped) {
      const port = w.spec.template.spec.containers[0].ports.find((p: Loose) => p.name === 'http')?.containerPort;
      expect({ workload: w.metadata.name, ...w.spec.template.metadata.annotations }).toMatchObject({
        workload: w.metadata.name,
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
        'prometheus.io/path': '/metrics',
      });
    }
    // The client's NGINX serves no /metrics: no annotation sends Prometheus to a 404.
    for (const w of workloads(rendered[overlay]).filter((w) => !servesMetrics(w)))
      expect({ workload: w.metadata.name, scrape: w.spec.template.metadata.annotations?.['prometheus.io/scrape'] }).toEqual({
        workload: w.metadata.name,
        scrape: undefined,
      });
  });

  test('needs no CRD: the PodMonitor is only in the optional component', () => {
    expect(rendered[overlay].filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
  });
});

describe('the monitoring component, added to the dev overlay', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    // As infra/README.md says to: the dev overlay with the component in its `components:`.
    const dir = join(work, 'k8s', 'overlays', 'dev-with-monitoring');
    cpSync(join(work, 'k8s', 'overlays', 'dev'), dir, { recursive: true });
    appendFileSync(join(dir, 'kustomization.yaml'), 'components:\n  - ../../components/monitoring\n');
    objects = render(dir);
  });

  test('one PodMonitor scrapes exactly the annotated pods, on their metrics port and path, with job = app.kubernetes.io/name', () => {
    const [monitor, ...more] = ofKind(objects, 'PodMonitor');
    expect(more).toEqual([]);
    expect(monitor!.metadata.namespace).toBe('lumina');
    expect(monitor!.spec.jobLabel).toBe('app.kubernetes.io/name');
    const selected = workloads(objects).filter((w) => selects(monitor!.spec.selector, w.spec.template.metadata.labels));
    const annotated = workloads(objects).filter((w) => w.spec.template.metadata.annotations?.['prometheus.io/scrape'] === 'true');
    expect(selected.map((w) => w.metadata.name).sort()).toEqual(annotated.map((w) => w.metadata.name).sort());
    const [endpoint] = monitor!.spec.podMetricsEndpoints;
    for (const w of selected) {
      const port = w.spec.template.spec.containers[0].ports.find((p: Loose) => p.name === endpoint.port);
      expect({ workload: w.metadata.name, port: String(port?.containerPort), path: endpoint.path }).toEqual({
        workload: w.metadata.name,
        port: w.spec.template.metadata.annotations['prometheus.io/port'],
        path: w.spec.template.metadata.annotations['prometheus.io/path'],
      });
    }
  });

  test('its NetworkPolicy lets the monitoring namespace reach every scraped pod on the metrics port, and only there', () => {
    const policy = ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === 'lumina-metrics-scrape')!;
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const scraped = workloads(objects).filter((w) => w.spec.template.metadata.annotations?.['prometheus.io/scrape'] === 'true');
    for (const w of workloads(objects))
      expect({ workload: w.metadata.name, admitted: selects(policy.spec.podSelector, w.spec.template.metadata.labels) }).toEqual({
        workload: w.metadata.name,
        admitted: scraped.includes(w),
      });
    const [rule, ...moreRules] = policy.spec.ingress;
    expect(moreRules).toEqual([]);
    expect(rule.ports).toEqual([{ port: 'http' }]);
    expect(rule.from.some((peer: Loose) => selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': 'monitoring' }))).toBe(true);
    expect(rule.from.some((peer: Loose) => selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': 'default' }))).toBe(false);
  });
});

describe("Grafana's dashboard model", () => {
  // The JSON schema of the dashboard JSON model, generated from @grafana/schema's `Dashboard`
  // type (raw/dashboard/x/types.gen.d.ts, which Grafana generates from its dashboard kind):
  // interfaces are closed (no unknown property), required fields and enums as Grafana has them.
  let validate: ValidateFunction;
  beforeAll(() => {
    const types = join(
      dirname(require.resolve('@grafana/schema/package.json')),
      'dist',
      'types',
      'raw',
      'dashboard',
      'x',
      'types.gen.d.ts',
    );
    const schema = createGenerator({ path: types, type: 'Dashboard', skipTypeCheck: true, expose: 'none' }).createSchema('Dashboard');
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }, 120_000);

  test.each(dashboardFiles())('%s is a valid dashboard', (file) => {
    const dashboard = JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8'));
    validate(dashboard);
    expect(validate.errors ?? []).toEqual([]);
    expect(dashboard.panels.length).toBeGreaterThan(5);
  });

  test('the schema refuses what Grafana would not load (so the checks above can fail)', () => {
    const dashboard = JSON.parse(readFileSync(join(GRAFANA_DIR, 'lumina-overview.json'), 'utf8'));
    expect(validate({ ...dashboard, schemaVersion: undefined })).toBe(false); // required
    expect(validate({ ...dashboard, graphTooltip: 7 })).toBe(false); // not one of its enum
    expect(validate({ ...dashboard, templating: { list: [{ name: 'x', type: 'query', defintion: 'typo' }] } })).toBe(false); // unknown property
    expect(validate({ ...dashboard, panels: [{ ...dashboard.panels[1], gridPos: { x: 0, y: 0 } }] })).toBe(false); // gridPos needs h and w
  });
});
