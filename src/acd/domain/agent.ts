// The agent state machine. The agent chooses status (login, ready, pause, logout); the system
// moves state (reserved, on call, wrap-up). Every transition is pure and either returns the new
// state or says why it is refused.
import { trunkEndpoint } from '../../kernel/dialable';
import type { AgentProfile, AgentState, AgentStatus } from './model';

export type AgentEvent =
  /** `remote`: at this external number instead of the SIP phone (reachable while logged in there). */
  | { type: 'login'; at: number; remote?: string }
  | { type: 'logout'; at: number }
  | { type: 'pause'; reason: string; at: number }
  | { type: 'ready'; at: number }
  | { type: 'reserve'; callId: string; at: number }
  | { type: 'answered'; callId: string; at: number }
  /** No answer within the ring timeout, busy, or rejected: a strike. */
  | { type: 'missed'; callId: string; maxMissedOffers: number; at: number }
  /** The offer ended through no fault of the agent (caller left, lease expired). */
  | { type: 'offerCancelled'; callId: string; at: number }
  | { type: 'callEnded'; callId: string; wrapUpS: number; at: number }
  /** Answered, but caller and agent could not be connected: the call goes back, it never counted. */
  | { type: 'connectFailed'; callId: string; at: number }
  | { type: 'wrapUpEnded'; callId: string; at: number }
  /** The agent places a call of their own (blended work): busy for the ACD until it ends. */
  | { type: 'outboundStarted'; callId: string; at: number }
  | { type: 'outboundEnded'; callId: string; at: number }
  /** A consultation before an attended transfer ended without the transfer: ringing or talking, the agent is free again (no call taken). */
  | { type: 'consultEnded'; callId: string; at: number }
  | { type: 'reachability'; reachable: boolean; at: number };

export class TransitionRefused extends Error {
  constructor(
    readonly agentId: string,
    readonly from: AgentStatus,
    readonly event: AgentEvent['type'],
    why: string,
  ) {
    super(`agent ${agentId}: cannot ${event} while ${from}${why ? ` (${why})` : ''}`);
    this.name = 'TransitionRefused';
  }
}

export const NO_ANSWER_REASON = 'no-answer';

export function newAgentState(id: string, at: number): AgentState {
  return { id, status: 'logged-out', since: at, idleSince: at, missed: 0, callsTaken: 0, talkTimeMs: 0, reachable: false };
}

function move(s: AgentState, status: AgentStatus, at: number, extra: Partial<AgentState> = {}): AgentState {
  const next: AgentState = { ...s, status, since: at, ...extra };
  if (status !== 'paused') delete (next as { pauseReason?: string }).pauseReason;
  if (status === 'available' || status === 'paused' || status === 'logged-out') delete (next as { callId?: string }).callId;
  if (status !== 'wrap-up') delete (next as { wrapUpUntil?: number }).wrapUpUntil;
  return next;
}

/** Applies an event; throws TransitionRefused when the event is not allowed in the current status. */
export function applyAgentEvent(s: AgentState, e: AgentEvent): AgentState {
  const refuse = (why = ''): never => {
    throw new TransitionRefused(s.id, s.status, e.type, why);
  };
  const sameCall = (callId: string) => s.callId === callId || refuse(`the agent's call is ${s.callId ?? 'none'}, not ${callId}`);
  switch (e.type) {
    case 'login': {
      const remote = e.remote !== undefined ? { remote: e.remote, reachable: true } : {};
      if (s.status === 'logged-out') return move(s, 'available', e.at, { idleSince: e.at, missed: 0, ...remote });
      if (e.remote === undefined || s.remote === e.remote) return s; // already in: harmless
      if (s.status === 'reserved' || s.status === 'on-call') refuse('finish the call first');
      return { ...s, ...remote }; // from the phone to a remote number, keeping the status
    }
    case 'logout': {
      if (s.status === 'logged-out') return s;
      if (s.status === 'reserved' || s.status === 'on-call') refuse('finish or cancel the call first');
      const out = move(s, 'logged-out', e.at);
      if (s.remote === undefined) return out;
      // The phone's reachability is asked again after a remote day.
      const back = { ...out, reachable: false };
      delete (back as { remote?: string }).remote;
      return back;
    }
    case 'pause':
      if (s.status === 'logged-out') refuse('log in first');
      if (s.status === 'reserved' || s.status === 'on-call') refuse('pause after the call');
      if (s.status === 'paused' && s.pauseReason === e.reason) return s;
      return move(s, 'paused', e.at, { pauseReason: e.reason });
    case 'ready':
      if (s.status === 'available') return s;
      if (s.status === 'paused' || s.status === 'wrap-up') return move(s, 'available', e.at, { idleSince: e.at, missed: 0 });
      return refuse();
    case 'reserve':
      if (s.status !== 'available') refuse();
      if (!s.reachable) refuse('phone not reachable');
      return move(s, 'reserved', e.at, { callId: e.callId });
    case 'answered':
      if (s.status !== 'reserved') refuse();
      sameCall(e.callId);
      return move(s, 'on-call', e.at, { callId: e.callId, missed: 0, callsTaken: s.callsTaken + 1 });
    case 'missed': {
      if (s.status !== 'reserved') refuse();
      sameCall(e.callId);
      const missed = s.missed + 1;
      if (missed >= e.maxMissedOffers) return move(s, 'paused', e.at, { missed, pauseReason: NO_ANSWER_REASON });
      return move(s, 'available', e.at, { missed });
    }
    case 'offerCancelled':
      if (s.status !== 'reserved') refuse();
      sameCall(e.callId);
      return move(s, 'available', e.at);
    case 'callEnded': {
      if (s.status !== 'on-call') refuse();
      sameCall(e.callId);
      const talkTimeMs = s.talkTimeMs + Math.max(0, e.at - s.since);
      if (e.wrapUpS <= 0) return move(s, 'available', e.at, { talkTimeMs, idleSince: e.at });
      return move(s, 'wrap-up', e.at, { talkTimeMs, callId: e.callId, wrapUpUntil: e.at + e.wrapUpS * 1000 });
    }
    case 'connectFailed':
      if (s.status !== 'on-call') refuse();
      sameCall(e.callId);
      return move(s, 'available', e.at, { callsTaken: Math.max(0, s.callsTaken - 1) });
    case 'wrapUpEnded':
      if (s.status !== 'wrap-up' || s.callId !== e.callId) return s; // ended early by "ready", or stale timer
      return move(s, 'available', e.at, { idleSince: e.at });
    case 'outboundStarted':
      if (s.status !== 'available' && s.status !== 'paused' && s.status !== 'wrap-up') refuse(s.status === 'logged-out' ? 'log in first' : 'finish the call first');
      return move(s, 'on-call', e.at, { callId: e.callId });
    case 'outboundEnded':
      if (s.status !== 'on-call' || s.callId !== e.callId) return s; // ended already
      return move(s, 'available', e.at, { idleSince: e.at, talkTimeMs: s.talkTimeMs + Math.max(0, e.at - s.since) });
    case 'consultEnded':
      if (s.status !== 'reserved' && s.status !== 'on-call') refuse();
      sameCall(e.callId);
      return move(s, 'available', e.at, s.status === 'on-call' ? { callsTaken: Math.max(0, s.callsTaken - 1) } : {});
    case 'reachability':
      // A remote agent is reached through the trunk: the SIP phone's comings and goings do not count.
      if (s.remote !== undefined) return s;
      return s.reachable === e.reachable ? s : { ...s, reachable: e.reachable };
  }
}

/** Where the agent is rung: the remote number through its trunk while logged in remotely, else the SIP phone. */
export function ringEndpoint(profile: AgentProfile, state: Pick<AgentState, 'remote'> | undefined): string {
  return state?.remote !== undefined && profile.remote ? trunkEndpoint(state.remote, profile.remote.trunk) : profile.endpoint;
}

/** Can this agent be offered a call right now? */
export function isOfferable(s: AgentState): boolean {
  return s.status === 'available' && s.reachable;
}
