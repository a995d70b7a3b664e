// The short chaos run (a few hundred events, a few faults of each kind) inside `npm test`.
module.exports = { ...require('../jest.preset'), displayName: 'chaos', rootDir: __dirname, testTimeout: 300_000 };
