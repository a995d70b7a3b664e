import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');

test('SIGTERM during a slow request lets it finish, then stops workers and closes in order', async () => {
  const child = spawn(tsx, [join(__dirname, 'fixtures', 'slow-service.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  const next = async <T>(key: string): Promise<T> => {
    for (;;) {
      const found = lines.find((l) => key in l);
      if (found) return found[key] as T;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const port = await next<number>('port');
  const slow = fetch(`http://127.0.0.1:${port}/api/slow/slow`);
  await next<boolean>('inFlight'); // the request has reached the route
  child.kill('SIGTERM');

  const response = await slow;
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ finished: true });
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow(); // no longer accepting
  expect(await exited).toBe(0);
  expect(await next<string[]>('events')).toEqual(['worker started', 'worker stopped', 'closed']);
}, 90_000);
