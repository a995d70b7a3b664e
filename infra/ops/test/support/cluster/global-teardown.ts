// eslint-disable-next-line lumina/no-cross-workspace-imports -- Jest loads a globalSetup (and what it imports) by Node's own resolution, without moduleNameMapper, and @lumina/common's exports point at its build
import stopServers from '../../../../../common/src/testing/global-teardown';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__luminaCluster?.stop();
  globalThis.__luminaCluster = undefined;
  await stopServers();
}
