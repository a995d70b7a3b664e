/**
 * One decode per job. The attack: a 130 kB PNG declaring 6,324 × 6,324 (40 MP, just inside the
 * limit) is 120 MB of pixels each time it is decoded; the thumb, the feed picture and the blurhash
 * each decoding the original again made every such upload cost three decodes. Measured with the
 * real sharp, in fresh processes (libvips' high-water mark never goes down), against one plain
 * decode of the same file as the yardstick.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { TestContext } from '@lumina/common/testing';
import { tempDir } from './helpers';

const ctx = new TestContext();
afterAll(() => ctx.cleanup());

async function measure(work: 'render' | 'one-decode', image: string): Promise<{ peakMb: number; cpuMs: number }> {
  const root = join(__dirname, '..');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'decode-peak.ts')], {
    cwd: root,
    env: { ...process.env, WORK: work, IMAGE: image, TSX_TSCONFIG_PATH: join(root, 'tsconfig.test.json') },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

test('rendering every variant of a 40-megapixel PNG costs what one decode costs, not three', async () => {
  const side = 6324;
  const png = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 200, g: 100, b: 50 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  expect(png.length).toBeLessThan(200 * 1024);
  const path = join(tempDir(ctx, 'decode'), 'bomb.png');
  writeFileSync(path, png);

  const oneDecode = await measure('one-decode', path);
  const render = await measure('render', path);
  console.log(`libvips peak: one decode ${oneDecode.peakMb} MB, the whole job ${render.peakMb} MB`);
  // Three decodes side by side peaked near twice the yardstick (64–74 MB against 35 here).
  expect(render.peakMb).toBeLessThanOrEqual(oneDecode.peakMb * 1.25);
}, 60_000);
