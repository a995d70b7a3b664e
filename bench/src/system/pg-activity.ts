/**
 * What FerretDB asks PostgreSQL while the benchmark runs: every few seconds, the statements
 * running in the run's database (pg_stat_activity), grouped by their text with the table names
 * made readable. A statement seen in many samples is where the MongoDB-backed services spend
 * their database time; one without a WHERE clause is a collection scan (a filter FerretDB did
 * not push down).
 */
import { spawn } from 'node:child_process';

export interface ActiveStatement {
  /** `<database suffix>.<collection>: SELECT …`, parameters as $n. */
  statement: string;
  /** Samples that found it running (each one ≈ intervalMs of some connection's time). */
  samples: number;
  /** The longest it had been running when seen, in milliseconds. */
  longestMs: number;
  scan: boolean;
}

function readable(query: string, prefix: string): string {
  return query
    .replace(/\s+/g, ' ')
    .replace(new RegExp(`"${prefix}([a-z]+)"\\."([a-z_]+?)_[0-9a-f]{8}"`, 'g'), '$1.$2')
    .slice(0, 160);
}

export class PgActivitySampler {
  private readonly seen = new Map<string, ActiveStatement>();
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly serverUrl: string,
    private readonly database: string,
    /** The run's database prefix, stripped from schema names. */
    private readonly prefix: string,
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private sample(): Promise<void> {
    if (this.busy) return Promise.resolve();
    this.busy = true;
    const url = new URL(this.serverUrl);
    url.pathname = '/postgres';
    const sql = `SELECT (EXTRACT(EPOCH FROM now() - query_start) * 1000)::bigint, query FROM pg_stat_activity
      WHERE datname = '${this.database.replace(/'/g, "''")}' AND state = 'active' AND pid <> pg_backend_pid()`;
    return new Promise((resolve) => {
      const child = spawn('psql', [url.toString(), '-AtF', '\t', '-c', sql], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('close', () => {
        for (const line of out.split('\n')) {
          const tab = line.indexOf('\t');
          if (tab < 0) continue;
          const ms = Number(line.slice(0, tab));
          const statement = readable(line.slice(tab + 1), this.prefix);
          if (
            !statement.startsWith('SELECT') &&
            !statement.startsWith('UPDATE') &&
            !statement.startsWith('DELETE') &&
            !statement.startsWith('INSERT')
          )
            continue;
          const entry = this.seen.get(statement) ?? {
            statement,
            samples: 0,
            longestMs: 0,
            scan: statement.startsWith('SELECT') && !/ WHERE /.test(statement),
          };
          entry.samples += 1;
          entry.longestMs = Math.max(entry.longestMs, ms);
          this.seen.set(statement, entry);
        }
        this.busy = false;
        resolve();
      });
      child.on('error', () => {
        this.busy = false;
        resolve();
      });
    });
  }

  /** The statements seen most often, most first. */
  stop(top = 10): ActiveStatement[] {
    if (this.timer) clearInterval(this.timer);
    return [...this.seen.values()].sort((a, b) => b.samples - a.samples).slice(0, top);
  }
}

/** Scans and row writes counted by PostgreSQL for one schema's tables (one MongoDB database). */
export interface TableCounts {
  /** Sequential plus index scans: every query FerretDB ran against these tables. */
  scans: number;
  /** Rows inserted, updated and deleted. */
  writes: number;
}

/**
 * Exact counts, not samples: PostgreSQL's per-table statistics (pg_stat_user_tables) for the
 * schema FerretDB keeps one MongoDB database in, read before and after a workload. PostgreSQL
 * publishes a backend's counts at the end of a transaction at most once a second, and an idle
 * backend's pending counts up to 10 s later; so both readings wait that long, or what came
 * before the workload would be counted in it.
 */
/** PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s), and a little more. */
const STATS_FLUSH_MS = 11_000;

export class TableActivity {
  constructor(
    private readonly serverUrl: string,
    private readonly database: string,
  ) {}

  async counts(schema: string): Promise<TableCounts> {
    const url = new URL(this.serverUrl);
    url.pathname = `/${this.database}`;
    const sql = `SELECT coalesce(sum(coalesce(seq_scan,0) + coalesce(idx_scan,0)),0), coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del),0)
      FROM pg_stat_user_tables WHERE schemaname = '${schema.replace(/'/g, "''")}'`;
    const out = await new Promise<string>((resolve) => {
      const child = spawn('psql', [url.toString(), '-AtF', '\t', '-c', sql], { stdio: ['ignore', 'pipe', 'ignore'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('close', () => resolve(text));
      child.on('error', () => resolve(''));
    });
    const [scans, writes] = out.trim().split('\t').map(Number);
    return { scans: scans ?? Number.NaN, writes: writes ?? Number.NaN };
  }

  /** What a workload did to each schema: counts before it, then the differences after. */
  async during<T>(schemas: string[], work: () => Promise<T>): Promise<{ result: T; activity: TableCounts[] }> {
    await new Promise((r) => setTimeout(r, STATS_FLUSH_MS));
    const before = await Promise.all(schemas.map((schema) => this.counts(schema)));
    const result = await work();
    await new Promise((r) => setTimeout(r, STATS_FLUSH_MS));
    const after = await Promise.all(schemas.map((schema) => this.counts(schema)));
    const activity = after.map((a, i) => ({ scans: a.scans - before[i]!.scans, writes: a.writes - before[i]!.writes }));
    return { result, activity };
  }
}
