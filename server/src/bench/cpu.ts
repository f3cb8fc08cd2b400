// CPU time of the bench's processes over a measured phase, read from /proc: on a machine shared
// with other work, throughput is noisy, CPU per message is not. Linux only (the bench's machines).
import { readFileSync } from 'node:fs';

/** Ticks per second of /proc's utime and stime (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_S = 100;

/** User + system CPU of a process so far (ms); 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** Busy and total CPU time of the whole machine so far (ms, summed over cores). */
function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: ((total - idle) * 1000) / TICKS_PER_S, total: (total * 1000) / TICKS_PER_S };
}

/** The processes to account, by role; looked up at the start and at the end (a pool may open connections meanwhile). */
export type ProcessGroups = () => Promise<Record<string, number[]>> | Record<string, number[]>;

export interface CpuReport {
  /** CPU-ms of each role over the phase. */
  ms: Record<string, number>;
  /** What the rest of the machine (other work, PostgreSQL's own background processes) used meanwhile. */
  othersMs: number;
  /** Length of the phase (ms of wall time). */
  wallMs: number;
}

/**
 * Starts measuring now; `stop()` gives each role's CPU-ms since. A process that appeared in between
 * counts from zero (it started during the phase).
 */
export async function startCpuMeter(groups: ProcessGroups): Promise<{ stop(): Promise<CpuReport> }> {
  const before = new Map<number, number>();
  const roles = new Map<string, Set<number>>();
  for (const [role, pids] of Object.entries(await groups())) {
    roles.set(role, new Set(pids));
    for (const pid of pids) before.set(pid, processCpuMs(pid));
  }
  const machineBefore = machineCpuMs();
  const t0 = performance.now();
  return {
    async stop() {
      const wallMs = performance.now() - t0;
      const machine = machineCpuMs();
      // The processes known already are read at once (the generator exits right after the window).
      const known = new Map([...before.keys()].map((pid) => [pid, processCpuMs(pid)]));
      const ms: Record<string, number> = {};
      let ours = 0;
      for (const [role, pids] of Object.entries(await groups())) {
        ms[role] = 0;
        for (const pid of new Set([...(roles.get(role) ?? []), ...pids])) {
          const now = known.get(pid) ?? processCpuMs(pid);
          // A process gone meanwhile (a closed pool connection) took its time with it: not counted.
          const used = now > 0 ? now - (before.get(pid) ?? 0) : 0;
          ms[role] += used;
          ours += used;
        }
      }
      return { ms, othersMs: Math.max(0, machine.busy - machineBefore.busy - ours), wallMs };
    },
  };
}

/** CPU-ms per 1,000 messages, by role, with the total of the bench's own processes. */
export function perThousand(report: CpuReport, messages: number): Record<string, number> {
  const per = (ms: number) => Math.round((ms / Math.max(1, messages)) * 1000);
  const out: Record<string, number> = {};
  let total = 0;
  for (const [role, ms] of Object.entries(report.ms)) {
    out[role] = per(ms);
    total += ms;
  }
  out.total = per(total);
  out.others = per(report.othersMs);
  return out;
}

/** Cores the bench's processes kept busy on average over the phase, and the rest of the machine. */
export function coresBusy(report: CpuReport): { cores: number; cores_others: number } {
  const ours = Object.values(report.ms).reduce((a, b) => a + b, 0);
  const cores = (ms: number) => Math.round((ms / Math.max(1, report.wallMs)) * 100) / 100;
  return { cores: cores(ours), cores_others: cores(report.othersMs) };
}
