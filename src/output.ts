// The wiring's own I/O: the process's stdout, stderr and terminal, handed to
// everything else as ctx's io (src/cli.ts). Output without Node's stdio
// streams: fs.writeSync on fds 1 and 2 is synchronous, ordered, and keeps
// net/stream/tty off the start-up path.
import { fstatSync, writeSync } from 'node:fs';

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: retry
      if (code === 'EPIPE') return; // reader went away (| head): stop quietly
      throw e;
    }
  }
}

export const writeOut = (text: string): void => writeAll(1, text);
export const writeErr = (text: string): void => writeAll(2, text);

/** The process's own stdout and stderr. */
export const processIo = { stdout: writeOut, stderr: writeErr, isTty, ask };

/**
 * On a terminal (stdin and stderr both are): the question on stderr, then
 * one line from stdin; null when either is no terminal, so scripts, pipes
 * and the DaemonSet are never asked. A signal that aborts stops waiting.
 */
export async function ask(question: string, signal?: AbortSignal): Promise<string | null> {
  if (!(await isTty(0)) || !(await isTty(2))) return null;
  writeErr(question);
  const { createInterface } = await import('node:readline');
  // Not in raw mode: Ctrl-C stays the terminal's SIGINT, handled as everywhere else.
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  } finally {
    rl.close();
    process.stdin.destroy();
  }
}

/** Is fd a terminal? Pipes and files are ruled out by fstat, without loading tty. */
export async function isTty(fd: number): Promise<boolean> {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    if (st.rdev === 0x103) return false; // /dev/null (1:3), where scripts send output they ignore
  } catch {
    return false;
  }
  const { isatty } = await import('node:tty');
  return isatty(fd);
}
