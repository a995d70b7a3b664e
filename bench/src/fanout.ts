/**
 * The timeline service's fan-out alone, from the command line (see workloads/fanout-component.ts):
 *
 *   npm run -w bench fanout -- [--followers 5000] [--posts 5] [--load direct|events] [--batch 1000]
 *       [--reads 200] [--json out.json]
 *
 * Against the servers named by MONGO_URL / NATS_URL, or a FerretDB and a NATS it starts (as the
 * tests do). Progress on stderr, one JSON object on stdout. `npm run bench` runs it too.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ensureServers } from '@lumina/common/testing';
import { runFanoutComponent } from './workloads/fanout-component';

const { values: args } = parseArgs({
  options: {
    followers: { type: 'string', default: '5000' },
    posts: { type: 'string', default: '5' },
    load: { type: 'string', default: 'direct' },
    batch: { type: 'string', default: '1000' },
    reads: { type: 'string', default: '200' },
    json: { type: 'string' },
  },
});

async function main(): Promise<void> {
  if (args.load !== 'direct' && args.load !== 'events') throw new Error('--load is direct or events');
  const servers = await ensureServers();
  if (servers.started.length > 0) process.stderr.write(`started: ${servers.started.join('; ')}\n`);
  try {
    const result = await runFanoutComponent({
      natsUrl: servers.natsUrl,
      natsAdminPassword: servers.natsPasswords.admin,
      mongoUrl: servers.mongoUrl,
      redisUrl: servers.redisUrl,
      followers: Number(args.followers),
      posts: Number(args.posts),
      load: args.load,
      batch: Number(args.batch),
      reads: Number(args.reads),
      timeLimitMs: 30 * 60_000,
    });
    const json = JSON.stringify(
      {
        benchmark: 'timeline-fanout',
        at: new Date().toISOString(),
        mongo: servers.started.find((s) => /mongo|ferret/i.test(s)) ?? 'MONGO_URL',
        ...result,
      },
      null,
      2,
    );
    if (args.json) writeFileSync(args.json, `${json}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await servers.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
