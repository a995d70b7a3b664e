/**
 * The ceiling for a timeline read: a bare Express app answering one pre-built page (the bytes of
 * a real home-timeline page) on every request. No auth, no database, no gateway. Runs as its own
 * process so it does not share an event loop with the load generator; prints its port.
 */
import { readFileSync } from 'node:fs';
import express from 'express';

const body = readFileSync(process.env.BENCH_PAGE_FILE ?? '', 'utf8');
const app = express();
app.disable('x-powered-by');
app.get('/page', (_req, res) => {
  res.type('application/json').send(body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
