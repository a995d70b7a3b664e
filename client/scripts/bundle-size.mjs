// Prints the size of every file in dist/assets, raw and gzipped, and the total JavaScript a
// first visit to the feed downloads (the entry chunk and its static imports), so a change that
// bloats the bundle shows in the build output.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const assets = join(dist, 'assets');
const kb = (n) => `${(n / 1024).toFixed(1).padStart(7)} kB`;

const rows = readdirSync(assets)
  .filter((f) => /\.(js|css)$/.test(f))
  .map((f) => {
    const bytes = readFileSync(join(assets, f));
    return { f, raw: statSync(join(assets, f)).size, gz: gzipSync(bytes, { level: 9 }).length };
  })
  .sort((a, b) => b.gz - a.gz);

// The first load: whatever index.html links (entry script, its modulepreloads, the stylesheet).
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]));

console.log('\nclient bundle (gzip -9):');
for (const r of rows) console.log(`  ${kb(r.raw)} ${kb(r.gz)} gz  ${initial.has(r.f) ? '*' : ' '} ${r.f}`);
const sum = (list) => list.reduce((a, r) => a + r.gz, 0);
const first = rows.filter((r) => initial.has(r.f));
console.log(`  total ${kb(sum(rows))} gz in ${rows.length} files; first load (*) ${kb(sum(first))} gz`);

const BUDGET_GZ = 150 * 1024;
if (sum(first) > BUDGET_GZ) {
  console.error(`first load is over the ${BUDGET_GZ / 1024} kB gzip budget`);
  process.exit(1);
}
