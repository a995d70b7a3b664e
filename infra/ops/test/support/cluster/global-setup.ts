/**
 * Jest globalSetup of infra/ops: the run's servers (what every workspace's globalSetup does),
 * then one Kubernetes control plane for all of this project's test files (./control-plane.ts).
 * Each file works in namespaces of its own. If the control plane cannot start, the reason goes
 * to the test files, which fail with it (testCluster()); the offline tests still run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane, type ControlPlaneTools, type RunningControlPlane } from './control-plane';
import { testKit, type JestProjectConfig } from './test-kit';

declare global {
  var __luminaCluster: RunningControlPlane | undefined;
}

export default async function globalSetup(_globalConfig: unknown, project: JestProjectConfig): Promise<void> {
  const kit = testKit(project);
  const { default: startServers } = (await import(kit.globalSetup)) as { default: () => Promise<void> };
  await startServers();
  if (process.env.LUMINA_TEST_CLUSTER || process.env.LUMINA_TEST_CLUSTER_ERROR) return;
  const started = Date.now();
  try {
    const cluster = await startControlPlane((await import(kit.servers)) as ControlPlaneTools);
    globalThis.__luminaCluster = cluster;
    const file = join(cluster.info.dir, 'cluster.json');
    writeFileSync(file, JSON.stringify(cluster.info), { mode: 0o600 });
    process.env.LUMINA_TEST_CLUSTER = file;
    process.stderr.write(
      `\n[test cluster] Kubernetes control plane and kwok nodes ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cluster.info.server}\n`,
    );
  } catch (err) {
    process.env.LUMINA_TEST_CLUSTER_ERROR = (err as Error).message;
    process.stderr.write(`\n[test cluster] not started: ${(err as Error).message}\n`);
  }
}
