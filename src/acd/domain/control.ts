// Actions on calls, decided purely: who may act on a connected call (hold, resume, transfer) and
// when, from the call's queue entry and the actor's role and scope; and where a waiting call
// stands in the queue it moves to. The same refusals answer every action, so an API client sees
// one vocabulary: 404 for a call that is not connected to an agent, 403 for an agent key on
// someone else's call or a supervisor outside the agent's teams, 409 for the wrong moment.
import type { QueueEntry } from './model';
import { compareEntries } from './select';

export type CallAction = 'hold' | 'resume' | 'transfer' | 'assist';

export interface ConnectedCall {
  state: 'waiting' | 'offered' | 'connected';
  agentId?: string;
  heldAt?: number;
  /** A callback's customer not yet reached: nobody to act on. */
  callbackPending?: boolean;
  /** The agent consults a colleague (attended transfer). */
  consulting?: boolean;
  /** The caller is in an assist flow (a payment IVR), away from the agent until it ends. */
  assisting?: boolean;
}

export interface Actor {
  role: 'admin' | 'supervisor' | 'agent';
  agentId?: string;
  /** The agent is in the actor's scope (a supervisor's teams; always for admins). */
  seesAgent: (agentId: string) => boolean;
}

export interface CallRefusal {
  status: 403 | 404 | 409;
  why: string;
}

/** undefined: the action may go ahead. */
export function refuseCallAction(callId: string, action: CallAction, call: ConnectedCall | undefined, by: Actor): CallRefusal | undefined {
  const agentId = call?.agentId;
  if (!call || agentId === undefined) return { status: 404, why: `no call "${callId}" with an agent` };
  if (by.role === 'agent' && by.agentId !== agentId) return { status: 403, why: 'an agent key acts on its own calls only' };
  if (by.role === 'supervisor' && !by.seesAgent(agentId)) return { status: 403, why: `agent "${agentId}" is not in the teams this key supervises` };
  if (call.state !== 'connected' || call.callbackPending) return { status: 409, why: `call "${callId}" is not connected to its agent yet` };
  if (call.assisting) return { status: 409, why: `the caller of call "${callId}" is in an assist flow: wait until it gives them back` };
  if ((action === 'hold' || action === 'resume' || action === 'assist') && call.consulting) return { status: 409, why: `call "${callId}" has a consultation going on: complete or cancel the transfer` };
  if (action === 'assist' && call.heldAt !== undefined) return { status: 409, why: `call "${callId}" is on hold: resume it first` };
  if (action === 'hold' && call.heldAt !== undefined) return { status: 409, why: `call "${callId}" is on hold already` };
  if (action === 'resume' && call.heldAt === undefined) return { status: 409, why: `call "${callId}" is not on hold` };
  return undefined;
}

/** Time on hold so far (ms), an open hold counted up to `now`. */
export function heldMsAt(call: { heldAt?: number; heldMs?: number }, now: number): number {
  return (call.heldMs ?? 0) + (call.heldAt !== undefined ? Math.max(0, now - call.heldAt) : 0);
}

/**
 * A waiting call in its new queue (an overflow, a supervisor's move): a new wait starts there
 * (`queuedAt`), its place among equal priorities is kept (`enqueuedAt`) unless `keepPlace` is
 * false, and its position on arrival counts the calls `there` ahead of it.
 */
export function movedEntry<E extends QueueEntry & { joinPosition: number; lastAnnouncedPosition?: number }>(entry: E, to: string, now: number, there: readonly QueueEntry[], keepPlace = true): E {
  const next: E = { ...entry, queue: to, queuedAt: now, enqueuedAt: keepPlace ? entry.enqueuedAt : now, joinPosition: 1 };
  delete next.lastAnnouncedPosition;
  return { ...next, joinPosition: there.filter((e) => e.callId !== entry.callId && compareEntries(e, next) < 0).length + 1 };
}

/**
 * A connected call sent back to waiting (a blind transfer to a queue or an agent): in `to`, its
 * agent, leg, connection and holds dropped, offered afresh. Its priority goes with it, and its
 * count of offers (agent legs are numbered by it: a new leg never takes an old leg's id); the
 * agent who had it is not offered it again.
 */
export function requeuedEntry<E extends QueueEntry & { joinPosition: number; lastAnnouncedPosition?: number; state: string; missedBy: Record<string, number>; agentId?: string }>(
  entry: E,
  to: string,
  now: number,
  there: readonly QueueEntry[],
  keepPlace: boolean,
): E {
  const next = { ...movedEntry(entry, to, now, there, keepPlace), state: 'waiting', missedBy: {}, passedOnBy: [...(entry.passedOnBy ?? []), ...(entry.agentId ? [entry.agentId] : [])] } as E & { agentId?: string; legId?: string; offeredAt?: number; connectedAt?: number; heldAt?: number; heldMs?: number };
  for (const k of ['agentId', 'legId', 'offeredAt', 'connectedAt', 'heldAt', 'heldMs', 'keptFor'] as const) delete next[k];
  return next;
}
