// The raw counters the projector produces and the store keeps: per scope (queue or agent), id,
// local date and 15-minute slot. Sums are added up; maxima keep the largest value. Everything is
// an integer (counts, whole seconds as the events give them, or milliseconds), so Redis can
// HINCRBY them and the sum of a day's intervals is exact.

export const QUEUE_SUMS = [
  'offered',
  'answered',
  'abandoned',
  'shortAbandoned',
  'abandonedRinging',
  'answeredWithinThreshold',
  'abandonedWithinThreshold',
  'overflowed',
  'timedOut',
  'leftForCallback',
  'withdrawn',
  'movedOut',
  'callbackAttemptsFailed',
  'callbacksRequested',
  'callbacksConnected',
  'callbacksFailed',
  /** Sum of the waits (s) of answered calls. */
  'waitAnsweredS',
  /** Sum of the waits (s) of abandoned calls. */
  'waitAbandonedS',
  'handled',
  /** Talk time without hold, and hold time, of the calls that ended. */
  'talkS',
  'holdS',
  /** Handled calls that ended in a transfer. */
  'transferred',
  'wrapUpMs',
  'surveyResponses',
  'surveyScoreSum',
  /** Calls given a disposition, and those marked resolved. */
  'dispositions',
  'resolved',
  /** Handled calls whose caller called again within the queue's repeat window. */
  'repeatContacts',
] as const;
export const QUEUE_MAXIMA = ['waitAnsweredMaxS', 'waitAbandonedMaxS'] as const;

export const AGENT_SUMS = [
  'offered',
  'answered',
  'missed',
  'handled',
  'talkS',
  'holdS',
  'transferred',
  'wrapUpMs',
  'availableMs',
  'reservedMs',
  'onCallMs',
  'wrapUpStateMs',
  'pausedMs',
  'surveyResponses',
  'surveyScoreSum',
  'dispositions',
  'resolved',
  'repeatContacts',
] as const;
export const AGENT_MAXIMA = [] as const;

export type QueueMetric = (typeof QUEUE_SUMS)[number] | (typeof QUEUE_MAXIMA)[number];
export type AgentMetric = (typeof AGENT_SUMS)[number];
export type Scope = 'queue' | 'agent';
export type Metric = QueueMetric | AgentMetric;

const MAXIMA: ReadonlySet<string> = new Set<string>(QUEUE_MAXIMA);
/** True for the counters kept as a maximum (the others are sums). */
export const isMax = (metric: string): boolean => MAXIMA.has(metric);

/** One change to a counter: add `value` to a sum, or raise a maximum to `value`. */
export interface Delta {
  readonly scope: Scope;
  readonly id: string;
  readonly date: string;
  readonly slot: number;
  readonly metric: Metric;
  readonly value: number;
}

/** The counters of one interval (or of a whole day). Absent = 0 for sums, none for maxima. */
export type Counters = Readonly<Record<string, number>>;

/** Counters of one (scope, id, date), by slot. */
export interface DayCounters {
  readonly scope: Scope;
  readonly id: string;
  readonly date: string;
  readonly slots: Map<number, Record<string, number>>;
}

/** Deltas gathered into per-day counters (a batch before it is written, or a whole fold in tests). */
export class CounterBook {
  readonly days = new Map<string, DayCounters>();

  add(deltas: Iterable<Delta>): this {
    for (const d of deltas) {
      const key = `${d.scope}\u0000${d.id}\u0000${d.date}`;
      let day = this.days.get(key);
      if (!day) {
        day = { scope: d.scope, id: d.id, date: d.date, slots: new Map() };
        this.days.set(key, day);
      }
      let slot = day.slots.get(d.slot);
      if (!slot) {
        slot = {};
        day.slots.set(d.slot, slot);
      }
      const cur = slot[d.metric];
      slot[d.metric] = isMax(d.metric) ? Math.max(cur ?? d.value, d.value) : (cur ?? 0) + d.value;
    }
    return this;
  }

  get(scope: Scope, id: string, date: string): DayCounters | undefined {
    return this.days.get(`${scope}\u0000${id}\u0000${date}`);
  }
}

/** A whole day's counters: sums added up, maxima the largest. */
export function sumSlots(slots: Iterable<Counters>): Counters {
  const out: Record<string, number> = {};
  for (const c of slots) {
    for (const [k, v] of Object.entries(c)) {
      const cur = out[k];
      out[k] = isMax(k) ? Math.max(cur ?? v, v) : (cur ?? 0) + v;
    }
  }
  return out;
}
