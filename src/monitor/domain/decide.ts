// Monitoring decisions, pure: who may listen to, whisper to or barge into which call, with which
// phone, and what each mode is in Asterisk's terms.

export const MONITOR_MODES = ['listen', 'whisper', 'barge'] as const;
export type MonitorMode = (typeof MONITOR_MODES)[number];

/**
 * How the supervisor's phone joins: a snoop on the agent's leg (`spy`: what the supervisor hears;
 * `whisper`: where the supervisor's voice goes, "out" being to the agent only), or the call's own
 * bridge (barge: all three hear each other).
 */
export type Placement = { kind: 'snoop'; spy: 'both'; whisper: 'none' | 'out' } | { kind: 'call-bridge' };

export function placementOf(mode: MonitorMode): Placement {
  switch (mode) {
    case 'listen':
      return { kind: 'snoop', spy: 'both', whisper: 'none' };
    case 'whisper':
      return { kind: 'snoop', spy: 'both', whisper: 'out' };
    case 'barge':
      return { kind: 'call-bridge' };
  }
}

export interface MonitorTarget {
  /** The call's queue entry: connected to an agent, on whose leg. */
  call?: { state: string; agentId?: string; legId?: string; callbackPending?: boolean };
  /** The supervisor's phone as configured, and its state in Asterisk (undefined: unknown to Asterisk). */
  phone?: { id: string; reach?: { online: boolean; busy: boolean } };
  /** The phone is in another session already. */
  phoneInUse: boolean;
}

export interface Monitorer {
  role: 'admin' | 'supervisor' | 'agent';
  /** The agent is in the key's scope (a supervisor's teams; always for admins). */
  seesAgent: (agentId: string) => boolean;
}

export interface MonitorRefusal {
  status: 403 | 404 | 409 | 422;
  why: string;
  field?: string;
}

/** undefined: the session may start. */
export function refuseMonitor(callId: string, supervisor: string, t: MonitorTarget, by: Monitorer): MonitorRefusal | undefined {
  if (by.role === 'agent') return { status: 403, why: 'agents do not monitor calls' };
  const agentId = t.call?.agentId;
  if (!t.call || agentId === undefined || t.call.state !== 'connected' || t.call.callbackPending || !t.call.legId) return { status: 404, why: `no call "${callId}" connected to an agent` };
  if (!by.seesAgent(agentId)) return { status: 403, why: `agent "${agentId}" is not in the teams this key supervises` };
  if (!t.phone) return { status: 422, why: `no supervisor phone "${supervisor}" in the routing files`, field: 'supervisor' };
  if (!t.phone.reach?.online) return { status: 409, why: `supervisor phone "${supervisor}" is not registered` };
  if (t.phoneInUse || t.phone.reach.busy) return { status: 409, why: `supervisor phone "${supervisor}" is busy` };
  return undefined;
}
