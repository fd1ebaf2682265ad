// Colour through chalk, loaded only when colour is on (a TTY without
// NO_COLOR / --no-color): scripts and pipes never pay for it and get
// byte-exact plain text.

export interface Paint {
  on: boolean;
  state(s: string | null): string;
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  key(s: string): string;
  str(s: string): string;
  num(s: string): string;
}

const id = (s: string) => s;

export const plain: Paint = {
  on: false,
  state: (s) => s ?? '-',
  ok: id,
  bad: id,
  warn: id,
  dim: id,
  bold: id,
  key: id,
  str: id,
  num: id,
};

export async function makePaint(on: boolean): Promise<Paint> {
  if (!on) return plain;
  const { Chalk } = await import('chalk');
  // We already decided colour is wanted (chalk alone ignores NO_COLOR); the
  // 16 basic colours are all we use.
  const c = new Chalk({ level: 1 });
  return {
    on,
    state(s) {
      if (s === null) return c.gray('-');
      if (s === 'running') return c.green(s);
      if (s === 'ready') return c.cyan(s);
      if (s === 'paused') return c.yellow(s);
      if (s === 'stopped') return c.gray(s);
      return c.red(s);
    },
    ok: (s) => c.green(s),
    bad: (s) => c.red(s),
    warn: (s) => c.yellow(s),
    dim: (s) => c.gray(s),
    bold: (s) => c.bold(s),
    key: (s) => c.blue(s),
    str: (s) => c.green(s),
    num: (s) => c.yellow(s),
  };
}
