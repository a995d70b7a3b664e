// `npm test` runs every workspace's tests in one Jest run (see scripts/test.mjs).
module.exports = {
  projects: ['contract', 'common', 'client', 'auth', 'posts', 'media', 'search', 'timeline', 'infra/ops', 'infra/local', 'e2e', 'chaos']
    .filter((p) => require('node:fs').existsSync(require('node:path').join(__dirname, p, 'jest.config.js')))
    .map((p) => `<rootDir>/${p}`),
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
};
