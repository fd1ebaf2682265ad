// Output a command streams (a JSON document of 10,000 sandboxes) collected
// and handed to ctx.write in large pieces.

/** Collects output and writes it in 64 KiB pieces: streaming without a syscall per line. */
export class ChunkedWriter {
  private buf = '';
  constructor(private readonly write: (text: string) => void) {}
  push(text: string): void {
    this.buf += text;
    if (this.buf.length >= 65536) this.flush();
  }
  flush(): void {
    if (this.buf) this.write(this.buf);
    this.buf = '';
  }
}
