// check as the Prometheus text exposition format, for node_exporter's
// textfile collector. Labels are bounded (layout, state, code, severity,
// slot status): never a sandbox ID, so a fleet's series count does not grow
// with its pods.
import { type CheckReport, type Code, CODES } from '../store/index.js';
import { VERSION } from '../defaults.js';

export interface RunFacts {
  /** Did the check run to the end? */
  completed: boolean;
  durationSeconds: number;
  /** Unix seconds of the last completed check (this one, or carried over from the previous file). */
  lastSuccess: number | null;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3));

class Writer {
  private out: string[] = [];
  metric(name: string, help: string, samples: [Record<string, string>, number][]): void {
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      this.out.push(`${name}${l ? `{${l}}` : ''} ${num(value)}`);
    }
  }
  toString(): string {
    return `${this.out.join('\n')}\n`;
  }
}

/** The metrics of one check run; `report` is null when the check did not complete. */
export function prometheusText(report: CheckReport | null, run: RunFacts): string {
  const w = new Writer();
  w.metric('vcstore_check_completed', 'Whether the last vcstore check ran to the end (1) or failed (0).', [[{}, run.completed ? 1 : 0]]);
  w.metric('vcstore_check_duration_seconds', 'How long the last vcstore check took.', [[{}, run.durationSeconds]]);
  if (run.lastSuccess !== null)
    w.metric('vcstore_check_last_success_timestamp_seconds', 'Unix time of the last vcstore check that completed.', [[{}, run.lastSuccess]]);
  w.metric('vcstore_build_info', 'vcstore version, always 1.', [[{ version: VERSION }, 1]]);
  if (!report) return w.toString();

  const s = report.stats;
  w.metric(
    'vcstore_sandboxes',
    'Sandboxes in the store, by layout and state (state "none": unreadable; "other": not one of the four).',
    [...s.sandboxes].sort().map(([k, n]) => {
      const [layout, state] = k.split(' ') as [string, string];
      return [{ layout, state }, n];
    }),
  );
  // Every code is present, 0 when absent, so alerts need no absent() guards.
  const counts = new Map<string, number>();
  for (const code of Object.keys(CODES) as Code[]) counts.set(`${code} ${CODES[code].severity}`, 0);
  for (const f of report.findings) counts.set(`${f.code} ${f.severity}`, (counts.get(`${f.code} ${f.severity}`) ?? 0) + 1);
  w.metric(
    'vcstore_findings',
    'Findings of the last vcstore check, by code and severity.',
    [...counts].sort().map(([k, n]) => {
      const [code, severity] = k.split(' ') as [string, string];
      return [{ code, severity }, n];
    }),
  );
  w.metric('vcstore_locks_held', 'Sandbox locks held at the time of the check.', [[{}, s.locksHeld]]);
  w.metric('vcstore_lock_waiters', 'Processes waiting for a sandbox lock at the time of the check.', [[{}, s.lockWaiters]]);
  w.metric('vcstore_lock_oldest_holder_age_seconds', 'Age of the oldest process holding a sandbox lock (0: none).', [[{}, s.oldestHolderAge]]);
  w.metric('vcstore_lock_oldest_waiter_age_seconds', 'Age of the oldest process waiting for a sandbox lock (0: none).', [[{}, s.oldestWaiterAge]]);
  if (s.uuid)
    w.metric('vcstore_acrn_uuid_slots', 'ACRN VM UUID slots by status (8 in all; busy includes leaked).', [
      [{ status: 'busy' }, s.uuid.busy],
      [{ status: 'free' }, s.uuid.free],
      [{ status: 'leaked' }, s.uuid.leaked],
    ]);
  const leakedMounts = report.findings.filter((f) => f.code === 'mounts-leaked').reduce((n, f) => n + Number(f.evidence.count ?? 0), 0);
  const orphans = report.findings
    .filter((f) => f.code === 'processes-orphaned')
    .reduce((n, f) => n + (Array.isArray(f.evidence.processes) ? f.evidence.processes.length : 0), 0);
  w.metric('vcstore_mounts_leaked', 'Mounts left below sandboxes whose hypervisor, shim and virtiofsd are gone.', [[{}, leakedMounts]]);
  w.metric('vcstore_processes_orphaned', 'Runtime processes naming a sandbox that has no store.', [[{}, orphans]]);
  w.metric('vcstore_sandboxes_checked', 'Sandboxes the last check looked at.', [[{}, report.sandboxes]]);
  return w.toString();
}

/** The last-success time a previous textfile recorded, to carry over when this run fails. */
export function previousLastSuccess(text: string): number | null {
  const m = /^vcstore_check_last_success_timestamp_seconds (\S+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}
