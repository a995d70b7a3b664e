/** startService listens where BIND_ADDRESS says (the one-machine mode: loopback), else everywhere (a pod). */
import express from 'express';
import pino from 'pino';
import { startService } from '../src';

const log = pino({ level: 'silent' });

async function listeningAddress(): Promise<string> {
  const running = await startService({ name: 'bind', port: 0, log, app: express(), close: async () => undefined });
  const address = running.server.address();
  running.server.close();
  return typeof address === 'object' && address ? address.address : String(address);
}

afterEach(() => delete process.env.BIND_ADDRESS);

test('BIND_ADDRESS=127.0.0.1 listens on loopback only', async () => {
  process.env.BIND_ADDRESS = '127.0.0.1';
  expect(await listeningAddress()).toBe('127.0.0.1');
});

test('without BIND_ADDRESS it listens on every interface, as in a pod', async () => {
  delete process.env.BIND_ADDRESS;
  expect(['::', '0.0.0.0']).toContain(await listeningAddress());
});
