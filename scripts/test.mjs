// `npm test`: every workspace's tests in one Jest run (common, the services, the client's
// component tests, the gateway, the Kubernetes manifests and operator's tool, and the
// end-to-end stories), against real servers that Jest's globalSetup finds or starts.
// Extra arguments go to Jest: `npm test -- --selectProjects auth`.
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const install = spawnSync('bash', [join(root, 'scripts', 'install-tools.sh')], { stdio: 'inherit' });
if (install.status !== 0) process.exit(install.status ?? 1);

// The jest binary starts with `#!/usr/bin/env node`: with node_modules/.bin first on PATH (as
// `npm run` puts it) that is the Node the root pins (the `node` package, Node 24 like the
// images), also when this script is run as `node scripts/test.mjs` from another Node.
const bin = join(root, 'node_modules', '.bin');
const jest = spawnSync(join(bin, 'jest'), ['--ci', '--maxWorkers=2', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
});
process.exit(jest.status ?? 1);
