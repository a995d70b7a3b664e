/**
 * The test files' handle on the run's Kubernetes control plane (started by ./global-setup.ts,
 * see ./control-plane.ts): kubectl as the admin, tokens for a ServiceAccount, a second API server.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@lumina/common/testing';
import { apiRequest, startApiServer, waitFor, writeKubeconfig, type ApiObject, type ClusterInfo, type Daemon } from './control-plane';

export { NODE_NAMES, waitFor, type ApiObject, type ClusterInfo } from './control-plane';

/** The cluster of this run; throws why there is none (binaries missing, a server that would not start). */
export function testCluster(): ClusterInfo {
  const failure = process.env.LUMINA_TEST_CLUSTER_ERROR;
  if (failure) throw new Error(`no Kubernetes control plane for this run: ${failure}`);
  const file = process.env.LUMINA_TEST_CLUSTER;
  if (!file) throw new Error('no Kubernetes control plane: run these tests through infra/ops/jest.config.js (its globalSetup starts one)');
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against the cluster (the admin's kubeconfig unless another is given); never throws. */
export function kubectlRun(args: string[], options: { kubeconfig?: string; input?: string } = {}): Promise<KubectlResult> {
  const cluster = testCluster();
  return new Promise((resolve) => {
    const child = execFile(
      cluster.bin.kubectl,
      // Its discovery cache in the run's directory, not ~/.kube.
      [`--kubeconfig=${options.kubeconfig ?? cluster.kubeconfig}`, `--cache-dir=${join(cluster.dir, 'kubectl-cache')}`, ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** kubectl that must succeed: its output, or an error carrying its stderr. */
export async function kubectl(...args: string[]): Promise<string> {
  const result = await kubectlRun(args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

export async function kubectlJson<T = ApiObject>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T;
}

/**
 * A token for a ServiceAccount from the TokenRequest API (`kubectl create token`, what the
 * kubelet mounts into a pod), so calls made with it are authorised by that account's RBAC alone.
 */
export async function serviceAccountToken(namespace: string, serviceAccount: string): Promise<string> {
  return (await kubectl('create', 'token', serviceAccount, '-n', namespace, '--duration=1h')).trim();
}

/** A kubeconfig for a bearer token, on the run's API server or another one (a SpareApiServer). */
export function tokenKubeconfig(file: string, token: string, namespace: string, server = testCluster().server): string {
  return writeKubeconfig(file, { server, caFile: testCluster().caFile }, 'lumina-test-user', token, namespace);
}

/** A JSON call to the API server as the admin. */
export function adminRequest(method: string, path: string, body?: unknown) {
  const cluster = testCluster();
  return apiRequest(cluster, cluster.adminToken, method, path, body);
}

/**
 * A second kube-apiserver on the cluster's etcd, for a test to stop and start again: a real
 * API server going away, without taking the run's shared one from the other test files.
 */
export class SpareApiServer {
  private daemon?: Daemon;

  private constructor(
    readonly port: number,
    readonly server: string,
  ) {}

  static async start(): Promise<SpareApiServer> {
    const port = await freePort();
    const spare = new SpareApiServer(port, `https://127.0.0.1:${port}`);
    await spare.resume();
    return spare;
  }

  async pause(): Promise<void> {
    await this.daemon?.stop();
    this.daemon = undefined;
  }

  async resume(): Promise<void> {
    this.daemon = await startApiServer(testCluster(), this.port, 'spare-kube-apiserver');
  }

  stop(): Promise<void> {
    return this.pause();
  }
}

/**
 * Waits until every Deployment and StatefulSet in the namespace has as many Ready pods as it
 * wants (and `also` holds for each); answers them as the server last reported.
 */
export async function waitForWorkloadsReady(
  namespace: string,
  also: (workload: ApiObject) => boolean = () => true,
  timeoutMs = 180_000,
): Promise<Array<ApiObject>> {
  let last: Array<ApiObject> = [];
  const ready = (w: ApiObject) =>
    w.status?.observedGeneration >= w.metadata.generation && (w.status?.readyReplicas ?? 0) === (w.spec.replicas ?? 1) && also(w);
  await waitFor(
    `every Deployment and StatefulSet in ${namespace} Ready`,
    async () => {
      last = (await kubectlJson<{ items: Array<ApiObject> }>('get', 'deployments,statefulsets', '-n', namespace)).items;
      return last.length > 0 && last.every(ready);
    },
    timeoutMs,
  ).catch((err: Error) => {
    const waiting = last
      .filter((w) => !ready(w))
      .map((w) => {
        // A Deployment whose pods were refused (admission, quota) says why in its conditions.
        const failures = (w.status?.conditions ?? []).filter((c: ApiObject) => c.status !== 'True' || c.type === 'ReplicaFailure');
        const why = failures.map((c: ApiObject) => ` (${c.type}: ${c.message})`).join('');
        return `${w.kind}/${w.metadata.name} ${w.status?.readyReplicas ?? 0}/${w.spec.replicas ?? 1}${why}`;
      });
    throw new Error(`${err.message}; still waiting: ${waiting.join(', ')}`);
  });
  return last;
}
