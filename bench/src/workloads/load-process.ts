/**
 * The load generator's own process (load-runner.ts's runHttp starts it): reads a LoadOrder on
 * stdin, offers its requests in turn under the order's schedule (after a second of warm-up), and
 * writes the RunResult on stdout. Its heap holds only the requests, so its garbage collections are short and do not
 * stall the clock of the requests it times.
 */
import { fixedRateAgent, runHttpHere, type HttpWorkload, type LoadOrder } from './load-runner';

const WARM_UP_S = 1;

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const order = JSON.parse(input) as LoadOrder;
  let next = 0;
  const workload: HttpWorkload = {
    name: 'load process',
    baseUrl: order.baseUrl,
    ok: order.ok,
    next: () => order.requests[next++ % order.requests.length]!,
  };
  // A second of the same load first, not counted: the sockets are opened and the code is
  // compiled, so the first requests measured do not pay for either. At a fixed rate the measured
  // run goes over the warm-up's connections: each run used to open its own, and the first
  // 100 ms of new connections were the slowest 1 % of the run (measured against a bare Node
  // server at 1,500/s: p99 8.0 ms, max 40 ms with fresh connections; 2.0 and 6.0 with warm ones).
  const agent = fixedRateAgent();
  await runHttpHere(workload, order.mode, WARM_UP_S, agent);
  const result = await runHttpHere(workload, order.mode, order.durationS, agent);
  agent.destroy();
  process.stdout.write(JSON.stringify(result));
}

main().catch((err: unknown) => {
  process.stderr.write(`load process: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
