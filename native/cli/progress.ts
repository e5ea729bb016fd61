/** Progress for people in a terminal: one line redrawn in place on a TTY, sparse lines otherwise. */
export class ProgressLine {
  private lastText = '';
  private lastPrinted = 0;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  update(label: string, fraction: number, detail = ''): void {
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const text = `${label.padEnd(18)} [${bar}] ${String(pct).padStart(3)}% ${detail}`;
    if (this.tty) {
      this.stream.write(`\r${text.padEnd(this.lastText.length)}`);
      this.lastText = text;
      return;
    }
    const now = Date.now();
    if (now - this.lastPrinted >= 10000 || pct === 100) {
      this.stream.write(`${text}\n`);
      this.lastPrinted = now;
    }
  }

  /** Ends the current line with a final message. */
  done(message: string): void {
    if (this.tty && this.lastText) this.stream.write(`\r${' '.repeat(this.lastText.length)}\r`);
    this.lastText = '';
    this.lastPrinted = 0;
    this.stream.write(`${message}\n`);
  }

  log(message: string): void {
    this.done(message);
  }
}
