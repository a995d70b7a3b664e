// Shared Jest settings for every workspace: TypeScript through SWC (type-checking is `npm run
// typecheck`'s job), the @lumina packages from source (common, the contract, each service's
// `testing` export, the data sets, the one-machine launcher), and one globalSetup that finds or
// starts the real servers (MySQL, NATS JetStream, a MongoDB-protocol server) for the whole run.
const path = require('node:path');

const root = __dirname;
const common = path.join(root, 'common', 'src');
const contract = path.join(root, 'contract', 'src');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@lumina/common$': path.join(common, 'index.ts'),
    '^@lumina/contract$': path.join(contract, 'index.ts'),
    '^@lumina/common/testing$': path.join(common, 'testing', 'index.ts'),
    '^@lumina/(auth|posts|media|search|timeline)/testing$': path.join(root, '$1', 'src', 'testing.ts'),
    '^@lumina/datasets$': path.join(root, 'datasets', 'src', 'index.ts'),
    '^@lumina/local$': path.join(root, 'infra', 'local', 'system.ts'),
    '^@lumina/local/(routes|seed)$': path.join(root, 'infra', 'local', '$1.ts'),
    '^@lumina/bench/rolling$': path.join(root, 'bench', 'src', 'rolling', 'index.ts'),
  },
  globalSetup: path.join(common, 'testing', 'global-setup.ts'),
  // Every answer a test provokes is checked against @lumina/contract; a violation fails the test.
  setupFilesAfterEnv: [path.join(common, 'testing', 'contract-check.ts')],
  globalTeardown: path.join(common, 'testing', 'global-teardown.ts'),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30_000,
};
