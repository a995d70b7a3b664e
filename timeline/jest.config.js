module.exports = { ...require('../jest.preset'), displayName: 'timeline' };
