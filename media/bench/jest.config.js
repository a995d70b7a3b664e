// The claim-cost measurement (not part of `npm test`): npx jest -c media/bench/jest.config.js
const path = require('node:path');
module.exports = {
  ...require('../../jest.preset'),
  rootDir: path.join(__dirname, '..'),
  testMatch: ['<rootDir>/bench/**/*.measure.ts'],
  displayName: 'media-bench',
};
