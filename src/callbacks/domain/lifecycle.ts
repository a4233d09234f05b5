// A callback's life, as a pure state machine: what each event does to the record, or why it is
// refused. Time comes in the events (`at`), never from a clock; opening hours come in as a
// function. The service stores each result with a compare-and-set, so an event applied twice (a
// job run again after a crash) finds the state moved on and is refused instead of acting twice.
//
//   requested ──due──▶ waiting ──offer──▶ offering ──agent answered──▶ dialling ──customer answered──▶ connected
//       ▲                 ▲  ◀──offer missed──┘                           │
//       └──(later time)───┤                                               └──customer failed──▶ retry-wait ──due──▶ waiting
//                         │                                                                  └─(attempts used up)─▶ failed
//   requested, waiting, retry-wait ──cancel──▶ cancelled
import type { Callback, CallbackFailure, CallbackSettings } from './model';

export type CallbackEvent =
  /** Its time came (the scheduled time, or the end of a retry wait): it joins the queue. */
  | { type: 'due'; at: number }
  /** The ACD reserved an agent for it and rings them. */
  | { type: 'offered'; agentId: string; at: number }
  /** The agent did not take it: back to its place in line. */
  | { type: 'offer-missed'; at: number }
  /** The agent answered: the customer is dialled now (the only way into `dialling`: one dial per attempt). */
  | { type: 'agent-answered'; agentId: string; at: number }
  | { type: 'customer-answered'; at: number }
  /** The customer did not answer, was busy, rejected, or the agent left first. */
  | { type: 'customer-failed'; reason: CallbackFailure; at: number }
  /** `keepPlace`: a new time does not move its place in line (a second request for the same number). */
  | { type: 'update'; dueAt?: number; keepPlace?: boolean; preferredAgent?: string | null; note?: string | null; number?: string; at: number }
  | { type: 'cancel'; at: number };

export type Transition = { ok: true; next: Callback } | { ok: false; refused: string };

export interface LifecycleContext {
  settings: CallbackSettings;
  /** The first moment at or after `at` inside the queue's opening hours (identity when it has none). */
  openAt(at: number): number;
}

const TERMINAL = new Set<Callback['state']>(['connected', 'failed', 'cancelled']);

export const isTerminal = (cb: Callback): boolean => TERMINAL.has(cb.state);
/** Still to happen, and not yet being dialled: a second request for the same number and queue updates it. */
export const isPending = (cb: Callback): boolean => cb.state === 'requested' || cb.state === 'waiting' || cb.state === 'retry-wait';

const refuse = (cb: Callback, what: string): Transition => ({ ok: false, refused: `callback ${cb.id} is ${cb.state}: cannot ${what}` });
const to = (cb: Callback, patch: Partial<Callback>, at: number): Transition => ({ ok: true, next: { ...cb, ...patch, updatedAt: at } });

export function transition(cb: Callback, e: CallbackEvent, ctx: LifecycleContext): Transition {
  switch (e.type) {
    case 'due':
      if (cb.state !== 'requested' && cb.state !== 'retry-wait') return refuse(cb, 'join the queue');
      return to(cb, { state: 'waiting', dueAt: e.at }, e.at);
    case 'offered':
      if (cb.state !== 'waiting') return refuse(cb, 'be offered');
      return to(cb, { state: 'offering', agentId: e.agentId }, e.at);
    case 'offer-missed':
      if (cb.state !== 'offering') return refuse(cb, 'go back to waiting');
      return to(cb, { state: 'waiting', agentId: undefined }, e.at);
    case 'agent-answered':
      if (cb.state !== 'offering' || cb.agentId !== e.agentId) return refuse(cb, `dial for ${e.agentId}`);
      return to(cb, { state: 'dialling', attempt: cb.attempt + 1 }, e.at);
    case 'customer-answered':
      if (cb.state !== 'dialling') return refuse(cb, 'connect');
      return to(cb, { state: 'connected', connectedAt: e.at }, e.at);
    case 'customer-failed': {
      if (cb.state !== 'dialling') return refuse(cb, 'fail an attempt');
      const failures = [...cb.failures, { attempt: cb.attempt, reason: e.reason, at: e.at }];
      if (cb.attempt >= ctx.settings.attempts) return to(cb, { state: 'failed', failures, agentId: undefined }, e.at);
      const dueAt = ctx.openAt(e.at + ctx.settings.retryDelayS * 1000);
      return to(cb, { state: 'retry-wait', failures, agentId: undefined, dueAt }, e.at);
    }
    case 'update': {
      if (!isPending(cb)) return refuse(cb, 'be changed');
      const patch: { -readonly [K in keyof Callback]?: Callback[K] } = {};
      if (e.note !== undefined) patch.note = e.note ?? undefined;
      if (e.preferredAgent !== undefined) patch.preferredAgent = e.preferredAgent ?? undefined;
      if (e.number !== undefined) patch.number = e.number;
      if (e.dueAt !== undefined) {
        // A new time takes it out of the line until then (the service takes its entry out of the
        // queue); a scheduled callback's place is its time, unless told to keep it.
        patch.dueAt = ctx.openAt(e.dueAt);
        if (cb.origin === 'scheduled' && !e.keepPlace) patch.enqueuedAt = patch.dueAt;
        if (cb.state === 'waiting') patch.state = 'requested';
      }
      return to(cb, patch, e.at);
    }
    case 'cancel':
      if (!isPending(cb)) return refuse(cb, 'be cancelled');
      return to(cb, { state: 'cancelled', agentId: undefined }, e.at);
  }
}

/** Who may take the callback first, and until when: its preferred agent, for the window after it joins the queue. */
export function keptFor(cb: Pick<Callback, 'preferredAgent' | 'dueAt'>, windowS: number): { agentId: string; until: number } | undefined {
  return cb.preferredAgent !== undefined && windowS > 0 ? { agentId: cb.preferredAgent, until: cb.dueAt + windowS * 1000 } : undefined;
}
