/**
 * Renders the kustomize overlays the way `kubectl apply -k` would, with the real kustomize
 * binary (scripts/install-tools.sh builds it), into plain objects. The secrets come from
 * scripts/gen-secrets.sh run into a scratch copy, so the working tree is never touched.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { binDir } from '@lumina/common/testing';

export const REPO = join(__dirname, '..', '..', '..', '..');
export const OVERLAYS = ['base', 'overlays/dev', 'overlays/prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Rendered YAML is untyped; the tests read it by path and let the assertions do the checking. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Loose;
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** kustomize from the tools directory or PATH; built by scripts/install-tools.sh when missing. */
export function kustomizeBinary(): string {
  const find = () =>
    [join(binDir(), 'kustomize'), ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'kustomize'))].find((c) => existsSync(c));
  let found = find();
  if (!found) {
    // Test files render in parallel: one builds, the others wait on the lock, then find it.
    execFileSync('flock', [join(tmpdir(), 'lumina-install-tools.lock'), 'bash', join(REPO, 'scripts', 'install-tools.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    found = find();
  }
  if (!found) throw new Error('kustomize not found: run scripts/install-tools.sh (it builds kustomize into ~/.cache/lumina/bin)');
  return found;
}

/** A scratch copy of infra/k8s (and infra/grafana) with freshly generated secrets (the working tree's are never used). */
export function scratchManifests(): { work: string; cleanup: () => void } {
  const work = mkdtempSync(join(tmpdir(), 'lumina-k8s-manifests-'));
  cpSync(join(REPO, 'infra', 'k8s'), join(work, 'k8s'), { recursive: true, filter: (src) => !src.includes(`${join('k8s', 'secrets')}`) });
  // The base includes the dashboards' kustomization (../../grafana) as well.
  cpSync(join(REPO, 'infra', 'grafana'), join(work, 'grafana'), { recursive: true });
  execFileSync(join(REPO, 'scripts', 'gen-secrets.sh'), [join(work, 'k8s', 'secrets')], { stdio: 'pipe' });
  return { work, cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

/**
 * A kustomization in the scratch copy that puts an overlay into a namespace of its own (kustomize
 * renames the Namespace object and every namespaced reference), so several can share one cluster.
 * Answers its directory, for `kubectl apply -k`.
 */
export function overlayInNamespace(work: string, overlay: Overlay, namespace: string): string {
  const dir = join(work, `in-${namespace}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${namespace}\nresources:\n  - ../k8s/${overlay}\n`,
  );
  return dir;
}

/** Renders a kustomization directory with the real kustomize into plain objects. */
export function render(dir: string): K8sObject[] {
  const yaml = execFileSync(kustomizeBinary(), ['build', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return parseAllDocuments(yaml)
    .map((d) => d.toJSON() as K8sObject)
    .filter(Boolean);
}

export function renderAll(): { rendered: Record<Overlay, K8sObject[]>; work: string; cleanup: () => void } {
  const { work, cleanup } = scratchManifests();
  const rendered = {} as Record<Overlay, K8sObject[]>;
  for (const overlay of OVERLAYS) rendered[overlay] = render(join(work, 'k8s', overlay));
  return { rendered, work, cleanup };
}

export const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
export const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

/** Do a selector's matchLabels (and In-expressions) select these labels? */
export function selects(
  selector:
    { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === 'In') return e.values?.includes(labels[e.key] ?? '\u0000') ?? false;
    if (e.operator === 'NotIn') return !(e.values ?? []).includes(labels[e.key] ?? '\u0000');
    if (e.operator === 'Exists') return e.key in labels;
    if (e.operator === 'DoesNotExist') return !(e.key in labels);
    return false;
  });
  return byLabels && byExpressions;
}

/** Pods' labels of every workload (Deployments and StatefulSets), by workload name. */
export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
}
