// What the metrics read at scrape time, as ports: the composition passes the real ACD store,
// statistics, ARI link and Redis; tests pass fakes. Plus one pure helper that turns the ACD's
// documents into the per-queue figures, so the wiring stays a few lines.
import type { AgentStatus } from '../acd/domain';

/** Agent states that count for a queue (logged-out agents serve nothing). */
export type ServingStatus = Exclude<AgentStatus, 'logged-out'>;
export const SERVING_STATUSES: readonly ServingStatus[] = ['available', 'reserved', 'on-call', 'wrap-up', 'paused'];

/** One queue as the scrape sees it. */
export interface QueueSnapshot {
  readonly id: string;
  /** Callers waiting for an agent (including those whose agent is being rung). */
  readonly waiting: number;
  /** The longest current wait in this queue, in seconds (0 when nobody waits). */
  readonly longestWaitS: number;
  /** Agents serving the queue by state; a missing state counts 0. */
  readonly agents: Partial<Record<ServingStatus, number>>;
  /** The queue's configured service-level goal, if any (the dashboard draws it as the target). */
  readonly serviceLevelGoal?: { readonly thresholdS: number; readonly targetRatio: number };
}

export interface MetricsSources {
  /** Every configured queue (and any queue callers still wait in). */
  queues(): Promise<readonly QueueSnapshot[]>;
  /** Share answered within the threshold in the current statistics interval (0..1); null when there is nothing to rate yet. */
  serviceLevel(queue: string): Promise<number | null>;
  /** The ARI link is up and ours (AriLink.check().ok). */
  ariConnected(): boolean;
  /** Resolves when Redis answers a PING. */
  redisPing(): Promise<unknown>;
}

/** Inputs of summariseQueues: shaped so QueueConfig, AgentState and AcdEntry fit as they are. */
export interface QueueSummaryInput {
  readonly queues: Iterable<{ readonly id: string; readonly serviceLevel?: { readonly thresholdS: number; readonly targetPct: number } }>;
  /** Queue entries; `connected` ones are skipped (no longer waiting). */
  readonly entries: Iterable<{ readonly queue: string; readonly queuedAt: number; readonly state?: string }>;
  readonly agents: Iterable<{ readonly id: string; readonly status: AgentStatus }>;
  /** Whether the agent serves the queue (membership is configuration: the composition knows it). */
  serves(agentId: string, queue: string): boolean;
  /** Epoch ms, from the clock port. */
  readonly now: number;
}

/** Per-queue figures from the ACD's documents. Pure: no I/O, `now` is given. */
export function summariseQueues(input: QueueSummaryInput): QueueSnapshot[] {
  type Acc = { waiting: number; oldest: number | undefined; agents: Partial<Record<ServingStatus, number>>; goal: QueueSnapshot['serviceLevelGoal'] };
  const byQueue = new Map<string, Acc>();
  const acc = (id: string): Acc => {
    let a = byQueue.get(id);
    if (!a) byQueue.set(id, (a = { waiting: 0, oldest: undefined, agents: {}, goal: undefined }));
    return a;
  };
  for (const q of input.queues) {
    acc(q.id).goal = q.serviceLevel && { thresholdS: q.serviceLevel.thresholdS, targetRatio: q.serviceLevel.targetPct / 100 };
  }
  for (const e of input.entries) {
    if (e.state === 'connected') continue;
    const a = acc(e.queue);
    a.waiting++;
    if (a.oldest === undefined || e.queuedAt < a.oldest) a.oldest = e.queuedAt;
  }
  const queueIds = [...byQueue.keys()];
  for (const agent of input.agents) {
    if (agent.status === 'logged-out') continue;
    for (const q of queueIds) {
      if (!input.serves(agent.id, q)) continue;
      const counts = acc(q).agents;
      counts[agent.status] = (counts[agent.status] ?? 0) + 1;
    }
  }
  return queueIds.map((id) => {
    const a = acc(id);
    const longestWaitS = a.oldest === undefined ? 0 : Math.max(0, (input.now - a.oldest) / 1000);
    return { id, waiting: a.waiting, longestWaitS, agents: a.agents, ...(a.goal ? { serviceLevelGoal: a.goal } : {}) };
  });
}
