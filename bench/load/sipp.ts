// SIPp for the load benchmark: the one phone every agent's contact reaches (sipp/phone.xml) and
// the callers (sipp/caller.xml), with SIPp's own counts read from its statistics file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { start, udpBound, waitFor, type Child, type Cleanup } from './procs';

export const SCENARIOS = path.join(__dirname, '..', '..', '..', 'bench', 'load', 'sipp');

// A busy 2-core machine can starve SIPp for a moment: count it (in the statistics) rather than
// have SIPp's watchdog end the step.
const COMMON = ['-i', '127.0.0.1', '-nostdin', '-fd', '1', '-trace_stat', '-trace_err', '-watchdog_major_maxtriggers', '1000000', '-watchdog_minor_maxtriggers', '1000000'];

/** The ports SIPp itself takes: -mp and the three above it (RTP/RTCP, audio and video). */
export const MEDIA_PORTS = 4;

export interface SippCounts {
  created: number;
  successful: number;
  failed: number;
  failedTimeout: number;
  failedUnexpected: number;
  retransmissions: number;
  watchdogMajor: number;
}

/** The last line of a SIPp -trace_stat file (cumulative counts). */
export async function readCounts(statFile: string): Promise<SippCounts | undefined> {
  const lines = (await readFile(statFile, 'utf8').catch(() => '')).trim().split('\n');
  if (lines.length < 2) return undefined;
  const names = lines[0]!.split(';');
  const values = lines.at(-1)!.split(';');
  const get = (n: string) => Number(values[names.indexOf(n)] ?? 0) || 0;
  return {
    created: get('TotalCallCreated'),
    successful: get('SuccessfulCall(C)'),
    failed: get('FailedCall(C)'),
    failedTimeout: get('FailedTimeoutOnRecv(C)'),
    failedUnexpected: get('FailedUnexpectedMessage(C)'),
    retransmissions: get('Retransmissions(C)'),
    watchdogMajor: get('WatchdogMajor(C)'),
  };
}

export interface Phone {
  child: Child;
  statFile: string;
  stop(): Promise<SippCounts | undefined>;
}

/** Starts the phone (a SIPp UAS) on `port` and resolves once it listens (deadline 10 s). */
export async function startPhone(cleanup: Cleanup, dir: string, tag: string, port: number, mediaPort: number): Promise<Phone> {
  if (await udpBound(port)) throw new Error(`UDP port ${port} (the agents' contact, config/stack/bench.env AGENT_CONTACT) is already in use`);
  const statFile = path.join(dir, `${tag}-phone.csv`);
  const child = start(cleanup, 'SIPp phone', 'sipp', ['-sf', path.join(SCENARIOS, 'phone.xml'), '-p', String(port), '-mp', String(mediaPort), '-stf', statFile, '-error_file', path.join(dir, `${tag}-phone-errors.log`), ...COMMON], {
    cwd: dir,
    logFile: '/dev/null',
  });
  await waitFor(`the SIPp phone to listen on udp/${port}`, async () => (await udpBound(port)) || (child.proc.exitCode !== null ? Promise.reject(new Error(`the SIPp phone exited: ${child.stderr()}`)) : false), 10_000);
  return {
    child,
    statFile,
    async stop() {
      await child.stop('SIGINT', 10_000);
      return readCounts(statFile);
    },
  };
}

export interface CallerRun {
  child: Child;
  /** Resolves when SIPp has placed every call and each has ended (or the global timeout hit). */
  done: Promise<{ exit: number | string; counts: SippCounts | undefined; errors: string }>;
}

export interface CallerPlan {
  target: string;
  number: string;
  rate: number;
  durationS: number;
  /** Four digits before SIPp's call number in each caller's number: unique per step. */
  prefix: string;
  port: number;
  mediaPort: number;
  /** Seconds after the last call is placed before SIPp gives up on what is still running. */
  drainS: number;
}

/** Starts the callers: `rate` calls per second for `durationS` seconds. */
export function startCallers(cleanup: Cleanup, dir: string, tag: string, p: CallerPlan): CallerRun {
  const statFile = path.join(dir, `${tag}-callers.csv`);
  const errorFile = path.join(dir, `${tag}-callers-errors.log`);
  const total = Math.round(p.rate * p.durationS);
  const args = [p.target, '-sf', path.join(SCENARIOS, 'caller.xml'), '-s', p.number, '-key', 'cprefix', p.prefix];
  args.push('-r', String(p.rate), '-rp', '1000', '-m', String(total), '-l', String(Math.max(1000, Math.ceil(p.rate * (p.durationS + p.drainS)))));
  args.push('-p', String(p.port), '-mp', String(p.mediaPort), '-recv_timeout', '20000', '-timeout', `${Math.ceil(p.durationS + p.drainS)}s`);
  args.push('-stf', statFile, '-error_file', errorFile, ...COMMON);
  const child = start(cleanup, 'SIPp callers', 'sipp', args, { cwd: dir, logFile: '/dev/null' });
  const done = child.exited.then(async (exit) => ({
    exit,
    counts: await readCounts(statFile),
    errors: (await readFile(errorFile, 'utf8').catch(() => '')).slice(-2000),
  }));
  return { child, done };
}
