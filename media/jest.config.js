module.exports = { ...require('../jest.preset'), displayName: 'media' };
