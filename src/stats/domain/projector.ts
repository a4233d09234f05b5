// The statistics projector: one journal entry in, counter changes out, as a pure fold.
//
// Every figure lands in the interval of the event that produces it: offered at queue entry,
// answered (and its wait) at connection, abandoned at abandon, talk and handled at completion,
// wrap-up at its end, survey answers when collected. Status time is different: when an agent's
// status changes, the time spent in the previous status is split over the intervals it covered,
// by wall clock; the time in the current status is only counted once it changes.
//
// The state carries only what spans events, small and plain JSON (it is stored in Redis beside
// the cursor): per agent its status and since when, the queue of its last call (wrap-up is
// counted for that queue) and a wrap-up in progress; per call the queue and agent a survey
// answer is counted for, until the call ends.
import { isMax, type Delta, type Metric, type Scope } from './counters';
import type * as Ev from './events';
import { intervalOf, splitByInterval, type Interval } from './interval';
import type { StatsSettings } from './settings';

export interface AgentTrack {
  /** Status and since when (absent until the first agent.state-changed is seen). */
  readonly s?: string;
  readonly t?: number;
  /** Queue of the agent's last call. */
  readonly q?: string;
  /** Wrap-up in progress: for which queue, since when. */
  readonly w?: { readonly q?: string; readonly t: number };
}

export interface CallTrack {
  readonly q: string;
  readonly a?: string;
  /** Last update (calls never closed are dropped after a day). */
  readonly t: number;
  /** The survey flow the caller is in. */
  readonly f?: string;
}

/** A caller number's last handled contact: when, in which queue, with which agent (repeat contacts). */
export interface NumberTrack {
  readonly t: number;
  readonly q: string;
  readonly a: string;
}

export interface ProjectorState {
  readonly v: 1;
  readonly agents: Readonly<Record<string, AgentTrack>>;
  readonly calls: Readonly<Record<string, CallTrack>>;
  /** By caller number, kept for the queue's repeat window (absent in states saved before it existed). */
  readonly numbers?: Readonly<Record<string, NumberTrack>>;
  /** When calls were last pruned. */
  readonly pruned?: number;
}

export const initialState = (): ProjectorState => ({ v: 1, agents: {}, calls: {} });

export interface JournalEntry {
  readonly id: string;
  readonly event: Ev.AnyEvent;
}

export interface Projection {
  readonly state: ProjectorState;
  readonly deltas: readonly Delta[];
}

const STATUS_METRIC: Readonly<Record<string, Metric>> = {
  available: 'availableMs',
  reserved: 'reservedMs',
  'on-call': 'onCallMs',
  'wrap-up': 'wrapUpStateMs',
  paused: 'pausedMs',
};
const EXIT_METRIC: Readonly<Record<string, Metric>> = {
  timeout: 'timedOut',
  overflow: 'overflowed',
  callback: 'leftForCallback',
  withdrawn: 'withdrawn',
  moved: 'movedOut',
  'callback-failed': 'callbackAttemptsFailed',
};
const CALL_KEPT_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** A survey answer is a number the caller keyed: digits only. */
const SCORE = /^\d{1,6}$/;

const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
const nat = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

/** Applies one journal entry. Events it does not count from, or malformed ones, change nothing. */
export function project(state: ProjectorState, entry: JournalEntry, settings: StatsSettings): Projection {
  const e = entry.event;
  if (!nat(e.at)) return { state, deltas: [] };
  const deltas: Delta[] = [];
  let iv: Interval | undefined;
  const here = (): Interval => (iv ??= intervalOf(e.at, settings.timeZone));
  const put = (scope: Scope, id: string | undefined, metric: Metric, value: number, at: Interval = here()): void => {
    if (id === undefined || (value === 0 && !isMax(metric))) return;
    deltas.push({ scope, id, date: at.date, slot: at.slot, metric, value: Math.round(value) });
  };
  const s = prune(state, e.at, settings);
  const next = (ns: ProjectorState): Projection => ({ state: ns, deltas });
  const setAgent = (id: string, a: AgentTrack | undefined): ProjectorState => {
    const agents = { ...s.agents };
    if (a === undefined) delete agents[id];
    else agents[id] = a;
    return { ...s, agents };
  };
  const setCall = (base: ProjectorState, id: string, c: CallTrack | undefined): ProjectorState => {
    if (c === undefined && !(id in base.calls)) return base;
    const calls = { ...base.calls };
    if (c === undefined) delete calls[id];
    else calls[id] = c;
    return { ...base, calls };
  };

  switch (e.type) {
    case 'queue.entered': {
      const ev = e as Ev.QueueEnteredShape;
      if (str(ev.queue)) put('queue', ev.queue, 'offered', 1);
      // A new contact (not an overflow, move or transfer; not a callback) from a number whose last
      // handled contact is recent: that contact did not resolve the matter.
      const prev = ev.from === undefined && str(ev.callerId) && str(ev.callId) && !ev.callId.startsWith('cb-') ? s.numbers?.[ev.callerId] : undefined;
      if (!prev || e.at - prev.t > settings.queue(prev.q).repeatWindowS * 1000) return next(s);
      put('queue', prev.q, 'repeatContacts', 1);
      put('agent', prev.a, 'repeatContacts', 1);
      return next(setNumber(s, ev.callerId, undefined));
    }
    case 'queue.offered': {
      const ev = e as Ev.QueueOfferedShape;
      if (str(ev.agentId)) put('agent', ev.agentId, 'offered', 1);
      return next(s);
    }
    case 'queue.ring-no-answer': {
      const ev = e as Ev.QueueRingNoAnswerShape;
      if (str(ev.agentId)) put('agent', ev.agentId, 'missed', 1);
      return next(s);
    }
    case 'queue.connected': {
      const ev = e as Ev.QueueConnectedShape;
      if (!str(ev.queue) || !str(ev.agentId) || !str(ev.callId) || !nat(ev.holdS)) return next(s);
      const cfg = settings.queue(ev.queue);
      // A colleague taking the call in an attended transfer: the queue answered it once already
      // (unless the transfer went through another queue: that one answers it now).
      if (ev.transferredFrom === undefined || s.calls[ev.callId]?.q !== ev.queue) {
        put('queue', ev.queue, 'answered', 1);
        put('queue', ev.queue, 'waitAnsweredS', ev.holdS);
        put('queue', ev.queue, 'waitAnsweredMaxS', ev.holdS);
        if (ev.holdS <= cfg.thresholdS) put('queue', ev.queue, 'answeredWithinThreshold', 1);
      }
      put('agent', ev.agentId, 'answered', 1);
      const withAgent = setAgent(ev.agentId, { ...s.agents[ev.agentId], q: ev.queue });
      const withNumber = str(ev.callerId) && !ev.callId.startsWith('cb-') ? setNumber(withAgent, ev.callerId, { t: e.at, q: ev.queue, a: ev.agentId }) : withAgent;
      return next(setCall(withNumber, ev.callId, { q: ev.queue, a: ev.agentId, t: e.at }));
    }
    case 'queue.abandoned': {
      const ev = e as Ev.QueueAbandonedShape;
      if (!str(ev.queue) || !nat(ev.waitS)) return next(s);
      const cfg = settings.queue(ev.queue);
      put('queue', ev.queue, 'abandoned', 1);
      put('queue', ev.queue, 'waitAbandonedS', ev.waitS);
      put('queue', ev.queue, 'waitAbandonedMaxS', ev.waitS);
      if (ev.waitS < cfg.shortAbandonS) put('queue', ev.queue, 'shortAbandoned', 1);
      if (ev.waitS <= cfg.thresholdS) put('queue', ev.queue, 'abandonedWithinThreshold', 1);
      if (ev.ringing === true) put('queue', ev.queue, 'abandonedRinging', 1);
      return next(s);
    }
    case 'queue.exited': {
      const ev = e as Ev.QueueExitedShape;
      const metric = EXIT_METRIC[ev.reason];
      if (str(ev.queue) && metric) put('queue', ev.queue, metric, 1);
      return next(s);
    }
    case 'queue.completed':
    case 'queue.transferred': {
      const ev = e as Ev.QueueCompletedShape | Ev.QueueTransferredShape;
      if (!str(ev.queue) || !str(ev.agentId) || !str(ev.callId) || !nat(ev.talkS)) return next(s);
      // talkS includes time on hold (as app_queue counts it): split so talk + hold is the call.
      const holdS = nat(ev.onHoldS) ? Math.min(ev.onHoldS, ev.talkS) : 0;
      for (const [scope, id] of [['queue', ev.queue], ['agent', ev.agentId]] as const) {
        put(scope, id, 'handled', 1);
        put(scope, id, 'talkS', ev.talkS - holdS);
        if (holdS > 0) put(scope, id, 'holdS', holdS);
        if (e.type === 'queue.transferred') put(scope, id, 'transferred', 1);
      }
      // The agent's wrap-up counts for this queue.
      const withAgent = setAgent(ev.agentId, { ...s.agents[ev.agentId], q: ev.queue });
      // Only a call the agent hung up on goes on to a survey: keep it until then.
      const survey = 'by' in ev && ev.by === 'agent';
      return next(setCall(withAgent, ev.callId, survey ? { q: ev.queue, a: ev.agentId, t: e.at } : undefined));
    }
    case 'survey.started': {
      const ev = e as Ev.SurveyStartedShape;
      if (!str(ev.callId) || !str(ev.queue) || !str(ev.flow)) return next(s);
      const a = s.calls[ev.callId]?.a;
      return next(setCall(s, ev.callId, { q: ev.queue, ...(a !== undefined ? { a } : {}), t: e.at, f: ev.flow }));
    }
    case 'ivr.collected': {
      const ev = e as Ev.IvrCollectedShape;
      const c = str(ev.callId) ? s.calls[ev.callId] : undefined;
      if (!c || c.f === undefined || c.f !== ev.flow || ev.input?.sensitive !== false || !SCORE.test(ev.input.value)) return next(s);
      const score = Number(ev.input.value);
      for (const [scope, id] of [['queue', c.q], ['agent', c.a]] as const) {
        put(scope, id, 'surveyResponses', 1);
        put(scope, id, 'surveyScoreSum', score);
      }
      return next(s);
    }
    case 'ivr.ended': {
      const ev = e as Ev.IvrEndedShape;
      const c = str(ev.callId) ? s.calls[ev.callId] : undefined;
      return next(c?.f !== undefined && c.f === ev.flow ? setCall(s, ev.callId, undefined) : s);
    }
    case 'call.ended': {
      const ev = e as Ev.CallEndedShape;
      return next(str(ev.callId) ? setCall(s, ev.callId, undefined) : s);
    }
    case 'agent.wrap-up-started': {
      const ev = e as Ev.AgentWrapUpStartedShape;
      if (!str(ev.agentId)) return next(s);
      const cur = s.agents[ev.agentId];
      const q = (str(ev.callId) ? s.calls[ev.callId]?.q : undefined) ?? cur?.q;
      return next(setAgent(ev.agentId, { ...cur, w: { ...(q !== undefined ? { q } : {}), t: e.at } }));
    }
    case 'agent.wrap-up-ended': {
      const ev = e as Ev.AgentWrapUpEndedShape;
      const cur = str(ev.agentId) ? s.agents[ev.agentId] : undefined;
      if (!cur?.w) return next(s);
      const ms = Math.max(0, e.at - cur.w.t);
      put('queue', cur.w.q, 'wrapUpMs', ms);
      put('agent', ev.agentId, 'wrapUpMs', ms);
      const { w: _done, ...rest } = cur;
      return next(setAgent(ev.agentId, rest));
    }
    case 'agent.state-changed': {
      const ev = e as Ev.AgentStateChangedShape;
      if (!str(ev.agentId) || !str(ev.to)) return next(s);
      const cur = s.agents[ev.agentId];
      const metric = cur?.s !== undefined ? STATUS_METRIC[cur.s] : undefined;
      if (metric && cur?.t !== undefined && e.at > cur.t) {
        for (const piece of splitByInterval(cur.t, e.at, settings.timeZone)) put('agent', ev.agentId, metric, piece.ms, piece);
      }
      // A logged-out agent needs no state (its time is not counted) unless a wrap-up is still open.
      if (ev.to === 'logged-out' && !cur?.w) return next(setAgent(ev.agentId, undefined));
      return next(setAgent(ev.agentId, { ...cur, s: ev.to, t: e.at }));
    }
    case 'call.disposition': {
      const ev = e as Ev.CallDispositionShape;
      if (!str(ev.queue) || !str(ev.agentId)) return next(s);
      for (const [scope, id] of [['queue', ev.queue], ['agent', ev.agentId]] as const) {
        put(scope, id, 'dispositions', 1);
        if (ev.resolved === true) put(scope, id, 'resolved', 1);
      }
      return next(s);
    }
    case 'callback.requested':
    case 'callback.connected':
    case 'callback.failed': {
      const ev = e as Ev.CallbackRequestedShape;
      const metric: Metric = e.type === 'callback.requested' ? 'callbacksRequested' : e.type === 'callback.connected' ? 'callbacksConnected' : 'callbacksFailed';
      if (str(ev.queue)) put('queue', ev.queue, metric, 1);
      return next(s);
    }
    default:
      return next(s);
  }
}

/** Drops calls not heard of for a day (their end was missed) and numbers past their repeat window, at most once an hour. */
function prune(state: ProjectorState, at: number, settings: StatsSettings): ProjectorState {
  if (state.pruned !== undefined && at - state.pruned < PRUNE_EVERY_MS) return state;
  const calls: Record<string, CallTrack> = {};
  for (const [id, c] of Object.entries(state.calls)) if (at - c.t < CALL_KEPT_MS) calls[id] = c;
  const numbers: Record<string, NumberTrack> = {};
  for (const [n, t] of Object.entries(state.numbers ?? {})) if (at - t.t <= settings.queue(t.q).repeatWindowS * 1000) numbers[n] = t;
  return { ...state, calls, numbers, pruned: at };
}

function setNumber(base: ProjectorState, n: string, t: NumberTrack | undefined): ProjectorState {
  const numbers = { ...base.numbers };
  if (t === undefined) delete numbers[n];
  else numbers[n] = t;
  return { ...base, numbers };
}

/** Applies entries in order: the state after them and all their deltas. */
export function projectAll(state: ProjectorState, entries: Iterable<JournalEntry>, settings: StatsSettings): Projection {
  let s = state;
  const deltas: Delta[] = [];
  for (const entry of entries) {
    const p = project(s, entry, settings);
    s = p.state;
    for (const d of p.deltas) deltas.push(d);
  }
  return { state: s, deltas };
}
