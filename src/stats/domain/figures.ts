// Published figures from the raw counters of one interval or of a whole day (sumSlots first).
// A ratio or average whose denominator is 0 is null (no data), never 0 or NaN. Percentages and
// averages are rounded to 2 decimals; durations kept in milliseconds are given in seconds to the
// millisecond.
import type { Counters } from './counters';
import type { SlFormula } from './settings';

export interface QueueFigures {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  abandonedRinging: number;
  answeredWithinThreshold: number;
  abandonedWithinThreshold: number;
  overflowed: number;
  timedOut: number;
  leftForCallback: number;
  withdrawn: number;
  movedOut: number;
  callbackAttemptsFailed: number;
  callbacksRequested: number;
  callbacksConnected: number;
  callbacksFailed: number;
  longestWaitSeconds: number | null;
  asaSeconds: number | null;
  maxWaitAnsweredSeconds: number | null;
  avgWaitAbandonedSeconds: number | null;
  maxWaitAbandonedSeconds: number | null;
  handled: number;
  talkSeconds: number;
  holdSeconds: number;
  transferred: number;
  wrapUpSeconds: number;
  ahtSeconds: number | null;
  surveyResponses: number;
  surveyScoreAvg: number | null;
  dispositions: number;
  resolved: number;
  fcrDisposition: number | null;
  repeatContacts: number;
  fcrRepeat: number | null;
  serviceLevel: number | null;
  sl1: number | null;
  sl2: number | null;
  sl3: number | null;
}

export interface AgentFigures {
  offered: number;
  answered: number;
  missed: number;
  handled: number;
  talkSeconds: number;
  holdSeconds: number;
  transferred: number;
  wrapUpSeconds: number;
  ahtSeconds: number | null;
  availableSeconds: number;
  reservedSeconds: number;
  onCallSeconds: number;
  wrapUpStateSeconds: number;
  pausedSeconds: number;
  staffedSeconds: number;
  occupancy: number | null;
  callsPerHour: number | null;
  surveyResponses: number;
  surveyScoreAvg: number | null;
  dispositions: number;
  resolved: number;
  fcrDisposition: number | null;
  repeatContacts: number;
  fcrRepeat: number | null;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
/** a / b rounded, or null when b is 0. */
export const ratio = (a: number, b: number): number | null => (b > 0 ? round2(a / b) : null);
/** a / b as a share from 0 to 1 (4 decimals), or null when b is 0. */
export const share = (a: number, b: number): number | null => (b > 0 ? Math.round((10_000 * a) / b) / 10_000 : null);
const secondsOfMs = (ms: number): number => ms / 1000;

/** The service-level formulas (docs/statistics.md), as shares from 0 to 1. */
export function serviceLevels(c: Counters): { sl1: number | null; sl2: number | null; sl3: number | null } {
  const n = (k: string): number => c[k] ?? 0;
  return {
    sl1: share(n('answeredWithinThreshold'), n('answered')),
    sl2: share(n('answeredWithinThreshold') + n('abandonedWithinThreshold'), n('answered') + n('abandoned')),
    sl3: share(n('answeredWithinThreshold'), n('offered') - n('shortAbandoned')),
  };
}

export function queueFigures(c: Counters, formula: SlFormula): QueueFigures {
  const n = (k: string): number => c[k] ?? 0;
  const answered = n('answered');
  const abandoned = n('abandoned');
  const handled = n('handled');
  const talkS = n('talkS');
  const holdS = n('holdS');
  const wrapUpMs = n('wrapUpMs');
  const sl = serviceLevels(c);
  const maxAnswered = answered > 0 ? n('waitAnsweredMaxS') : null;
  const maxAbandoned = abandoned > 0 ? n('waitAbandonedMaxS') : null;
  return {
    offered: n('offered'),
    answered,
    abandoned,
    shortAbandoned: n('shortAbandoned'),
    abandonedRinging: n('abandonedRinging'),
    answeredWithinThreshold: n('answeredWithinThreshold'),
    abandonedWithinThreshold: n('abandonedWithinThreshold'),
    overflowed: n('overflowed'),
    timedOut: n('timedOut'),
    leftForCallback: n('leftForCallback'),
    withdrawn: n('withdrawn'),
    movedOut: n('movedOut'),
    callbackAttemptsFailed: n('callbackAttemptsFailed'),
    callbacksRequested: n('callbacksRequested'),
    callbacksConnected: n('callbacksConnected'),
    callbacksFailed: n('callbacksFailed'),
    longestWaitSeconds: maxAnswered === null && maxAbandoned === null ? null : Math.max(maxAnswered ?? 0, maxAbandoned ?? 0),
    asaSeconds: ratio(n('waitAnsweredS'), answered),
    maxWaitAnsweredSeconds: maxAnswered,
    avgWaitAbandonedSeconds: ratio(n('waitAbandonedS'), abandoned),
    maxWaitAbandonedSeconds: maxAbandoned,
    handled,
    talkSeconds: talkS,
    holdSeconds: holdS,
    transferred: n('transferred'),
    wrapUpSeconds: secondsOfMs(wrapUpMs),
    ahtSeconds: ratio(talkS + holdS + secondsOfMs(wrapUpMs), handled),
    surveyResponses: n('surveyResponses'),
    surveyScoreAvg: ratio(n('surveyScoreSum'), n('surveyResponses')),
    dispositions: n('dispositions'),
    resolved: n('resolved'),
    fcrDisposition: share(n('resolved'), n('dispositions')),
    repeatContacts: n('repeatContacts'),
    fcrRepeat: share(Math.max(0, handled - n('repeatContacts')), handled),
    serviceLevel: sl[formula],
    ...sl,
  };
}

export function agentFigures(c: Counters): AgentFigures {
  const n = (k: string): number => c[k] ?? 0;
  const handled = n('handled');
  const talkS = n('talkS');
  const holdS = n('holdS');
  const wrapUpMs = n('wrapUpMs');
  const busyMs = n('onCallMs') + n('wrapUpStateMs');
  const staffedMs = n('availableMs') + n('reservedMs') + n('onCallMs') + n('wrapUpStateMs') + n('pausedMs');
  return {
    offered: n('offered'),
    answered: n('answered'),
    missed: n('missed'),
    handled,
    talkSeconds: talkS,
    holdSeconds: holdS,
    transferred: n('transferred'),
    wrapUpSeconds: secondsOfMs(wrapUpMs),
    ahtSeconds: ratio(talkS + holdS + secondsOfMs(wrapUpMs), handled),
    availableSeconds: secondsOfMs(n('availableMs')),
    reservedSeconds: secondsOfMs(n('reservedMs')),
    onCallSeconds: secondsOfMs(n('onCallMs')),
    wrapUpStateSeconds: secondsOfMs(n('wrapUpStateMs')),
    pausedSeconds: secondsOfMs(n('pausedMs')),
    staffedSeconds: secondsOfMs(staffedMs),
    occupancy: share(busyMs, busyMs + n('availableMs') + n('reservedMs')),
    callsPerHour: ratio(n('answered') * 3_600_000, staffedMs),
    surveyResponses: n('surveyResponses'),
    surveyScoreAvg: ratio(n('surveyScoreSum'), n('surveyResponses')),
    dispositions: n('dispositions'),
    resolved: n('resolved'),
    fcrDisposition: share(n('resolved'), n('dispositions')),
    repeatContacts: n('repeatContacts'),
    fcrRepeat: share(Math.max(0, handled - n('repeatContacts')), handled),
  };
}
