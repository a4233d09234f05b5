// The in-queue callback: when a waiting caller is offered one, and the short conversation after
// they press the key (their own number read back and confirmed, or another one keyed in). Pure:
// the service plays what it says, runs its timers and stores what it decides.
import { acceptNumber } from './number';
import type { OfferSettings } from './model';

/** Check again this often whether a waiting caller should be offered a callback. */
export const OFFER_CHECK_MS = 5_000;
/** How long the caller has to answer a question, and between two keys of a number. */
export const ANSWER_TIMEOUT_MS = 8_000;
/** Tries at keying in a number before the caller is refused (and keeps waiting). */
export const NUMBER_TRIES = 2;

export const PROMPTS = {
  offer: 'sb-callback-offer',
  numberIs: 'sb-callback-number-is',
  confirm: 'sb-callback-confirm',
  enterNumber: 'sb-callback-enter-number',
  invalidNumber: 'sb-callback-invalid-number',
  thanks: 'sb-callback-thanks',
  pending: 'sb-callback-pending',
  cancelled: 'sb-callback-cancelled',
  /** Asterisk's core prompt: "After the tone, say your name." */
  recordName: 'vm-rec-name',
} as const;

/** The caller's name: at most this long; this much silence ends it (# too). */
export const NAME_MAX_S = 5;
export const NAME_SILENCE_S = 2;
/** The recording of a waiting caller's name (its RecordingFinished goes to the callbacks feature). */
export const nameRecordingOf = (callId: string): string => `cbname-${callId}`;

/** Is the offer due now? The estimated wait passed its limit, or the caller waited long enough with no eligible agent free; never twice within `everyS`. */
export function offerDue(o: { waitedS: number; ewtS?: number; anyEligibleFree: boolean; lastOfferAt?: number; now: number }, s: OfferSettings): boolean {
  if (o.lastOfferAt !== undefined && o.now - o.lastOfferAt < s.everyS * 1000) return false;
  if (s.ewtOverS !== undefined && o.ewtS !== undefined && o.ewtS > s.ewtOverS) return true;
  return s.noAgentAfterS !== undefined && o.waitedS >= s.noAgentAfterS && !o.anyEligibleFree;
}

export interface Dialogue {
  /** confirm: their own number read back; number: keying one in; pending: a caller whose callback is pending, keep or cancel it. */
  phase: 'confirm' | 'number' | 'pending';
  /** The pending callback (phase pending). */
  callbackId?: string;
  /** The caller's own number, when it is one the queue calls back. */
  own?: string;
  typed: string;
  tries: number;
}

export type DialogueOutcome =
  /** Say this, then wait for keys. */
  | { kind: 'ask'; dialogue: Dialogue; media: string[] }
  /** Keep collecting (a digit of a number). */
  | { kind: 'collect'; dialogue: Dialogue }
  /** The caller chose this number: request the callback. */
  | { kind: 'request'; number: string }
  /** Back to waiting in line (no answer, or refused after the tries), after saying `media`. */
  | { kind: 'resume'; media: string[] }
  /** The caller keeps their pending callback and leaves the line. */
  | { kind: 'keep'; callbackId: string }
  /** The caller cancels their pending callback and keeps waiting. */
  | { kind: 'cancel'; callbackId: string };

const digitsOf = (n: string): string[] => [...n.replace(/\D/g, '')].map((d) => `sound:digits/${d}`);
const sounds = (...names: string[]): string[] => names.map((n) => `sound:${n}`);

/** The caller pressed the offer's key. */
export function startDialogue(callerId: string, pattern: string): DialogueOutcome {
  if (acceptNumber(callerId, pattern)) {
    return { kind: 'ask', dialogue: { phase: 'confirm', own: callerId, typed: '', tries: 0 }, media: [...sounds(PROMPTS.numberIs), ...digitsOf(callerId), ...sounds(PROMPTS.confirm)] };
  }
  return { kind: 'ask', dialogue: { phase: 'number', typed: '', tries: 0 }, media: sounds(PROMPTS.enterNumber) };
}

/** A caller who calls again while their callback is pending: keep it (1) or cancel it and stay in line (2). */
export function startPending(callbackId: string): DialogueOutcome {
  return { kind: 'ask', dialogue: { phase: 'pending', callbackId, typed: '', tries: 0 }, media: sounds(PROMPTS.pending) };
}

/** A key, or no key in time (`timeout`). */
export function dialogueStep(d: Dialogue, input: { digit: string } | 'timeout', pattern: string): DialogueOutcome {
  if (d.phase === 'pending') {
    // No answer: both stand (the caller waits, the callback stays).
    if (input === 'timeout') return { kind: 'resume', media: [] };
    if (input.digit === '1') return { kind: 'keep', callbackId: d.callbackId! };
    if (input.digit === '2') return { kind: 'cancel', callbackId: d.callbackId! };
    return { kind: 'ask', dialogue: d, media: sounds(PROMPTS.pending) };
  }
  if (d.phase === 'confirm') {
    if (input === 'timeout') return { kind: 'resume', media: [] };
    if (input.digit === '1' && d.own) return { kind: 'request', number: d.own };
    if (input.digit === '2') return { kind: 'ask', dialogue: { ...d, phase: 'number', typed: '' }, media: sounds(PROMPTS.enterNumber) };
    // Another key: the question again.
    return { kind: 'ask', dialogue: d, media: [...sounds(PROMPTS.numberIs), ...digitsOf(d.own ?? ''), ...sounds(PROMPTS.confirm)] };
  }
  const done = input === 'timeout' || input.digit === '#';
  if (!done) {
    if (input.digit === '*') return { kind: 'collect', dialogue: { ...d, typed: '' } };
    return { kind: 'collect', dialogue: { ...d, typed: d.typed + input.digit } };
  }
  if (input === 'timeout' && d.typed === '') return { kind: 'resume', media: [] };
  if (acceptNumber(d.typed, pattern)) return { kind: 'request', number: d.typed };
  const tries = d.tries + 1;
  if (tries >= NUMBER_TRIES) return { kind: 'resume', media: sounds(PROMPTS.invalidNumber) };
  return { kind: 'ask', dialogue: { ...d, typed: '', tries }, media: sounds(PROMPTS.invalidNumber, PROMPTS.enterNumber) };
}
