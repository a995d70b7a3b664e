import stopServers from '../../../../../common/src/testing/global-teardown';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__luminaCluster?.stop();
  globalThis.__luminaCluster = undefined;
  await stopServers();
}
