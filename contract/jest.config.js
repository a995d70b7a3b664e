// The contract's own tests need no servers of the run (they start their own HTTP server): the
// preset's transform and module names, without its global set-up of databases and NATS.
const preset = require('../jest.preset');

module.exports = {
  ...preset,
  displayName: 'contract',
  globalSetup: undefined,
  globalTeardown: undefined,
  setupFilesAfterEnv: [],
};
