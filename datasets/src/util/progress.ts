/**
 * A progress bar on stderr: redrawn in place on a terminal (at most ten times a second), one
 * line every few seconds otherwise (CI logs, files), and always a final line when done.
 */

export interface ProgressSink {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressBar {
  private done = 0;
  private failed = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private finished = false;
  private extra = '';

  constructor(
    private readonly label: string,
    private total: number,
    private readonly out: ProgressSink = process.stderr,
  ) {
    this.draw(true);
  }

  /** Counts finished items (and failures among them). */
  tick(count = 1, failed = 0): void {
    this.done += count;
    this.failed += failed;
    this.draw(false);
  }

  /** Sets the count outright (progress observed rather than counted: a consumer draining, say). */
  update(done: number, extra = this.extra): void {
    this.done = done;
    this.extra = extra;
    this.draw(false);
  }

  setTotal(total: number): void {
    this.total = total;
    this.draw(false);
  }

  note(extra: string): void {
    this.extra = extra;
    this.draw(false);
  }

  /** Draws the last line and answers how long it took. */
  finish(extra?: string): number {
    if (extra !== undefined) this.extra = extra;
    if (!this.finished) {
      this.finished = true;
      this.draw(true);
      if (this.out.isTTY) this.out.write('\n');
    }
    return Date.now() - this.started;
  }

  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  private draw(force: boolean): void {
    if (this.finished && !force) return;
    const now = Date.now();
    const interval = this.out.isTTY ? 100 : 5000;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const line = this.render(now);
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 120) - 1)}`);
    else this.out.write(`${line}\n`);
  }

  private render(now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const fraction = this.total > 0 ? Math.min(this.done / this.total, 1) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const rate = this.done / seconds;
    const eta = rate > 0 && this.done < this.total ? ` eta ${formatSeconds((this.total - this.done) / rate)}` : '';
    const failed = this.failed > 0 ? ` (${this.failed} failed)` : '';
    const extra = this.extra ? ` ${this.extra}` : '';
    return `  ${this.label.padEnd(34)} ${bar} ${this.done}/${this.total}${failed} ${rate.toFixed(rate < 10 ? 1 : 0)}/s ${formatSeconds(seconds)}${eta}${extra}`;
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

/** A line of what the run is doing, timestamped from the start of the process. */
export function step(message: string): void {
  process.stderr.write(`• ${message} (${formatSeconds(process.uptime())})\n`);
}
