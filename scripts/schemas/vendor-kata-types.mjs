#!/usr/bin/env node
// Copy the Kata Go sources listed in scripts/schemas/kata-types/manifest.json
// out of git mirrors into scripts/schemas/kata-types/<dir>/, byte for byte,
// with their licence notices. Run it only to refresh or extend the vendored
// set (a newer Kata, a type derive.go reports as unresolved): the derivation
// and its CI check read the vendored copies and need neither this nor a network.
//
//   KATA_MIRRORS=DIR node scripts/schemas/vendor-kata-types.mjs
//
// DIR holds bare git repositories at DIR/<owner>+<name>/repo (git clone --mirror
// https://github.com/<owner>/<name> DIR/<owner>+<name>/repo will do). There is
// no default: the mirrors are wherever you put them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), 'kata-types');
const mirrors = process.env.KATA_MIRRORS;
if (!mirrors) {
  console.error('vendor-kata-types: set KATA_MIRRORS to a directory of bare git mirrors (<owner>+<name>/repo)');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(here, 'manifest.json'), 'utf8'));
for (const tree of manifest.trees) {
  const gitDir = join(mirrors, tree.repo.replace('/', '+'), 'repo');
  const show = (path) => execFileSync('git', ['--git-dir', gitDir, 'show', `${tree.commit}:${path}`], { maxBuffer: 64 << 20 });
  rmSync(join(here, tree.dir), { recursive: true, force: true });
  for (const path of [...tree.notices, ...tree.files]) {
    const to = join(here, tree.dir, path);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, show(path));
  }
  console.error(`${tree.dir}: ${tree.files.length} files, ${tree.notices.length} notices from ${tree.repo}@${tree.commit}`);
}
writeFileSync(join(here, 'README.md'), readme(manifest));

/** The provenance of every vendored file, from the manifest. */
function readme(m) {
  const out = [
    '# Vendored Kata Go type files',
    '',
    'The inputs of `scripts/schemas/derive.go`, which derives `src/store/layouts/schemas.json` from them',
    '(`npm run schemas:check` re-derives and diffs; CI runs it). Only the files that declare the types',
    "the runtime's loaders decode store items into (and the types those reach) are here, each byte for",
    'byte as `git show <commit>:<path>` gives it in the repository named; nothing in them is built or',
    'shipped with vcstore.',
    '',
    'All of it is licensed under the Apache License, Version 2.0: each tree keeps its licence and notice',
    'files at the paths they have upstream (for copies from a `vendor/` directory, the vendored',
    "module's own LICENSE and NOTICE too). This file is generated from `manifest.json` by",
    '`scripts/schemas/vendor-kata-types.mjs`; to refresh or extend the set, edit the',
    "manifest's `files` and rerun it with `KATA_MIRRORS` naming a directory of bare git mirrors.",
    '',
  ];
  for (const t of m.trees) {
    out.push(`## \`${t.dir}/\``, '', `- repository: https://github.com/${t.repo}`, `- commit: \`${t.commit}\``);
    out.push(`- ref(s) it was taken as: ${t.refs.map((r) => `\`${r}\``).join(', ')}`);
    out.push(`- licence and notices: ${t.notices.map((n) => `\`${n}\``).join(', ')}`, '- files:', '');
    for (const f of t.files) out.push(`  - \`${f}\``);
    out.push('');
  }
  return out.join('\n');
}
