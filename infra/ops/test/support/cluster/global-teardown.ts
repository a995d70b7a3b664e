import { testKit, type JestProjectConfig } from './test-kit';

export default async function globalTeardown(_globalConfig: unknown, project: JestProjectConfig): Promise<void> {
  await globalThis.__luminaCluster?.stop();
  globalThis.__luminaCluster = undefined;
  const { default: stopServers } = (await import(testKit(project).globalTeardown)) as { default: () => Promise<void> };
  await stopServers();
}
