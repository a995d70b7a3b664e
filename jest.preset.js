// Shared Jest settings for every workspace: TypeScript through SWC (type-checking is `npm run
// typecheck`'s job), @lumina/common and @lumina/contract from source, and one globalSetup that finds or starts the
// real servers (MySQL, NATS JetStream, a MongoDB-protocol server) for the whole run.
const path = require('node:path');

const common = path.join(__dirname, 'common', 'src');
const contract = path.join(__dirname, 'contract', 'src');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@lumina/common$': path.join(common, 'index.ts'),
    '^@lumina/contract$': path.join(contract, 'index.ts'),
    '^@lumina/common/testing$': path.join(common, 'testing', 'index.ts'),
  },
  globalSetup: path.join(common, 'testing', 'global-setup.ts'),
  // Every answer a test provokes is checked against @lumina/contract; a violation fails the test.
  setupFilesAfterEnv: [path.join(common, 'testing', 'contract-check.ts')],
  globalTeardown: path.join(common, 'testing', 'global-teardown.ts'),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 30_000,
};
