/**
 * freePort() answers ports below the kernel's ephemeral range, which outgoing connections never
 * take, so a server started on one cannot find it taken by a client socket meanwhile.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../src/testing';

const ephemeralLow = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
})();
const onLinux = ephemeralLow !== undefined && ephemeralLow > 15_000 ? test : test.skip;

onLinux('ports below the ephemeral range, different ones, each free to listen on', async () => {
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralLow!);
  }
  expect(new Set(ports).size).toBeGreaterThan(15);
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
  await new Promise((resolve) => server.close(resolve));
});
