/** Starts and stops the bare Express page server (express-page-server.ts) in its own process. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const TSX = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

export interface PageServer {
  url: string;
  bytes: number;
  stop(): Promise<void>;
}

export async function startPageServer(body: string): Promise<PageServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-bench-page-'));
  const file = join(dir, 'page.json');
  writeFileSync(file, body);
  const child = spawn(TSX, [join(__dirname, 'express-page-server.ts')], {
    env: { ...process.env, BENCH_PAGE_FILE: file },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the page server exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: Buffer.byteLength(body),
    async stop() {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
