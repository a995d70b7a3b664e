// kubernetes-models and its @kubernetes-models/* helpers export only under the "import" condition;
// Jest's CommonJS resolver asks for "require". For those packages (which SWC then transforms to
// CommonJS, see jest.config.js) resolve as an import would.
const importOnly = /^(kubernetes-models|@kubernetes-models\/[^/]+)(\/|$)/;

module.exports = (request, options) =>
  options.defaultResolver(request, importOnly.test(request) ? { ...options, conditions: ['import', 'default', 'node'] } : options);
