/**
 * One Node major everywhere: the tests (this one included), `npm start` and the benchmark run on
 * the Node the root pins (the `node` package, first on PATH under `npm run`), which is the major
 * the images are built from.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');
const major = (version: string) => Number(/(\d+)/.exec(version)?.[1]);

test('Jest runs on the Node major of every image, the one the root pins', () => {
  // Every image builds from the root Dockerfile: its Node images' defaults, and what Skaffold passes.
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const skaffold = readFileSync(join(REPO, 'skaffold.yaml'), 'utf8');
  const images = [
    ...[...dockerfile.matchAll(/^ARG (?:CLIENT_)?NODE_IMAGE=node:(\d+)/gm)].map((m) => m[1]),
    ...[...skaffold.matchAll(/NODE_IMAGE: '?node:(\d+)/g)].map((m) => m[1]),
  ];
  expect(images.length).toBeGreaterThanOrEqual(3);
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
