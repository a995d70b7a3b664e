/** Lumina's dev overlay deployed into a namespace of the run's cluster, for the lumina-ops tests. */
import { kubectl, kubectlJson, kubectlRun, waitForWorkloadsReady } from './cluster';
import { overlayInNamespace, scratchManifests } from './render';

/** Applies infra/k8s/overlays/dev into `namespace` and waits until its pods are Ready on the kwok nodes. */
export async function deployLumina(namespace: string): Promise<void> {
  const { work, cleanup } = scratchManifests();
  try {
    await kubectl('apply', '--server-side', '--field-manager=lumina-test', '-k', overlayInNamespace(work, 'overlays/dev', namespace));
  } finally {
    cleanup();
  }
  await waitForWorkloadsReady(namespace);
}

/** A Deployment's replica count as the API server has it. */
export async function replicasOf(namespace: string, deployment: string): Promise<number> {
  return (await kubectlJson('get', `deployment/${deployment}`, '-n', namespace)).spec.replicas as number;
}

/** Sets replica counts as the admin (the arrange step of a test). */
export async function setReplicas(namespace: string, counts: Record<string, number>): Promise<void> {
  for (const [deployment, replicas] of Object.entries(counts)) {
    await kubectl('scale', `deployment/${deployment}`, `--replicas=${replicas}`, '-n', namespace);
  }
}

/**
 * What `kubectl auth can-i` answers for a ServiceAccount (the API server's own authorisation
 * check, impersonated by the admin): `canI(ns, sa, 'update', 'deployments/timeline', '--subresource=scale')`.
 */
export async function canI(namespace: string, serviceAccount: string, ...question: string[]): Promise<boolean> {
  // The namespace first: a --namespace in the question (about another namespace) comes later and wins.
  const result = await kubectlRun([
    'auth',
    'can-i',
    '-n',
    namespace,
    `--as=system:serviceaccount:${namespace}:${serviceAccount}`,
    ...question,
  ]);
  return result.stdout.trim() === 'yes';
}
