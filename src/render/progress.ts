// A progress line on stderr for long work at a terminal: "4,812/10,000
// sandboxes  1,874/s  ETA 3s". Drawn only after the work has taken 0.5 s,
// redrawn at most 10 times a second, synchronously on each step (the work is
// synchronous: a timer would never fire), and cleared before any other
// output and at exit. Written here rather than taken from a package: see
// README "Progress" for the measurements.

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private readonly start: number;
  private last = 0;
  private shown = false;
  private done = 0;

  constructor(
    private readonly write: (s: string) => void,
    private readonly total: number,
    private readonly unit: string,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  /** One more unit done; draws when due. */
  tick(n = 1): void {
    this.update(this.done + n);
  }

  /** This many units done in all; draws when due. */
  update(done: number): void {
    this.done = done;
    const t = this.now();
    if (t - this.start < 500 || t - this.last < 100) return;
    this.last = t;
    const secs = (t - this.start) / 1000;
    const rate = this.done / secs;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    this.write(`\r${fmt(this.done)}/${fmt(this.total)} ${this.unit}  ${fmt(rate)}/s  ETA ${duration(eta)}\x1b[K`);
    this.shown = true;
  }

  /** Remove the line (before other output, and at the end); the next tick draws it again. */
  clear(): void {
    if (!this.shown) return;
    this.write('\r\x1b[K');
    this.shown = false;
  }
}
