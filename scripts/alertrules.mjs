// The code lists of the alert rules (examples/prometheus/vcstore-rules.yml),
// made from the one code table: CODES and CANNOT_TELL
// (src/store/read/problems.ts) and what `check --fix` acts on (FIXABLE in
// src/store/inspect/check.ts, read through its exported `finding`), from the
// built dist/ (`npm run build` first). Every code, at each severity a check
// can report it with, goes to exactly one alert:
// - CANNOT_TELL: VcstoreCannotTell (vcstore could not look).
// - lock-held-long, lock-waiter-stuck: VcstoreLockStuck, which pages on the
//   lock ages themselves (10 minutes, not --stuck-after's minute).
// - a code --fix acts on, at its own severity: VcstoreLeakedSandboxes. At
//   the other one (cgroup-leaked, netns-leaked as errors: a process holds
//   them; mounts-leaked as a warning: under a live sandbox) --fix leaves it:
//   VcstoreNeedsAPerson.
// - mounts-leaked at any severity: VcstoreNeedsAPerson, since the DaemonSet's
//   pod cannot unmount in the host's mount namespace.
// - every other code, as an error or a warning: VcstoreNeedsAPerson.
// - info pages nobody.
// Only the `expr:` of those three alerts is made here; the rest of the file
// (comments, thresholds, annotations) is edited by hand.
//   node scripts/alertrules.mjs           print the rules file as it should be
//   node scripts/alertrules.mjs --write   rewrite examples/prometheus/vcstore-rules.yml
// then `node scripts/prometheusrule.mjs > examples/prometheus/vcstore-prometheusrule.yaml`.
// test/fleet.test.ts checks the committed file is exactly this output.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/src/', import.meta.url);
if (!existsSync(new URL('store/inspect/check.js', dist))) {
  process.stderr.write('alertrules.mjs: dist/ is not built: run `npm run build` first\n');
  process.exit(1);
}
const { CODES, CANNOT_TELL, problem } = await import(new URL('store/read/problems.js', dist).href);
const { finding } = await import(new URL('store/inspect/check.js', dist).href);

const LEAKED = 'VcstoreLeakedSandboxes';
const PERSON = 'VcstoreNeedsAPerson';
const CANNOT = 'VcstoreCannotTell';
/** Codes paged by an alert on another metric than vcstore_findings. */
const ELSEWHERE = { 'lock-held-long': 'VcstoreLockStuck', 'lock-waiter-stuck': 'VcstoreLockStuck' };
/** Codes --fix acts on that the DaemonSet's --fix still cannot clear. */
const POD_CANNOT = new Set(['mounts-leaked']);
const SEVERITIES = ['error', 'warning'];

/** The alert that pages on this code at this severity (null: none by code). */
function alertFor(code, severity) {
  if (CANNOT_TELL.has(code)) return CANNOT;
  if (code in ELSEWHERE) return null;
  if (!SEVERITIES.includes(severity)) return null;
  const fixable = finding('-', problem(code, {})).fixable;
  if (fixable && !POD_CANNOT.has(code) && severity === CODES[code].severity) return LEAKED;
  return PERSON;
}

/** severity -> the codes VcstoreLeakedSandboxes pages on at it, in the table's order. */
function leaked() {
  const out = { error: [], warning: [] };
  for (const code of Object.keys(CODES)) {
    if (!/^[a-z0-9-]+$/.test(code)) throw new Error(`${code}: not a plain name for a regex alternative`);
    for (const s of SEVERITIES) if (alertFor(code, s) === LEAKED) out[s].push(code);
  }
  return out;
}

const FRESH = 'and on (instance) (time() - vcstore_check_last_success_timestamp_seconds < 900)';

/** The expr of each generated alert, as lines. */
function exprs() {
  const l = leaked();
  const sel = SEVERITIES.filter((s) => l[s].length).map((s) => `vcstore_findings{code=~"${l[s].join('|')}",severity="${s}"}`);
  // Everything else, so that a code added to the table pages a person until it is placed.
  const others = [...CANNOT_TELL, ...Object.keys(ELSEWHERE)].join('|');
  return {
    [LEAKED]: ['sum by (instance) (', ...sel.map((x, i) => `  ${i ? 'or ' : ''}${x}`), ') > 0', FRESH],
    [PERSON]: [
      'sum by (instance) (',
      `  vcstore_findings{severity=~"${SEVERITIES.join('|')}",code!~"${others}"}`,
      ...sel.map((x) => `  unless ${x}`),
      ') > 0',
      FRESH,
    ],
    [CANNOT]: [`sum by (instance) (vcstore_findings{code=~"${[...CANNOT_TELL].join('|')}"}) > 0`],
  };
}

/** The rules file's text with each generated alert's expr replaced. */
function rulesText(text) {
  const lines = text.split('\n');
  for (const [alert, expr] of Object.entries(exprs())) {
    const at = lines.findIndex((l) => l.trim() === `- alert: ${alert}`);
    if (at < 0) throw new Error(`vcstore-rules.yml has no alert ${alert}`);
    const ruleIndent = lines[at].indexOf('-');
    let e = at + 1;
    while (e < lines.length && !/^\s*expr:/.test(lines[e])) {
      if (/^\s*- /.test(lines[e]) && lines[e].indexOf('-') <= ruleIndent) throw new Error(`${alert} has no expr`);
      e++;
    }
    const indent = lines[e].indexOf('expr:');
    let end = e + 1;
    while (end < lines.length && lines[end].trim() !== '' && lines[end].search(/\S/) > indent) end++;
    const pad = ' '.repeat(indent);
    lines.splice(e, end - e, `${pad}expr: >-`, ...expr.map((x) => `${pad}  ${x}`));
  }
  return lines.join('\n');
}

const file = new URL('../examples/prometheus/vcstore-rules.yml', import.meta.url);
const text = rulesText(readFileSync(file, 'utf8'));
if (process.argv.includes('--write')) writeFileSync(file, text);
else process.stdout.write(text);
