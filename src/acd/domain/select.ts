// Routing decisions over a snapshot: which agent gets a call, which call an agent gets.
// Pure and deterministic: ties break by agent id / call id; "random" takes its numbers from
// the caller.
import { isOfferable } from './agent';
import { mayBeOffered, offerableTo, type MissedBy } from './eligibility';
import type { AgentProfile, AgentState, QueueConfig, QueueEntry } from './model';

export interface AgentView {
  readonly profile: AgentProfile;
  readonly state: AgentState;
}

export interface SelectContext {
  readonly now: number;
  /** Last agent picked by this queue (round-robin). */
  readonly lastPicked?: string;
  /** A number in [0, 1) (random strategy). */
  readonly random?: () => number;
  /** Agents not to pick (being reserved for another call right now). */
  readonly skip?: ReadonlySet<string>;
}

function byIdleThenId(a: AgentView, b: AgentView): number {
  return a.state.idleSince - b.state.idleSince || (a.profile.id < b.profile.id ? -1 : a.profile.id > b.profile.id ? 1 : 0);
}

/** The skill most-skilled ranks by. */
export function rankSkillOf(queue: QueueConfig): string | undefined {
  if (queue.rankSkill) return queue.rankSkill;
  const base = queue.steps[0];
  return base && 'requirement' in base ? base.requirement.skills[0] : undefined;
}

/**
 * The agent to offer `entry` to, among `agents`, by the queue's strategy; undefined when no agent
 * may be offered it (eligibility.ts), or the call is due to overflow.
 */
export function selectAgent(queue: QueueConfig, entry: QueueEntry & Partial<MissedBy>, agents: readonly AgentView[], ctx: SelectContext): AgentView | undefined {
  const may = offerableTo(entry, queue, ctx.now);
  if (!may) return undefined;
  const strategy = queue.strategy;
  let best: AgentView | undefined;
  let bestKey = 0;
  const eligible: AgentView[] = [];
  const rank = strategy === 'most-skilled' ? rankSkillOf(queue) : undefined;
  for (const a of agents) {
    if (ctx.skip?.has(a.profile.id) || !may(a.profile, a.state)) continue;
    if (strategy === 'round-robin' || strategy === 'random') {
      eligible.push(a);
      continue;
    }
    // Smaller key is better; ties fall through to longest idle, then id.
    let key: number;
    switch (strategy) {
      case 'most-skilled':
        key = -(rank ? (a.profile.skills[rank] ?? 0) : 0);
        break;
      case 'fewest-calls':
        key = a.state.callsTaken;
        break;
      case 'least-talk-time':
        key = a.state.talkTimeMs;
        break;
      default:
        key = 0;
    }
    if (!best || key < bestKey || (key === bestKey && byIdleThenId(a, best) < 0)) {
      best = a;
      bestKey = key;
    }
  }
  if (strategy === 'round-robin') {
    if (eligible.length === 0) return undefined;
    eligible.sort((a, b) => (a.profile.id < b.profile.id ? -1 : 1));
    const last = ctx.lastPicked;
    return (last !== undefined ? eligible.find((a) => a.profile.id > last) : undefined) ?? eligible[0];
  }
  if (strategy === 'random') {
    if (eligible.length === 0) return undefined;
    eligible.sort((a, b) => (a.profile.id < b.profile.id ? -1 : 1));
    const r = ctx.random ? ctx.random() : 0;
    return eligible[Math.min(eligible.length - 1, Math.floor(r * eligible.length))];
  }
  return best;
}

/**
 * Every agent to ring at once for `entry` (ring-all), longest idle first; for the other strategies
 * the one agent selectAgent() picks. Empty when nobody may be offered the call.
 */
export function selectAgents(queue: QueueConfig, entry: QueueEntry & Partial<MissedBy>, agents: readonly AgentView[], ctx: SelectContext): AgentView[] {
  if (queue.strategy !== 'ring-all') {
    const one = selectAgent(queue, entry, agents, ctx);
    return one ? [one] : [];
  }
  const may = offerableTo(entry, queue, ctx.now);
  if (!may) return [];
  return agents.filter((a) => !ctx.skip?.has(a.profile.id) && may(a.profile, a.state)).sort(byIdleThenId);
}

/** Queue order: higher priority first, then the longest wait (original enqueue time), then call id. */
export function compareEntries(a: QueueEntry, b: QueueEntry): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || (a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0);
}

/**
 * The call an agent who just became available should take, across every queue: the best-ordered
 * waiting call that may be offered to this agent (eligibility.ts).
 */
export function selectCall<E extends QueueEntry & Partial<MissedBy>>(agent: AgentView, entries: Iterable<E>, queues: ReadonlyMap<string, QueueConfig>, now: number, skip?: ReadonlySet<string>): E | undefined {
  if (!isOfferable(agent.state)) return undefined;
  let best: E | undefined;
  for (const e of entries) {
    if (best && compareEntries(e, best) >= 0) continue; // cannot beat the best so far: skip the test
    if (skip?.has(e.callId)) continue;
    const queue = queues.get(e.queue);
    if (queue && mayBeOffered(agent.profile, agent.state, e, queue, now)) best = e;
  }
  return best;
}

/** 1-based position of a call among the calls that compete for the same agents, and how many of those agents are staffed. */
export function positionOf(entry: QueueEntry, entries: readonly QueueEntry[]): number {
  let ahead = 0;
  for (const e of entries) if (e.queue === entry.queue && e.callId !== entry.callId && compareEntries(e, entry) < 0) ahead++;
  return ahead + 1;
}
