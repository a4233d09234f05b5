// One step's figures from what was measured: the wire (pcap), Asterisk's bridge times (AMI),
// SIPp's counts, CPU from /proc and the service's /readyz.
import { bridgedAt, type BridgeEnter } from './ami';
import type { CpuUse } from './cpu';
import type { System } from './options';
import type { CallerCall } from './pcap';
import type { SippCounts } from './sipp';

/** The knee rule: a step passes when at least this share of attempted calls completed and none failed. */
export const COMPLETED_MIN = 0.995;
export const KNEE_RULE = `a step passes when >= ${COMPLETED_MIN * 100} % of attempted calls completed and none failed; the knee is the highest rate that passed in every round, with every lower rate passing too`;

export interface Spread {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface StepResult {
  round: number;
  system: System;
  rate: number;
  durationS: number;
  /** Calls SIPp placed. */
  attempted: number;
  /** The caller got 200, an agent's INVITE for it got the phone's 200, then the caller got the far side's BYE. */
  completed: number;
  /** SIPp's failed count (non-2xx answers, timeouts, unexpected messages). */
  failed: number;
  /** Final answers other than 2xx seen on the wire. */
  non2xx: number;
  /** Answered, but no agent ever answered for it (e.g. Switchboard's apology when overloaded). */
  answeredNoAgent: number;
  /** Refused: answered, no agent ever rung, and hung up by the far side within REFUSAL_MAX_MS of the answer (the overload apology). */
  refused: number;
  /** Refused calls whose answer came more than 1 s after their INVITE. */
  refusedSlow: number;
  /** Answered and neither completed nor refused: taken, then lost (given up while waiting, dropped). */
  lost: number;
  /** Switchboard only: agents left paused after the step (the system pausing them, e.g. for no answer). */
  agentsPaused?: number;
  /** Still running when SIPp's global timeout ended the step. */
  unfinished: number;
  inviteToAgentInviteMs?: Spread;
  inviteToBridgedMs?: Spread;
  /** CPU ms per completed call, per process (node = the Switchboard service). */
  cpuPerCallMs: Record<string, number>;
  cpuMs: Record<string, number>;
  busyPct: number;
  otherPct: number;
  eventLoop?: { samples: number; notReady: number; delayP99MaxMs?: number; utilisationMean?: number };
  pass: boolean;
  notes: string[];
}

export function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s[s.length - 1]! };
}

export interface StepInput {
  round: number;
  system: System;
  rate: number;
  durationS: number;
  calls: Map<string, CallerCall>;
  bridges: readonly BridgeEnter[];
  callers: SippCounts | undefined;
  phone: SippCounts | undefined;
  cpu: CpuUse;
  eventLoop?: StepResult['eventLoop'];
  captureDropped: number;
  leftoversHungUp: number;
  /** Calls per second the agents can carry at most (options.ts, AGENT_BUSY_S). */
  agentCapacity: number;
}

/** The overload apology ("all circuits are busy now", 1.8 s) is over well within this. */
export const REFUSAL_MAX_MS = 5000;

function counts(calls: Iterable<CallerCall>) {
  let completed = 0;
  let non2xx = 0;
  let answeredNoAgent = 0;
  let refused = 0;
  let refusedSlow = 0;
  let lost = 0;
  for (const c of calls) {
    if (c.finalStatus !== undefined && c.finalStatus >= 300) non2xx++;
    const done = c.answered !== undefined && c.agentAnswered !== undefined && c.byeFromFar !== undefined;
    if (done) completed++;
    if (c.answered !== undefined && c.agentAnswered === undefined) answeredNoAgent++;
    const refusal = c.answered !== undefined && c.agentInvite === undefined && c.byeFromFar !== undefined && c.byeFromFar - c.answered <= REFUSAL_MAX_MS;
    if (refusal) {
      refused++;
      if (c.answered! - c.invite > 1000) refusedSlow++;
    } else if (c.answered !== undefined && !done) lost++;
  }
  return { completed, non2xx, answeredNoAgent, refused, refusedSlow, lost };
}

function latencies(calls: Map<string, CallerCall>, bridges: readonly BridgeEnter[]) {
  const toAgent: number[] = [];
  const toBridge: number[] = [];
  const bridged = bridgedAt(bridges);
  for (const [number, c] of calls) {
    if (c.agentInvite !== undefined) toAgent.push(c.agentInvite - c.invite);
    const b = bridged.get(number);
    if (b !== undefined) toBridge.push(b - c.invite);
  }
  return { toAgent: spread(toAgent), toBridge: spread(toBridge) };
}

function notesFor(i: StepInput, seenOnWire: number): string[] {
  const notes: string[] = [];
  const attempted = i.callers?.created ?? 0;
  if (!i.callers) notes.push('SIPp wrote no statistics (see the run folder)');
  if (i.captureDropped > 0) notes.push(`tcpdump: ${i.captureDropped} packets dropped by the kernel (wire figures undercount)`);
  if (seenOnWire !== attempted) notes.push(`${seenOnWire} caller INVITEs on the wire, SIPp placed ${attempted}`);
  if (i.leftoversHungUp > 0) notes.push(`${i.leftoversHungUp} channels left from the step before were hung up first`);
  if (i.phone && i.phone.failed > 0) notes.push(`the phone counted ${i.phone.failed} failed calls`);
  if ((i.callers?.watchdogMajor ?? 0) > 0 || (i.phone?.watchdogMajor ?? 0) > 0) notes.push('SIPp was starved (watchdog major trips): the load was not offered evenly');
  const unfinished = attempted - (i.callers?.successful ?? 0) - (i.callers?.failed ?? 0);
  if (unfinished > 0) notes.push(`${unfinished} calls still running when SIPp's global timeout ended the step`);
  if (i.rate > i.agentCapacity) notes.push(`above what the agents can carry (about ${Math.floor(i.agentCapacity)} calls/s): callers queue whatever the system`);
  if (i.cpu.otherPct >= 10) notes.push(`other processes used ${i.cpu.otherPct.toFixed(0)} % of the machine: figures disturbed`);
  return notes;
}

export function analyseStep(i: StepInput): StepResult {
  const attempted = i.callers?.created ?? 0;
  const failed = i.callers?.failed ?? 0;
  const { completed, non2xx, answeredNoAgent, refused, refusedSlow, lost } = counts(i.calls.values());
  const { toAgent, toBridge } = latencies(i.calls, i.bridges);
  const cpuPerCallMs: Record<string, number> = {};
  for (const name of ['node', 'asterisk', 'redis']) {
    const ms = i.cpu.ms[name];
    if (ms !== undefined && completed > 0) cpuPerCallMs[name] = ms / completed;
  }
  return {
    round: i.round,
    system: i.system,
    rate: i.rate,
    durationS: i.durationS,
    attempted,
    completed,
    failed,
    non2xx,
    answeredNoAgent,
    refused,
    refusedSlow,
    lost,
    unfinished: Math.max(0, attempted - (i.callers?.successful ?? 0) - failed),
    ...(toAgent ? { inviteToAgentInviteMs: toAgent } : {}),
    ...(toBridge ? { inviteToBridgedMs: toBridge } : {}),
    cpuPerCallMs,
    cpuMs: i.cpu.ms,
    busyPct: i.cpu.busyPct,
    otherPct: i.cpu.otherPct,
    ...(i.eventLoop ? { eventLoop: i.eventLoop } : {}),
    pass: attempted > 0 && completed >= COMPLETED_MIN * attempted && failed === 0,
    notes: notesFor(i, i.calls.size),
  };
}
