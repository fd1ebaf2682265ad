// node scripts/native/foreign-node.mjs [arch...]: fetch a real Node for each
// foreign architecture (default: every target but this machine's), for
// test/prebuilds.test.ts to run vcstore on under qemu-<arch>-static with that
// architecture's prebuild. Debian's own nodejs (trixie: Node 20, which
// vcstore needs) and the libraries it links, downloaded with apt-get into a
// private apt state (nothing of this machine's apt or dpkg set-up changes)
// and unpacked, not installed, into
// ${VCSTORE_FOREIGN_NODE:-~/.cache/vcstore/foreign-node}/<arch>/, the
// root qemu is given with -L. About 130 MB per architecture unpacked. Needs apt-get,
// dpkg-deb and Debian's archive keyring (a Debian or Ubuntu host).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { TARGETS, which } from './targets.mjs';

const SUITE = 'trixie';
const MIRROR = process.env.VCSTORE_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const DEB_ARCH = { x64: 'amd64', arm64: 'arm64', s390x: 's390x', ppc64: 'ppc64el' };
const base = process.env.VCSTORE_FOREIGN_NODE || join(homedir(), '.cache/vcstore/foreign-node');

const wanted = process.argv.slice(2);
const targets = TARGETS.filter((t) => (wanted.length ? wanted.includes(t.arch) : t.arch !== process.arch));
if (wanted.some((a) => !TARGETS.some((t) => t.arch === a))) {
  console.error(`foreign-node: architectures are ${TARGETS.map((t) => t.arch).join(', ')}`);
  process.exit(2);
}
for (const need of ['apt-get', 'apt-cache', 'dpkg-deb'])
  if (!which(need)) {
    console.error(`foreign-node: no ${need} here (a Debian or Ubuntu host is needed)`);
    process.exit(1);
  }
if (!existsSync(KEYRING)) {
  console.error(`foreign-node: no ${KEYRING} (apt-get install debian-archive-keyring)`);
  process.exit(1);
}

for (const t of targets)
  try {
    fetchNode(t);
  } catch (e) {
    // apt-get has said what it could not fetch
    console.error(`foreign-node: ${t.arch}: failed: ${String(e.message).split('\n')[0]}`);
    rmSync(join(base, `.apt-${t.arch}`), { recursive: true, force: true });
    process.exitCode = 1;
  }

function fetchNode(t) {
  const arch = DEB_ARCH[t.arch];
  const root = join(base, t.arch);
  const apt = join(base, `.apt-${t.arch}`);
  rmSync(root, { recursive: true, force: true });
  for (const d of ['lists/partial', 'cache/archives/partial', 'debs']) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, 'status'), '');
  writeFileSync(join(apt, 'sources.list'), `deb [signed-by=${KEYRING}] ${MIRROR} ${SUITE} main\n`);
  const opts = [
    `Dir::Etc::SourceList=${join(apt, 'sources.list')}`,
    'Dir::Etc::SourceParts=/nonexistent',
    `Dir::State::Lists=${join(apt, 'lists')}`,
    `Dir::State::status=${join(apt, 'status')}`,
    `Dir::Cache=${join(apt, 'cache')}`,
    `APT::Architecture=${arch}`,
    `APT::Architectures::=${arch}`,
    'Debug::NoLocking=1',
    // downloads into a root-owned folder: no _apt sandbox user
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
  const sh = (cmd, args, cwd) => execFileSync(cmd, [...opts, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log(`foreign-node: ${t.arch}: apt-get update (${SUITE}, ${arch})`);
  sh('apt-get', ['-qq', 'update']);
  // nodejs and everything it depends on: arch:all packages (the builtins
  // Debian keeps outside the binary) come along under the same names.
  const deps = sh('apt-cache', [
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    'nodejs',
  ])
    .split('\n')
    .filter((l) => /^[a-z0-9]/.test(l))
    .map((l) => l.trim());
  const pkgs = [...new Set(deps)].sort();
  console.log(`foreign-node: ${t.arch}: ${pkgs.length} packages`);
  sh('apt-get', ['-qq', 'download', ...pkgs], join(apt, 'debs'));
  mkdirSync(root, { recursive: true });
  for (const deb of readdirSync(join(apt, 'debs')).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', join(apt, 'debs', deb), root]);
  relink(root);
  // merged /usr: the loader is asked for as /lib/ld-*.so (base-files makes these links on a real system)
  for (const d of ['lib', 'lib64', 'bin', 'sbin']) if (existsSync(join(root, 'usr', d)) && !existsSync(join(root, d))) symlinkSync(`usr/${d}`, join(root, d));
  rmSync(apt, { recursive: true, force: true });
  const qemu = which(`qemu-${t.qemu}-static`);
  if (!qemu) throw new Error(`no qemu-${t.qemu}-static to check it with (apt-get install qemu-user-static)`);
  const version = execFileSync(qemu, ['-L', root, join(root, 'usr/bin/node'), '-p', 'process.arch + " " + process.version'], { encoding: 'utf8' }).trim();
  if (version.split(' ')[0] !== t.arch) throw new Error(`${root}: node says ${version}, not ${t.arch}`);
  writeFileSync(join(root, '.complete'), `${version}\n`);
  console.log(`foreign-node: ${t.arch}: ${version} in ${root}`);
}

/** Absolute symlinks (ld64.so.2 -> /lib/...) made relative, so they resolve inside the root, not on this machine. */
function relink(root, dir = root) {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isSymbolicLink()) {
      const to = readlinkSync(p);
      if (!to.startsWith('/')) continue;
      rmSync(p);
      symlinkSync(relative(dirname(p), join(root, to)), p);
    } else if (d.isDirectory()) relink(root, p);
  }
}
