// Whether a new call may come in now. A call is taken only when the service can still carry it in
// time: under the cap on calls in progress, and with the event loop, ARI and Redis answering
// within their limits over the last measured window. A refused call costs one ARI request (it goes
// back to the dialplan's overload branch) and touches nothing else; calls already taken keep their
// latency. Pure.

export interface AdmissionLimits {
  /** Calls in progress in this instance; 0: no cap. */
  maxCalls: number;
  /** Event-loop delay p99 over the last window. */
  maxLoopDelayMs: number;
  /** How long the oldest unanswered ARI request may have waited. */
  maxAriMs: number;
  /** ARI requests waiting for a free connection. */
  maxAriWaiting: number;
  /** Redis PING round trip. */
  maxRedisMs: number;
}

/** The figures admission looks at (platform/load.ts measures them). */
export interface LoadNow {
  eventLoop: { delayP99Ms: number };
  ari: { waiting: number; oldestMs: number };
  redis: { pingMs: number | undefined };
}

export type Verdict = { admit: true } | { admit: false; reason: 'max-calls' | 'event-loop' | 'ari' | 'redis'; detail: string };

const ms = (v: number): string => `${Math.round(v)} ms`;

export function admission(calls: number, load: LoadNow | undefined, l: AdmissionLimits): Verdict {
  if (l.maxCalls > 0 && calls >= l.maxCalls) return { admit: false, reason: 'max-calls', detail: `${calls} calls in progress (limit ${l.maxCalls})` };
  if (!load) return { admit: true };
  if (load.eventLoop.delayP99Ms > l.maxLoopDelayMs) return { admit: false, reason: 'event-loop', detail: `event-loop delay p99 ${ms(load.eventLoop.delayP99Ms)} (limit ${ms(l.maxLoopDelayMs)})` };
  if (load.ari.waiting > l.maxAriWaiting) return { admit: false, reason: 'ari', detail: `${load.ari.waiting} ARI requests waiting for a connection (limit ${l.maxAriWaiting})` };
  if (load.ari.oldestMs > l.maxAriMs) return { admit: false, reason: 'ari', detail: `an ARI request has waited ${ms(load.ari.oldestMs)} for its answer (limit ${ms(l.maxAriMs)})` };
  if (load.redis.pingMs !== undefined && load.redis.pingMs > l.maxRedisMs) return { admit: false, reason: 'redis', detail: `Redis answered in ${ms(load.redis.pingMs)} (limit ${ms(l.maxRedisMs)})` };
  return { admit: true };
}
