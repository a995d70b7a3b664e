/** startService's listen: a port that is taken is an error, not a service that looks up. */
import express from 'express';
import pino from 'pino';
import { startService, type BackgroundWorker } from '../src';

const log = pino({ level: 'silent' });

test('a taken port rejects with EADDRINUSE, and the workers it started are stopped again', async () => {
  const first = await startService({ name: 'first', port: 0, host: '127.0.0.1', log, app: express(), close: async () => undefined });
  const events: string[] = [];
  const worker: BackgroundWorker = { start: () => void events.push('started'), stop: async () => void events.push('stopped') };
  try {
    await expect(
      startService({
        name: 'second',
        port: first.port,
        host: '127.0.0.1',
        log,
        app: express(),
        workers: [worker],
        close: async () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(events).toEqual(['started', 'stopped']);
  } finally {
    await first.shutdown('test over');
  }
});
