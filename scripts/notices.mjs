// dist/THIRD-PARTY-NOTICES: the licenses of the code that esbuild bundled
// into dist/ (license comments are stripped from the bundles, so this file
// is what carries them into the package). The packages are read off
// esbuild's metafiles, so the list is what was bundled, never a list kept by
// hand: each one's name, version, declared license, the files it went into,
// and the full text of its license file (and NOTICE file, if it has one).
// A bundled package without a license file fails the build.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package folder (node_modules/<name> or node_modules/@scope/<name>, the innermost) of a metafile input, or undefined. */
export function packageDir(input) {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  return input.slice(0, at) + 'node_modules/' + name;
}

/** The output files each bundled package went into, by package folder, from esbuild metafiles. */
export function bundledPackages(metafiles) {
  const into = new Map();
  for (const meta of metafiles)
    for (const [out, { inputs }] of Object.entries(meta.outputs))
      for (const input of Object.keys(inputs)) {
        const dir = packageDir(input);
        if (!dir) continue;
        if (!into.has(dir)) into.set(dir, new Set());
        into.get(dir).add(out);
      }
  return into;
}

const LICENSE_FILE = /^(licen[cs]e|copying)([-._].*)?$/i;
const NOTICE_FILE = /^notice([-._].*)?$/i;

function describe(dir, usedIn) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const files = readdirSync(dir).sort();
  const licenses = files.filter((f) => LICENSE_FILE.test(f));
  if (!licenses.length)
    throw new Error(`${pkg.name}@${pkg.version} is bundled but ships no license file (in ${dir}): its license text must travel with the bundle`);
  const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? (pkg.licenses ?? []).map((l) => l.type).join(' OR '));
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return {
    name: pkg.name,
    version: pkg.version,
    license: license || 'see the license text',
    homepage: pkg.homepage ?? repo?.replace(/^git\+/, '').replace(/\.git$/, ''),
    usedIn: [...usedIn].sort(),
    texts: [...licenses, ...files.filter((f) => NOTICE_FILE.test(f))].map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8').trimEnd() })),
  };
}

/**
 * Write the notices for the bundled packages (from `metafiles`) and for
 * `extra` ({ dir, usedIn: [...] }: packages compiled in some other way, such
 * as the Node-API headers in the addon) to `out`; returns the packages.
 */
export function writeNotices({ metafiles, extra = [], out, product }) {
  const packages = [...bundledPackages(metafiles)].map(([dir, usedIn]) => describe(dir, usedIn));
  for (const e of extra) packages.push(describe(e.dir, e.usedIn));
  packages.sort((a, b) => a.name.localeCompare(b.name));
  const rule = '-'.repeat(80);
  const text = [
    `${product}: third-party notices`,
    '',
    'vcstore is licensed under the Apache License, Version 2.0 (LICENSE). Its',
    'bundles hold code from the packages below, each under its own license;',
    'their license texts follow, as each package ships them.',
    '',
    ...packages.map((p) => `  ${p.name} ${p.version} (${p.license})`),
    ...packages.flatMap((p) => [
      '',
      rule,
      `${p.name} ${p.version}`,
      `License: ${p.license}`,
      ...(p.homepage ? [`Source: ${p.homepage}`] : []),
      `Included in: ${p.usedIn.join(', ')}`,
      ...p.texts.flatMap((t) => ['', `${t.file}:`, '', t.text]),
    ]),
    '',
  ].join('\n');
  writeFileSync(out, text);
  return packages;
}
