import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

test('SIGTERM during a slow request lets it finish, then stops workers and closes in order', async () => {
  // `node --import tsx`, one process, as the launcher runs services (infra/local/system.ts): the
  // `tsx` command is a wrapper that relays a SIGTERM to a second node process and SIGKILLs it
  // when that process has not said within 30 ms that it got the signal — which a busy machine
  // makes happen, and the killed service dropped the in-flight request ("other side closed").
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'slow-service.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  // Told not to reuse the connection, so the next request cannot race the server closing it.
  expect(response.headers.get('connection')).toBe('close');
  expect(await response.json()).toEqual({ finished: true });
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow(); // no longer accepting
  expect(await exited).toBe(0);
  expect(await next<string[]>('events')).toEqual(['worker started', 'worker stopped', 'closed']);
}, 90_000);
