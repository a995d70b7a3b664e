module.exports = { ...require('../jest.preset'), displayName: 'e2e', testTimeout: 120_000 };
