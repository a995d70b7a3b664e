/**
 * The Kubernetes calls the tool makes, through @kubernetes/client-node. Kept to a few verbs so
 * the autoscaler's Role can stay at `get` and `update` on `deployments/scale`.
 */
import { ApiException, AppsV1Api, AutoscalingV2Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export interface DeploymentSummary {
  name: string;
  desired: number;
  ready: number;
  updated: number;
  available: number;
}

export interface AutoscalerSummary {
  name: string;
  target: string;
  min: number;
  max: number;
  current: number;
  desired: number;
}

export interface Scale {
  replicas: number;
  resourceVersion?: string;
}

/** A failed Kubernetes call, with the HTTP status when there was one. */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

/** The message of a Kubernetes Status body, however the client handed it over. */
function statusMessage(body: unknown): string {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body ? ` ${body.slice(0, 200)}` : '';
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? ` (${message})` : '';
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiException) {
      throw new KubeError(`${what}: HTTP ${err.code}${statusMessage(err.body)}`, err.code);
    }
    throw new KubeError(`${what}: ${(err as Error).message}`);
  }
}

export class Kube {
  private readonly apps: AppsV1Api;
  private readonly autoscaling: AutoscalingV2Api;

  constructor(
    kubeConfig: KubeConfig,
    readonly namespace: string,
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
  }

  /** In a pod: its service account; elsewhere: $KUBECONFIG or ~/.kube/config. */
  static fromDefault(namespace: string): Kube {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new Kube(kc, namespace);
  }

  async getScale(deployment: string): Promise<Scale> {
    const scale = await call(`get deployments/${deployment}/scale`, () =>
      this.apps.readNamespacedDeploymentScale({ name: deployment, namespace: this.namespace }),
    );
    return { replicas: scale.spec?.replicas ?? 0, resourceVersion: scale.metadata?.resourceVersion };
  }

  /**
   * Sets the replica count through the scale subresource (verb `update`). With the
   * resourceVersion read before, a concurrent change makes this fail (409) instead of
   * overwriting a decision it did not see.
   */
  async setScale(deployment: string, replicas: number, resourceVersion?: string): Promise<void> {
    await call(`update deployments/${deployment}/scale`, () =>
      this.apps.replaceNamespacedDeploymentScale({
        name: deployment,
        namespace: this.namespace,
        body: {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name: deployment, namespace: this.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
          spec: { replicas },
        },
      }),
    );
  }

  /** What `kubectl rollout restart` does: a new pod-template annotation rolls every pod. */
  async restart(deployment: string, at: Date = new Date()): Promise<void> {
    await call(`patch deployments/${deployment}`, () =>
      this.apps.patchNamespacedDeployment(
        {
          name: deployment,
          namespace: this.namespace,
          body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
  }

  async listDeployments(): Promise<DeploymentSummary[]> {
    const list = await call('list deployments', () =>
      this.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector: 'app.kubernetes.io/part-of=lumina' }),
    );
    return list.items
      .map((d) => ({
        name: d.metadata?.name ?? '?',
        desired: d.spec?.replicas ?? 0,
        ready: d.status?.readyReplicas ?? 0,
        updated: d.status?.updatedReplicas ?? 0,
        available: d.status?.availableReplicas ?? 0,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async listAutoscalers(): Promise<AutoscalerSummary[]> {
    const list = await call('list horizontalpodautoscalers', () =>
      this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: this.namespace }),
    );
    return list.items.map((h) => ({
      name: h.metadata?.name ?? '?',
      target: h.spec?.scaleTargetRef.name ?? '?',
      min: h.spec?.minReplicas ?? 1,
      max: h.spec?.maxReplicas ?? 0,
      current: h.status?.currentReplicas ?? 0,
      desired: h.status?.desiredReplicas ?? 0,
    }));
  }
}
