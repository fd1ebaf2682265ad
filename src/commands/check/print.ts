// What check prints: one JSON document, or the table of findings with their
// next steps, what a fix did, and one summary line.
import type { Ctx } from '../../context.js';
import type { check as declared, OptsOf } from '../../program.js';
import { actionKey, type CheckReport, criKnown, type CriView, Exit, type Finding, type FixAction } from '../../store/index.js';
import { problemText } from '../../render/problems.js';
import { podJson } from '../../render/json.js';
import { nextStep, type NextTools } from '../../render/next.js';
import { termSafe } from '../../render/safe.js';
import { table, type Col } from '../../render/table.js';
import { cell, podText } from '../../render/rows.js';
import { ChunkedWriter } from '../../render/chunked.js';
import type { Fixed } from './fix.js';
import { actionLine } from './actions.js';
import type { summarize } from './gate.js';

type Opts = OptsOf<typeof declared>;

/** Everything a run of check comes to, for printing. */
export interface Outcome extends Fixed {
  report: CheckReport;
  counts: ReturnType<typeof summarize>;
  /** The container manager asked, as it answered. */
  cri: CriView | null;
  /** The fixes that changed something. */
  done: FixAction[];
  /** What a person must still do (summary.person). */
  person: number;
  code: number;
  tools: NextTools;
}

/** The one JSON document: findings, summary, and with --fix the actions and what remains. */
export function printJson(ctx: Ctx, out: Outcome): void {
  const { report, counts, cri, actions, interrupted, remaining, dryRun, done, person, tools } = out;
  const prefix = ctx.roots.prefix;
  // Written a finding at a time: the same bytes as one JSON.stringify of the
  // whole document, without holding it twice (10,000 sandboxes: ~15 MB).
  const w = new ChunkedWriter((t) => ctx.write(t));
  w.push('{"findings":[');
  // A finding as scripts read it: the pod in its JSON shape, the message and the next step.
  const findingJson = (f: Finding) => ({ ...f, pod: f.pod && podJson(f.pod), message: problemText(f), next: nextStep(f, prefix, tools) });
  report.findings.forEach((f, i) => w.push(`${i ? ',' : ''}${JSON.stringify(findingJson(f))}`));
  const criSummary = cri
    ? criKnown(cri)
      ? { socket: cri.socket, runtime: cri.runtime, version: cri.version, api: cri.api, sandboxes: cri.sandboxes.size, ms: cri.ms }
      : { socket: cri.socket, error: cri.error }
    : null;
  w.push(
    `],"summary":${JSON.stringify({ sandboxes: report.sandboxes, ...counts, remaining: remaining.length, person, ...(criSummary ? { cri: criSummary } : {}) })}`,
  );
  if (actions) w.push(`,"actions":${JSON.stringify(actions)}`);
  if (actions && !dryRun && !interrupted) w.push(`,"remaining":${JSON.stringify(remaining.map(findingJson))}`);
  if (interrupted) w.push(`,"error":${JSON.stringify({ code: interrupted.exitCode, message: interrupted.message })}`);
  w.push('}\n');
  w.flush();
  if (interrupted) ctx.err(`vcstore: ${interrupted.message}: stopped after ${done.length} fixes\n`);
}

/** The table of findings and their next steps (not in a round of --every), what a fix did, and the summary line. */
export async function printText(ctx: Ctx, o: Opts, out: Outcome, round: boolean): Promise<void> {
  const { report, counts, actions, interrupted, remaining, dryRun, agreed, done, person, code, tools } = out;
  const prefix = ctx.roots.prefix;
  const p = ctx.paint;
  if (report.findings.length && !round) {
    const sev = (s: Finding['severity']) => (s === 'error' ? p.bad(s) : s === 'warning' ? p.warn(s) : p.dim(s));
    const withPod = report.findings.some((f) => f.pod !== null);
    const head = ['SEVERITY', 'CODE', 'ID', ...(withPod ? ['POD'] : []), 'DETAIL'];
    const idOf = (f: Finding) => (f.container ? `${f.id.slice(0, 12)}/${f.container.slice(0, 12)}` : f.id.slice(0, 12));
    const row = (f: Finding, pod: number) => [sev(f.severity), f.code, idOf(f), ...(withPod ? [f.pod ? cell(podText(f.pod), pod) : '-'] : []), problemText(f)];
    // On a terminal the table fits its width (kubectl's and crictl's way), and the next steps, which are only
    // of use whole, follow it one per line: each runnable as printed, the findings it answers after a #.
    const width = o.trunc === false ? undefined : ctx.width;
    if (width !== undefined) {
      const cols: Col[] = [{ short: 'SEV' }, { min: 8 }, {}, ...(withPod ? [{ min: 8 }] : []), { min: 20 }];
      ctx.out(
        await table(
          head,
          report.findings.map((f) => row(f, Infinity)),
          p,
          { width, cols },
        ),
      );
      const steps = new Map<string, string[]>();
      for (const f of report.findings) {
        const step = termSafe(nextStep(f, prefix, tools));
        steps.set(step, [...(steps.get(step) ?? []), `${idOf(f)} ${f.code}`]);
      }
      ctx.out('');
      ctx.out(p.dim('next:'));
      for (const [step, what] of steps) ctx.out(`  ${step}  ${p.dim(`# ${what.join(', ')}`)}`);
    } else {
      // The next step on a line of its own under each finding, in the DETAIL column.
      const rows = report.findings.flatMap((f) => [row(f, 40), ['', '', '', ...(withPod ? [''] : []), p.dim(`next: ${termSafe(nextStep(f, prefix, tools))}`)]]);
      ctx.out(await table(head, rows, p));
    }
  }
  const tried = new Map((actions ?? []).filter((a) => a.action === 'left').map((a) => [actionKey(a), a.reason]));
  if (actions?.length) {
    if (!round) ctx.out('');
    for (const a of actions) {
      // What was tried and left is said once, with what remains below (or here, on a dry run).
      if (a.action === 'left' && ((!dryRun && !interrupted) || round)) continue;
      ctx.out(actionLine(ctx, a));
    }
  }
  if (actions && !dryRun && !interrupted && !round)
    for (const f of remaining) {
      // Why it is left: what the fix met when it tried, else why it was not tried.
      const why =
        tried.get(actionKey(f)) ??
        f.hold ??
        (f.fixable
          ? agreed
            ? 'not in the plan that was agreed'
            : 'found by the check after the fix'
          : `vcstore does not fix ${f.code}; next: ${nextStep(f, prefix, tools)}`);
      ctx.out(`${p.warn('left')} ${f.code} ${f.id}${f.container ? `/${f.container}` : ''}: ${problemText(f)} (not fixed: ${termSafe(why)})`);
    }
  const planned = (actions ?? []).filter((a) => a.action.startsWith('would')).length;
  const fixNote = !actions ? '' : dryRun ? `; dry run: ${planned} would be fixed, nothing changed` : `; ${done.length} fixed, ${remaining.length} remaining`;
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const line = `${n(report.sandboxes, 'sandbox', 'sandboxes')} checked: ${n(counts.errors, 'error')}, ${n(counts.warnings, 'warning')}, ${counts.info} info${fixNote}${person ? `; ${person} need${person === 1 ? 's' : ''} a person` : ''}`;
  ctx.out(code === Exit.OK ? p.ok(line) : p.warn(line));
  if (interrupted) ctx.err(`vcstore: ${interrupted.message}: stopped after ${done.length} fixes; every sandbox is whole or gone\n`);
}
