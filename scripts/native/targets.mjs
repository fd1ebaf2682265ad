// The Linux glibc architectures Kata Containers runs on, and how the
// flock(2) addon (src/native/addon.c) is built for each: scripts/build.mjs
// builds them, test/prebuilds.test.ts runs each one (under qemu-user for the
// foreign ones). `arch` is Node's process.arch (Node says ppc64 on ppc64le),
// so a prebuild sits in dist/native/linux-<arch>-glibc/vcstore.node, the
// folder src/store/fs/addon.ts looks in. Built on a musl host (Alpine), the
// build also makes linux-<arch>-musl with that host's cc, as it always did.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/** e_machine and byte order of each target's ELF files, for checking what was built. */
export const TARGETS = [
  { arch: 'x64', triple: 'x86_64-linux-gnu', qemu: 'x86_64', debian: 'gcc-x86-64-linux-gnu', machine: 62, bigEndian: false },
  { arch: 'arm64', triple: 'aarch64-linux-gnu', qemu: 'aarch64', debian: 'gcc-aarch64-linux-gnu', machine: 183, bigEndian: false },
  { arch: 's390x', triple: 's390x-linux-gnu', qemu: 's390x', debian: 'gcc-s390x-linux-gnu', machine: 22, bigEndian: true },
  { arch: 'ppc64', triple: 'powerpc64le-linux-gnu', qemu: 'ppc64le', debian: 'gcc-powerpc64le-linux-gnu', machine: 21, bigEndian: false },
].map((t) => ({ ...t, libc: 'glibc', target: `linux-${t.arch}-glibc` }));

/** The C library this build runs on, by the rule src/store/fs/addon.ts uses: musl's loader is ld-musl-*. */
export function hostLibc() {
  try {
    return readFileSync('/proc/self/maps', 'latin1').includes('/ld-musl-') ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}

/** What `npm run build` makes here: the four glibc targets, and on a musl host its own musl one first. */
export function buildTargets() {
  if (hostLibc() !== 'musl') return TARGETS;
  const own = TARGETS.find((t) => t.arch === process.arch);
  return [{ ...own, triple: `${process.arch}-linux-musl`, libc: 'musl', target: `linux-${process.arch}-musl` }, ...TARGETS];
}

/** The oldest glibc the prebuilds must load on: Node 20's own floor. */
export const GLIBC_FLOOR = '2.28';

/** The file name of a program found on PATH, or undefined. */
export function which(name) {
  if (name.includes('/')) return canRun(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && canRun(join(dir, name))) return join(dir, name);
  return undefined;
}
function canRun(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The C compiler for a target: on its own architecture and C library $CC or
 * cc, else the Debian cross compiler <triple>-gcc; or undefined when there
 * is none here.
 */
export function compilerFor(t) {
  if (t.arch === process.arch && process.platform === 'linux' && t.libc === hostLibc()) return which(process.env.CC || 'cc');
  return which(`${t.triple}-gcc`);
}

/**
 * Shipped builds: warnings shown, never fatal (a newer compiler's new
 * warning must not cost an architecture its addon); `npm run lint:native`
 * makes them errors. -s: no symbol table (smaller); what Node needs is in
 * the dynamic one.
 */
export const SHIP_FLAGS = ['-shared', '-fPIC', '-O2', '-s', '-Wall'];
export const LINT_FLAGS = ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror'];

const run = promisify(execFile);

/**
 * Compile src/native/addon.c for every target at once, into
 * <outDir>/<target>/vcstore.node: one result per target, ok, skipped (no
 * compiler; `why` says which package gives it) or failed (`why`).
 *
 * With `cacheDir`, a compile is kept there and reused while its key holds:
 * the source as the target's preprocessor sees it (so every header byte,
 * node-api-headers' and the C library's), the flags, and the compiler
 * (its real path, size and time). Preprocessing costs a tenth of a compile,
 * so an unchanged addon adds almost nothing to `npm run build`. Only the
 * newest entry per target is kept.
 */
export async function buildAddons({ include, outDir, source = 'src/native/addon.c', flags = SHIP_FLAGS, targets = buildTargets(), cacheDir }) {
  return Promise.all(
    targets.map(async (t) => {
      const cc = compilerFor(t);
      if (!cc) {
        const own = t.arch === process.arch && t.libc === hostLibc();
        const get = t.libc === 'musl' ? 'apk add gcc musl-dev' : own ? 'apt-get install gcc libc6-dev' : `apt-get install ${t.debian}`;
        return { ...t, status: 'skipped', why: `no ${own ? process.env.CC || 'cc' : `${t.triple}-gcc`} (${get})` };
      }
      const dir = join(outDir, t.target);
      mkdirSync(dir, { recursive: true });
      const out = join(dir, 'vcstore.node');
      const args = [...flags, `-I${include}`, source];
      try {
        const cached = cacheDir && join(cacheDir, t.target, `${await cacheKey(cc, args)}.node`);
        if (cached && existsSync(cached))
          try {
            const warnings = readFileSync(cached.replace(/\.node$/, '.warnings'), 'utf8');
            copyFileSync(cached, out);
            return { ...t, status: 'ok', cc, out, cached: true, warnings };
          } catch {
            /* being replaced by another build: compile */
          }
        const r = await run(cc, [...args, '-o', out], { encoding: 'utf8' });
        const warnings = r.stderr.trim();
        if (cached) keep(out, cached, warnings);
        return { ...t, status: 'ok', cc, out, cached: false, warnings };
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        return { ...t, status: 'failed', cc, why: String(e.stderr || e.message).trim() };
      }
    }),
  );
}

async function cacheKey(cc, args) {
  const pre = await run(cc, ['-E', ...args.filter((a) => a !== '-shared' && a !== '-s')], { encoding: 'buffer', maxBuffer: 1 << 26 });
  const real = realpathSync(cc);
  const st = statSync(real);
  return createHash('sha256')
    .update(JSON.stringify({ args, real, size: st.size, mtime: st.mtimeMs }))
    .update(pre.stdout)
    .digest('hex')
    .slice(0, 32);
}

/** Store a fresh compile as the target's one cache entry (written aside, then renamed: never half a file). */
function keep(out, cached, warnings) {
  const dir = join(cached, '..');
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
    writeFileSync(cached.replace(/\.node$/, '.warnings'), warnings);
    copyFileSync(out, `${cached}.${process.pid}`);
    renameSync(`${cached}.${process.pid}`, cached);
  } catch {
    /* the cache only saves time; another build may be writing it */
  }
}
