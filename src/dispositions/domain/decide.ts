// Who may record a call's disposition, and when. Pure: from the agent's state, the call's record
// and the caller's role and scope.

export interface DispositionTarget {
  /** The call's queue and agent, recorded when it was connected; undefined for a call never connected. */
  call?: { queue: string; agentId: string };
  /** The agent's status now, and the call it is on (on-call) or wrapping up (wrap-up). */
  agent?: { status: string; callId?: string };
  /** A disposition was already recorded for the call. */
  done: boolean;
}

export interface Recorder {
  role: 'admin' | 'supervisor' | 'agent';
  agentId?: string;
  /** The agent is in the caller's scope (a supervisor's teams; always for admins). */
  seesAgent: (agentId: string) => boolean;
}

export type DispositionRefusal =
  | { status: 404; why: string }
  | { status: 403; why: string }
  | { status: 409; why: string };

/** undefined: the disposition may be recorded. */
export function refuseDisposition(callId: string, t: DispositionTarget, by: Recorder): DispositionRefusal | undefined {
  if (!t.call) return { status: 404, why: `no connected call "${callId}"` };
  const agentId = t.call.agentId;
  if (by.role === 'agent' && by.agentId !== agentId) return { status: 403, why: 'an agent key records dispositions of its own calls only' };
  if (by.role === 'supervisor' && !by.seesAgent(agentId)) return { status: 403, why: `agent "${agentId}" is not in the teams this key supervises` };
  if (t.done) return { status: 409, why: `call "${callId}" already has a disposition` };
  const current = t.agent?.callId === callId && (t.agent.status === 'on-call' || t.agent.status === 'wrap-up');
  if (!current) return { status: 409, why: `agent "${agentId}" is no longer on call "${callId}" or in its wrap-up` };
  return undefined;
}
