// infra/ops tests run inside the root `npm test` Jest run like every workspace. Two things differ:
//  - @kubernetes/client-node 2 (and some of its dependencies) ship only as ES
//    modules, so SWC transforms them to CommonJS too instead of leaving node_modules alone;
//  - client-node 2 depends on undici 8, which needs Node >= 22.19 (zstd, newer webidl helpers).
//    The repo's tests run on Node 20, so on older Nodes the tests map `undici` to the undici 7
//    this workspace depends on; same API for what client-node uses (fetch, Agent, ProxyAgent).
// Its globalSetup also starts a Kubernetes control plane for the run (test/support/cluster/).
const path = require('node:path');
const preset = require('../../jest.preset');

const [major, minor] = process.versions.node.split('.').map(Number);
const needsUndici7 = major < 22 || (major === 22 && minor < 19);
const esmOnly = [
  '@kubernetes',
  'jsonpath-plus',
  '@jsep-plugin',
  'jsep',
  'openid-client',
  'jose',
  'oauth4webapi',
  'rfc4648',
  'socks-proxy-agent',
  'agent-base',
];

module.exports = {
  ...preset,
  displayName: 'ops',
  globalSetup: path.join(__dirname, 'test', 'support', 'cluster', 'global-setup.ts'),
  // The cluster's globalSetup starts the preset's servers first: where they are (test-kit.ts says why).
  globals: {
    luminaTestKit: {
      globalSetup: preset.globalSetup,
      globalTeardown: preset.globalTeardown,
      servers: path.join(path.dirname(preset.globalSetup), 'servers.ts'),
    },
  },
  globalTeardown: path.join(__dirname, 'test', 'support', 'cluster', 'global-teardown.ts'),
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: {
    ...preset.moduleNameMapper,
    ...(needsUndici7 ? { '^undici$': require.resolve('undici', { paths: [__dirname] }) } : {}),
  },
};
