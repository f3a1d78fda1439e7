// A one-line progress bar on stderr (only when stderr is a terminal, so logs and pipes stay clean).
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = Boolean(stream.isTTY);
  }

  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = `${formatBytes(done / seconds)}/s`;
    if (this.total && this.total > 0) {
      const frac = Math.min(done / this.total, 1);
      const width = 30;
      const filled = Math.round(frac * width);
      const bar = "#".repeat(filled) + ".".repeat(width - filled);
      process.stderr.write(`\r${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(this.total)} ${rate}   `);
    } else {
      process.stderr.write(`\r${this.label} ${formatBytes(done)} ${rate}   `);
    }
  }

  finish(message: string): void {
    if (this.enabled) process.stderr.write(`\r${" ".repeat(100)}\r`);
    process.stderr.write(`${message}\n`);
  }
}

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
