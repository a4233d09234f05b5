// Who may take a call, decided here once. The selection (select.ts), the list of offerable agents,
// the wait estimate, "could anyone serve this queue" and the queue_log's membership lines all ask.
import { isOfferable, NO_ANSWER_REASON } from './agent';
import type { AgentProfile, AgentState, CallAttributes, QueueConfig, QueueEntry, Requirement } from './model';
import { currentStep } from './steps';

/** Available and reachable: the first condition of every offer (agent.ts decides the states). */
export { isOfferable };

/** An entry that remembers which agents missed it, and when. */
export interface MissedBy {
  readonly missedBy: Readonly<Record<string, number>>;
}

/** The agent missed this call less than a ring timeout ago: it goes to someone else first. */
export function recentlyMissed(entry: MissedBy, agentId: string, queue: QueueConfig, now: number): boolean {
  const at = entry.missedBy[agentId];
  return at !== undefined && now - at < queue.ringTimeoutS * 1000;
}

/** The requirement the call has now (its requirement step), or undefined when it is due to overflow. */
export function requirementNow(queue: QueueConfig, entry: QueueEntry, now: number): Requirement | undefined {
  const step = currentStep(queue, entry, now);
  return 'requirement' in step ? step.requirement : undefined;
}

/**
 * May this call be offered to this agent now? Logged in and available, phone registered and not
 * busy outside Switchboard, not having just missed this call, and meeting the call's requirement
 * at its current step.
 */
export function mayBeOffered(profile: AgentProfile, state: AgentState, entry: QueueEntry & Partial<MissedBy>, queue: QueueConfig, now: number): boolean {
  return offerableTo(entry, queue, now)?.(profile, state) ?? false;
}

/**
 * The same question for many agents at once: the requirement step is worked out once, then each
 * agent is checked (the selection scans thousands). Undefined when nobody may (an overflow is due).
 */
export function offerableTo(entry: QueueEntry & Partial<MissedBy>, queue: QueueConfig, now: number): ((profile: AgentProfile, state: AgentState) => boolean) | undefined {
  const req = requirementNow(queue, entry, now);
  if (!req) return undefined;
  const missed = entry.missedBy && Object.keys(entry.missedBy).length > 0 ? entry.missedBy : undefined;
  const kept = entry.keptFor && now < entry.keptFor.until ? entry.keptFor.agentId : undefined;
  const anySkills = kept !== undefined && entry.keptFor?.anySkills === true;
  const passedOn = entry.passedOnBy;
  return (profile, state) =>
    isOfferable(state) &&
    (kept === undefined || profile.id === kept) &&
    !(missed && recentlyMissed({ missedBy: missed }, profile.id, queue, now)) &&
    !passedOn?.includes(profile.id) &&
    (anySkills || req.test(profile, entry.attributes));
}

/** Logged in and not on a break: an agent who will take calls (the auto-pause after missed offers counts: it ends with "ready"). */
function working(state: AgentState | undefined): boolean {
  return !!state && state.status !== 'logged-out' && (state.status !== 'paused' || state.pauseReason === NO_ANSWER_REASON);
}

/** Could this agent ever take a call with these attributes in this queue, at any of its steps? (whenNoAgents) */
export function couldServe(profile: AgentProfile, state: AgentState | undefined, queue: QueueConfig, attributes: CallAttributes): boolean {
  if (!working(state)) return false;
  return queue.steps.some((step) => 'requirement' in step && step.requirement.test(profile, attributes));
}

/** Does this agent count as a server for the wait estimate of a call with this requirement? Logged in, not paused. */
export function countsForWait(profile: AgentProfile, state: AgentState, requirement: Requirement, attributes: CallAttributes): boolean {
  return state.status !== 'logged-out' && state.status !== 'paused' && requirement.test(profile, attributes);
}

/** The queues an agent serves: those whose requirement, at some step, the agent meets for a call with no attributes. */
export function queuesServed(profile: AgentProfile, queues: Iterable<QueueConfig>): string[] {
  const out: string[] = [];
  for (const q of queues) if (q.steps.some((step) => 'requirement' in step && step.requirement.test(profile, {}))) out.push(q.id);
  return out;
}
