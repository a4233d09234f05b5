// The live views supervisors and wallboards read: per queue (waiting, longest wait, callers past
// the service-level threshold, agents by state) and per agent (state, reason, time in state,
// current call, queues). Pure: built from one snapshot of the ACD's documents and `now`.
import { queuesServed } from './eligibility';
import type { AgentProfile, AgentState, AgentStatus, QueueConfig, QueueEntry } from './model';

export const AGENT_STATUSES: readonly AgentStatus[] = ['logged-out', 'available', 'reserved', 'on-call', 'wrap-up', 'paused'];

export interface QueueView {
  id: string;
  name: string;
  waiting: number;
  longestWaitSeconds: number;
  /** Waiting callers whose wait in this queue passed its service-level threshold. */
  overThreshold: number;
  serviceLevel: { thresholdSeconds: number; target: number };
  /** Agents who serve the queue, by status (logged-out ones included, for the roster). */
  agents: Record<AgentStatus, number>;
}

export interface AgentView {
  id: string;
  name: string;
  status: AgentStatus;
  reason?: string;
  since?: number;
  timeInStateSeconds: number;
  callId?: string;
  reachable: boolean;
  /** Logged in at an external number instead of the SIP phone. */
  remote: boolean;
  queues: string[];
  callsTaken: number;
}

type Waiting = Pick<QueueEntry, 'queue' | 'queuedAt'>;

const wholeSeconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

export function agentView(profile: AgentProfile, state: AgentState | undefined, queues: Iterable<QueueConfig>, now: number): AgentView {
  return {
    id: profile.id,
    name: profile.name,
    status: state?.status ?? 'logged-out',
    ...(state?.pauseReason !== undefined && state.status === 'paused' ? { reason: state.pauseReason } : {}),
    ...(state ? { since: state.since } : {}),
    timeInStateSeconds: state ? wholeSeconds(now - state.since) : 0,
    ...(state?.callId !== undefined ? { callId: state.callId } : {}),
    reachable: state?.reachable ?? false,
    remote: state?.remote !== undefined,
    queues: queuesServed(profile, queues),
    callsTaken: state?.callsTaken ?? 0,
  };
}

export function queueViews(queues: Iterable<QueueConfig>, agents: readonly AgentView[], waiting: readonly Waiting[], now: number): QueueView[] {
  return [...queues].map((q) => {
    const mine = waiting.filter((w) => w.queue === q.id);
    const waits = mine.map((w) => now - w.queuedAt);
    const byStatus = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>;
    for (const a of agents) if (a.queues.includes(q.id)) byStatus[a.status] += 1;
    return {
      id: q.id,
      name: q.name,
      waiting: mine.length,
      longestWaitSeconds: wholeSeconds(Math.max(0, ...waits)),
      overThreshold: waits.filter((ms) => ms > q.serviceLevel.thresholdS * 1000).length,
      serviceLevel: { thresholdSeconds: q.serviceLevel.thresholdS, target: q.serviceLevel.targetPct / 100 },
      agents: byStatus,
    };
  });
}
