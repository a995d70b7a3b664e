module.exports = { ...require('../jest.preset'), displayName: 'search' };
