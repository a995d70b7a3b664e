// Component tests: React in jsdom, no servers. The root jest.preset.js is for the services
// (it starts NATS and the databases in globalSetup); the client needs none of that.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'client',
  rootDir: __dirname,
  testEnvironment: 'jsdom',
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          transform: { react: { runtime: 'automatic' } },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: {
    '\\.css$': '<rootDir>/test/support/style-stub.js',
    // The typed API client from @lumina/contract's sources, as vite.config.ts bundles it.
    '^@lumina/contract/client$': '<rootDir>/../contract/src/client.ts',
  },
  setupFilesAfterEnv: ['<rootDir>/test/support/setup.ts'],
  testMatch: ['<rootDir>/test/**/*.test.ts?(x)'],
  testTimeout: 15_000,
};
