// CPU time from /proc: per process (utime + stime of /proc/<pid>/stat, all its threads) and for
// the whole machine (/proc/stat), as deltas over a step.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU milliseconds a process has used so far, or undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S; // fields 14 (utime) and 15 (stime)
  } catch {
    return undefined;
  }
}

/** The machine's CPU ticks so far (all cores): busy, of which spent in processes (not interrupts), and in all. */
export function machineTicks(): { busy: number; inProcesses: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const inProcesses = user + nice + system;
  return { busy: inProcesses + irq + softirq + steal, inProcesses, total: inProcesses + idle + iowait + irq + softirq + steal };
}

/**
 * The kernel's softirq threads (ksoftirqd/N): on a busy machine they carry the loopback traffic's
 * packet work, which the benchmark causes itself, so it counts them as known, not as other work.
 */
export function softirqThreads(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm.startsWith('ksoftirqd/')) out[comm] = Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface CpuSnapshot {
  at: number;
  procs: Map<string, { pid: number; ms: number }>;
  machine: { busy: number; inProcesses: number; total: number };
}

/**
 * Reads the CPU time of named processes. Sample it now and then (every second in a step): a
 * process that has exited by the next snapshot (SIPp at the end of a step) then counts up to its
 * last sample rather than not at all.
 */
export class CpuMeter {
  private readonly last = new Map<string, { pid: number; ms: number }>();

  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  sample(): void {
    for (const [name, pid] of Object.entries(this.pids())) {
      if (pid === undefined) continue;
      const ms = processCpuMs(pid);
      if (ms !== undefined) this.last.set(name, { pid, ms });
    }
  }

  snapshot(): CpuSnapshot {
    this.sample();
    return { at: Date.now(), procs: new Map(this.last), machine: machineTicks() };
  }
}

export interface CpuUse {
  wallMs: number;
  /** CPU ms per process name over the interval. */
  ms: Record<string, number>;
  /** The whole machine's busy share, % of all cores. */
  busyPct: number;
  /** Process time that no process the benchmark knows used, % of all cores (other work on the machine;
   *  interrupt time, such as loopback traffic's softirqs, is left out). */
  otherPct: number;
}

/** CPU used between two snapshots (a process first seen in the second counts from its start). */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const ms: Record<string, number> = {};
  let known = 0;
  for (const [name, now] of b.procs) {
    const before = a.procs.get(name)?.pid === now.pid ? (a.procs.get(name)?.ms ?? 0) : 0; // started within the interval: all of it
    ms[name] = now.ms - before;
    known += now.ms - before;
  }
  const dt = b.machine.total - a.machine.total;
  const busyPct = dt > 0 ? ((b.machine.busy - a.machine.busy) / dt) * 100 : 0;
  const totalMs = (dt * 1000) / TICKS_PER_S;
  const inProcessesMs = ((b.machine.inProcesses - a.machine.inProcesses) * 1000) / TICKS_PER_S;
  const otherPct = totalMs > 0 ? Math.max(0, ((inProcessesMs - known) / totalMs) * 100) : 0;
  return { wallMs: b.at - a.at, ms, busyPct, otherPct };
}
