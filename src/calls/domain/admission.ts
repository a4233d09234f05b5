// Whether a new call may come in now. A call is taken only when the service can still carry it in
// time: under the cap on calls in progress, and with the event loop, ARI and Redis answering
// within their limits over the last measured window. A refused call costs one ARI request (it goes
// back to the dialplan's overload branch) and touches nothing else; calls already taken keep their
// latency. While the load limits are passed, the dialplan's gate turns new calls away before they
// reach the application at all (no event, no request). Pure.

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

/** The dialplan global the gate is (dialplan/extensions.conf): new calls go to the overload branch while ${EPOCH} is below it. */
export const OVERLOAD_GATE_VARIABLE = 'SWITCHBOARD_OVERLOAD_UNTIL';
/** Seconds the gate stays shut after each refresh (the service refreshes it while the load stays too high, so a stopped service cannot leave it shut). */
export const GATE_HOLD_S = 2;

/**
 * What to write to the gate after a load window: the epoch second it stays shut until, 0 to open
 * it, or undefined to leave it. Only the load limits shut it; the cap on calls in progress is
 * decided call by call (a gate would keep it shut past the calls that end meanwhile).
 * `shutUntilS`: what the gate holds now (0: open).
 */
export function gateAfter(load: LoadNow | undefined, l: AdmissionLimits, nowMs: number, shutUntilS: number): { untilS: number; verdict: Verdict } | undefined {
  const verdict = admission(0, load, l);
  if (verdict.admit) return shutUntilS > 0 ? { untilS: 0, verdict } : undefined;
  const untilS = Math.floor(nowMs / 1000) + GATE_HOLD_S;
  return untilS > shutUntilS ? { untilS, verdict } : undefined;
}
