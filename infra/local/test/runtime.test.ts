/**
 * One Node major everywhere: the tests (this one included), `npm start` and the benchmark run on
 * the Node the root pins (the `node` package, first on PATH under `npm run`), which is the major
 * the images are built from.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');
const major = (version: string) => Number(/(\d+)/.exec(version)?.[1]);

test('Jest runs on the Node major of every Dockerfile, the one the root pins', () => {
  const dockerfiles = [...readdirSync(REPO).map((d) => join(REPO, d, 'Dockerfile')), join(REPO, 'infra', 'ops', 'Dockerfile')].filter((f) =>
    existsSync(f),
  );
  const images = dockerfiles.map((f) => /^ARG NODE_IMAGE=node:(\d+)/m.exec(readFileSync(f, 'utf8'))?.[1]).filter(Boolean);
  expect(images.length).toBeGreaterThanOrEqual(6);
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    engines: { node: string };
    devDependencies: Record<string, string>;
  };
  const pinned = major(pkg.devDependencies.node!);
  expect(new Set(images)).toEqual(new Set([String(pinned)]));
  expect(pkg.engines.node).toBe(`>=${pinned}`);
  expect(major(pkg.devDependencies['@types/node']!)).toBe(pinned);
  expect({ jestRunsOn: process.version, major: major(process.version) }).toEqual({ jestRunsOn: process.version, major: pinned });
});
