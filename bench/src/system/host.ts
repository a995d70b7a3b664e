/**
 * Runs the one-machine system in its own process for the benchmark, so the gateway (which
 * startLocalSystem runs in the calling process) does not share an event loop with the load
 * generator. Prints one JSON line describing the system, then runs until SIGTERM, SIGINT or the
 * parent closing stdin.
 */
import { startLocalSystem } from '@lumina/local';

export interface HostedSystem {
  url: string;
  servers: { mysqlUrl: string; natsUrl: string; natsPasswords: Record<string, string>; mongoUrl: string; redisUrl: string };
  services: Record<string, string>;
  pids: Record<string, number>;
  started: string[];
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_SYSTEM ?? '{}') as { dataDir: string; prefix: string; env: Record<string, string> };
  const system = await startLocalSystem({
    port: 0,
    dataDir: settings.dataDir,
    databasePrefix: settings.prefix,
    extraEnv: settings.env,
    // The whole load comes from one address: measure the system, not the entry point's
    // per-address limit (which the one-machine mode sets for one person's laptop).
    entryPointRate: { perSecond: 1_000_000, burst: 1_000_000 },
    onProgress: (message) => process.stderr.write(`  · ${message}\n`),
  });
  const services: Record<string, string> = {};
  const pids: Record<string, number> = {};
  for (const [name, proc] of system.processes) {
    services[name] = proc.url;
    if (proc.child?.pid) pids[name] = proc.child.pid;
  }
  const hosted: HostedSystem = { url: system.url, servers: system.servers, services, pids, started: system.servers.started };
  process.stdout.write(`${JSON.stringify(hosted)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await system.stop().catch((err: unknown) => process.stderr.write(`stopping the system: ${String(err)}\n`));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`The benchmark's system could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
