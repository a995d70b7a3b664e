/**
 * Where the shared test kit's server set-up lives, as infra/ops/jest.config.js passes it in the
 * project's `globals` (taken from jest.preset.js, the one place that knows it). Jest loads a
 * globalSetup, and what it imports, by Node's own resolution without the preset's
 * moduleNameMapper, and @lumina/common's package exports point at its build, which a clean clone
 * does not have; so the globalSetup imports the kit's source files by these paths instead.
 */
export interface JestProjectConfig {
  globals: Record<string, unknown>;
}

export interface TestKitPaths {
  /** The preset's globalSetup: finds or starts MySQL, NATS, the MongoDB-protocol server, Redis. */
  globalSetup: string;
  globalTeardown: string;
  /** The module with binDir() and freePort(). */
  servers: string;
}

export function testKit(project: JestProjectConfig): TestKitPaths {
  const kit = project.globals.luminaTestKit as TestKitPaths | undefined;
  if (!kit) throw new Error('infra/ops/jest.config.js must pass globals.luminaTestKit (the test kit paths)');
  return kit;
}
