// What the real-Kata test files share: vcstore run as root on the host's own
// paths (the private namespace's, see harness.ts), its JSON, and findings
// sorted into ours and the host's.
import { type RunResult, vc } from '../helpers.js';

export interface Finding {
  code: string;
  severity: string;
  id: string;
  container?: string;
  fixable: boolean;
  message: string;
  evidence: Record<string, unknown>;
}
export interface CheckJson {
  findings: Finding[];
  summary: Record<string, unknown>;
  actions?: { code: string; id: string; action: string; paths: string[]; reason?: string }[];
}
export interface LsEntry {
  id: string;
  state: string;
  layout: string;
  hypervisor: { type: string; pid: number; alive: boolean | null; verified?: boolean; unknown?: string };
  containers: { id: string; state: string; pid: number; alive: boolean | null }[];
  problems: { code: string }[];
}

/** The repo's bin/vcstore with no --prefix: the real Kata paths. */
export const vcs = (args: string[]): RunResult => vc(args);

export function lsJson(): LsEntry[] {
  const r = vcs(['ls', '--json']);
  if (r.code !== 0) throw new Error(`vcstore ls --json: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as LsEntry[];
}

export function checkJson(extra: string[] = []): { code: number | null; json: CheckJson; stderr: string } {
  const r = vcs(['--json', 'check', ...extra]);
  return { code: r.code, json: JSON.parse(r.stdout) as CheckJson, stderr: r.stderr };
}

/** Findings about one of `ids` (a sandbox, or a cgroup/process naming it). */
export const about = (j: CheckJson, ids: string[]): Finding[] =>
  j.findings.filter((f) => ids.includes(f.id) || ids.some((id) => JSON.stringify(f.evidence).includes(id)));

/**
 * Findings about neither our sandboxes nor the store under test: debris of
 * other runs on this host (cgroups and processes are not namespaced; a unit
 * test suite running beside this one makes fake ones). Never ours to fix.
 */
export const foreign = (j: CheckJson, ids: string[]): Finding[] => j.findings.filter((f) => !about(j, ids).includes(f));

export const codesOf = (fs: Finding[]): string[] => [...new Set(fs.map((f) => (f.container ? `${f.code}(container)` : f.code)))].sort();
