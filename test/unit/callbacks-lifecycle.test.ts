// The callback lifecycle (pure, with the clock in the events), the numbers a callback may dial,
// the causes of a failed attempt, opening hours, and a callback's place among calls.
import { keptFor, transition, type CallbackEvent, type LifecycleContext } from '../../src/callbacks/domain/lifecycle';
import { failureOfCause } from '../../src/callbacks/domain/causes';
import type { Callback, CallbackSettings } from '../../src/callbacks/domain/model';
import { acceptNumber } from '../../src/callbacks/domain/number';
import { compareEntries, selectCall } from '../../src/acd/domain/select';
import { mayBeOffered } from '../../src/acd/domain/eligibility';
import type { AgentProfile, AgentState, QueueConfig, QueueEntry } from '../../src/acd/domain/model';
import { nextOpenAt, parseTimeRange, type Schedule } from '../../src/ivr/domain/schedule';
import { agentProfile, queueConfig } from '../support/acd-fixtures';
import { dialogueStep, offerDue, startDialogue, startPending, type Dialogue, type DialogueOutcome } from '../../src/callbacks/domain/offer';

const SETTINGS: CallbackSettings = { trunk: 'carrier', callerId: '5003', numberPattern: '[0-9]{3,15}', attempts: 3, retryDelayS: 30, ringTimeoutS: 20, priority: 0, preferredAgentWindowS: 60 };
const ctx = (over: Partial<LifecycleContext> = {}): LifecycleContext => ({ settings: SETTINGS, openAt: (at) => at, ...over });

/** A fake clock the tests move by hand. */
class FakeClock {
  constructor(public t = 1_000_000) {}
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

function cb(over: Partial<Callback> = {}): Callback {
  return { id: 'c1', queue: 'billing', number: '15550100', origin: 'scheduled', state: 'requested', requestedAt: 1, dueAt: 1_000_000, enqueuedAt: 1_000_000, priority: 0, createdBy: 'admin', attempt: 0, failures: [], updatedAt: 1, ...over };
}

/** Applies events in order; throws on a refusal (the test names the one expected to be refused). */
function run(start: Callback, events: CallbackEvent[], c = ctx()): Callback {
  return events.reduce((cur, e) => {
    const r = transition(cur, e, c);
    if (!r.ok) throw new Error(r.refused);
    return r.next;
  }, start);
}

describe('lifecycle', () => {
  test('requested → waiting → offering → dialling → connected, one attempt counted', () => {
    const clock = new FakeClock();
    const end = run(cb(), [
      { type: 'due', at: clock.t },
      { type: 'offered', agentId: 'agent3', at: clock.advance(100) },
      { type: 'agent-answered', agentId: 'agent3', at: clock.advance(2000) },
      { type: 'customer-answered', at: clock.advance(5000) },
    ]);
    expect(end).toMatchObject({ state: 'connected', attempt: 1, agentId: 'agent3', connectedAt: clock.t, updatedAt: clock.t });
  });

  test('the dial step happens once per attempt: a second agent-answered is refused', () => {
    const dialling = run(cb(), [{ type: 'due', at: 1 }, { type: 'offered', agentId: 'agent3', at: 2 }, { type: 'agent-answered', agentId: 'agent3', at: 3 }]);
    const again = transition(dialling, { type: 'agent-answered', agentId: 'agent3', at: 4 }, ctx());
    expect(again).toEqual({ ok: false, refused: 'callback c1 is dialling: cannot dial for agent3' });
    // Nor can another agent take over the offer of someone else.
    const offering = run(cb(), [{ type: 'due', at: 1 }, { type: 'offered', agentId: 'agent3', at: 2 }]);
    expect(transition(offering, { type: 'agent-answered', agentId: 'agent4', at: 3 }, ctx()).ok).toBe(false);
  });

  test('a missed offer goes back to waiting; a failed attempt waits retryDelay, then the last one fails with its reason', () => {
    const clock = new FakeClock();
    const c = ctx({ settings: { ...SETTINGS, attempts: 2, retryDelayS: 30 } });
    const attempt = (s: Callback, reason: 'busy' | 'no-answer') =>
      run(s, [{ type: 'offered', agentId: 'a', at: clock.advance(10) }, { type: 'agent-answered', agentId: 'a', at: clock.advance(10) }, { type: 'customer-failed', reason, at: clock.advance(10) }], c);
    let s = run(cb(), [{ type: 'due', at: clock.t }, { type: 'offered', agentId: 'a', at: clock.advance(10) }, { type: 'offer-missed', at: clock.advance(10) }], c);
    expect(s).toMatchObject({ state: 'waiting', attempt: 0 });
    expect(s.agentId).toBeUndefined();
    s = attempt(s, 'busy');
    expect(s).toMatchObject({ state: 'retry-wait', attempt: 1, dueAt: clock.t + 30_000, failures: [{ attempt: 1, reason: 'busy', at: clock.t }] });
    expect(transition(s, { type: 'due', at: clock.t + 10 }, c).ok).toBe(true); // the job decides when; the record only follows
    s = run(s, [{ type: 'due', at: clock.advance(30_000) }], c);
    s = attempt(s, 'no-answer');
    expect(s).toMatchObject({ state: 'failed', attempt: 2 });
    expect(s.failures.map((f) => f.reason)).toEqual(['busy', 'no-answer']);
    expect(transition(s, { type: 'due', at: clock.t }, c).ok).toBe(false);
  });

  test('a retry waits for the opening hours', () => {
    const opensAt = 5_000_000;
    const c = ctx({ openAt: (at) => Math.max(at, opensAt) });
    const s = run(cb(), [{ type: 'due', at: 1 }, { type: 'offered', agentId: 'a', at: 2 }, { type: 'agent-answered', agentId: 'a', at: 3 }, { type: 'customer-failed', reason: 'no-answer', at: 4 }], c);
    expect(s).toMatchObject({ state: 'retry-wait', dueAt: opensAt });
  });

  test('cancel and update only while pending; a new time takes a waiting callback out of line', () => {
    const waiting = run(cb(), [{ type: 'due', at: 10 }]);
    expect(run(waiting, [{ type: 'cancel', at: 11 }])).toMatchObject({ state: 'cancelled' });
    const later = run(waiting, [{ type: 'update', dueAt: 9_000_000, at: 12 }]);
    expect(later).toMatchObject({ state: 'requested', dueAt: 9_000_000, enqueuedAt: 9_000_000 });
    // A second request for the same number keeps the earlier place.
    const kept = run(cb({ enqueuedAt: 500 }), [{ type: 'update', dueAt: 600, keepPlace: true, at: 12 }]);
    expect(kept).toMatchObject({ dueAt: 600, enqueuedAt: 500 });
    expect(run(cb({ note: 'x' }), [{ type: 'update', note: null, preferredAgent: 'agent3', at: 1 }])).toMatchObject({ note: undefined, preferredAgent: 'agent3' });
    const dialling = run(cb(), [{ type: 'due', at: 1 }, { type: 'offered', agentId: 'a', at: 2 }, { type: 'agent-answered', agentId: 'a', at: 3 }]);
    expect(transition(dialling, { type: 'cancel', at: 4 }, ctx())).toEqual({ ok: false, refused: 'callback c1 is dialling: cannot be cancelled' });
    expect(transition(dialling, { type: 'update', note: 'n', at: 4 }, ctx()).ok).toBe(false);
  });

  test('events that do not fit the state are refused, never applied', () => {
    for (const e of [{ type: 'customer-answered', at: 1 }, { type: 'offer-missed', at: 1 }, { type: 'customer-failed', reason: 'busy', at: 1 }] as CallbackEvent[]) {
      expect(transition(cb(), e, ctx()).ok).toBe(false);
    }
  });
});

test('keptFor: the preferred agent has a due callback to themselves for the window', () => {
  expect(keptFor({ preferredAgent: 'agent3', dueAt: 1000 }, 60)).toEqual({ agentId: 'agent3', until: 61_000 });
  expect(keptFor({ dueAt: 1000 }, 60)).toBeUndefined();
  expect(keptFor({ preferredAgent: 'agent3', dueAt: 1000 }, 0)).toBeUndefined();
});

test('only digits (a leading +) matching the whole pattern are dialled', () => {
  expect(acceptNumber('15550100', '[0-9]{3,15}')).toBe(true);
  expect(acceptNumber('+15550100', '\\+?[0-9]{3,15}')).toBe(true);
  expect(acceptNumber('12', '[0-9]{3,15}')).toBe(false);
  expect(acceptNumber('1555&Dial(SIP/x)', '.*')).toBe(false);
  expect(acceptNumber('15550100@evil', '.*')).toBe(false);
  expect(acceptNumber('1555', '1555|999')).toBe(true);
  expect(acceptNumber('15559', '1555|999')).toBe(false); // matched whole, not a prefix
});

test('a failed attempt is named from the Q.850 cause', () => {
  expect([17, 19, 18, 21, 1, 34, 16, 0].map(failureOfCause)).toEqual(['busy', 'no-answer', 'no-answer', 'rejected', 'unreachable', 'unreachable', 'failed', 'failed']);
});

test('nextOpenAt: at once while open, else the next opening (Madrid office hours)', () => {
  const r = parseTimeRange;
  const s: Schedule = { id: 'office', timeZone: 'Europe/Madrid', weekly: { mon: [r('09:00-18:00')], tue: [r('09:00-18:00')] }, holidays: [], exceptions: [] };
  const mon10 = Date.UTC(2026, 10, 30, 9, 0); // Monday 30 Nov 2026 10:00 CET
  expect(nextOpenAt(s, mon10)).toBe(mon10);
  expect(nextOpenAt(s, Date.UTC(2026, 10, 30, 18, 30))).toBe(Date.UTC(2026, 11, 1, 8, 0)); // Tuesday 09:00 CET
  expect(nextOpenAt(s, Date.UTC(2026, 11, 1, 18, 0))).toBe(Date.UTC(2026, 11, 7, 8, 0)); // after Tuesday: next Monday
  expect(nextOpenAt({ ...s, weekly: {} }, mon10)).toBeUndefined();
});

describe("a callback's place among calls", () => {
  // Both queues take any agent (a requirement that is always met).
  const anyAgent = { source: 'true', skills: [], test: () => true };
  const queue = (id: string): QueueConfig => queueConfig(id, { steps: [{ afterS: 0, requirement: anyAgent }] });
  const queues = new Map([
    ['billing', queue('billing')],
    ['sales', queue('sales')],
  ]);
  const entry = (callId: string, q: string, enqueuedAt: number, priority = 0, extra: Partial<QueueEntry> = {}) => ({ callId, queue: q, priority, enqueuedAt, queuedAt: enqueuedAt, attributes: {}, missedBy: {}, ...extra });
  const profile = (id: string): AgentProfile => agentProfile(id, {});
  const free = (id: string): AgentState => ({ id, status: 'available', since: 0, idleSince: 0, missed: 0, callsTaken: 0, talkTimeMs: 0, reachable: true });

  test('an in-queue callback keeps the caller’s original entry time: an agent serving both queues takes it before later callers', () => {
    const callback = entry('cb-1', 'billing', 1000);
    const later = [entry('call-2', 'billing', 2000), entry('call-3', 'sales', 1500)];
    expect(selectCall({ profile: profile('a'), state: free('a') }, [...later, callback], queues, 5000)?.callId).toBe('cb-1');
    expect([...later, callback].sort(compareEntries).map((e) => e.callId)).toEqual(['cb-1', 'call-3', 'call-2']);
    // Priority still comes first, across queues.
    expect(selectCall({ profile: profile('a'), state: free('a') }, [callback, entry('vip', 'sales', 4000, 5)], queues, 5000)?.callId).toBe('vip');
  });

  test('a callback kept for its preferred agent goes to no one else until the window ends', () => {
    const kept = entry('cb-2', 'billing', 1000, 0, { keptFor: { agentId: 'agent3', until: 10_000 } });
    const q = queues.get('billing')!;
    expect(mayBeOffered(profile('agent4'), free('agent4'), kept, q, 9_999)).toBe(false);
    expect(mayBeOffered(profile('agent3'), free('agent3'), kept, q, 9_999)).toBe(true);
    expect(mayBeOffered(profile('agent4'), free('agent4'), kept, q, 10_000)).toBe(true);
    // Meanwhile agent4 takes the next call instead.
    expect(selectCall({ profile: profile('agent4'), state: free('agent4') }, [kept, entry('c', 'billing', 2000)], queues, 5000)?.callId).toBe('c');
  });
});

describe('in-queue offer and its conversation', () => {
  const settings = { key: '1', ewtOverS: 60, noAgentAfterS: 20, everyS: 30, recordName: false };
  const at = (o: Partial<Parameters<typeof offerDue>[0]>) => offerDue({ waitedS: 0, anyEligibleFree: true, now: 100_000, ...o }, settings);

  test('offered when the estimated wait passes its limit, or after waiting with no eligible agent free; not again within `every`', () => {
    expect(at({ ewtS: 61 })).toBe(true);
    expect(at({ ewtS: 60 })).toBe(false);
    expect(at({ waitedS: 20, anyEligibleFree: false })).toBe(true);
    expect(at({ waitedS: 19, anyEligibleFree: false })).toBe(false);
    expect(at({ waitedS: 40, anyEligibleFree: true })).toBe(false); // someone is free: the call will be offered to them
    expect(at({ ewtS: 90, lastOfferAt: 80_000 })).toBe(false);
    expect(at({ ewtS: 90, lastOfferAt: 70_000 })).toBe(true);
  });

  const PATTERN = '1555[0-9]{4}';
  const media = (o: DialogueOutcome) => ('media' in o ? o.media : []);

  test('own number read back: 1 confirms it, another key asks again, no answer goes back to waiting', () => {
    const start = startDialogue('15550100', PATTERN);
    expect(start.kind).toBe('ask');
    expect(media(start)).toEqual(['sound:sb-callback-number-is', ...[...'15550100'].map((d) => `sound:digits/${d}`), 'sound:sb-callback-confirm']);
    const d = (start as Extract<DialogueOutcome, { kind: 'ask' }>).dialogue;
    expect(dialogueStep(d, { digit: '1' }, PATTERN)).toEqual({ kind: 'request', number: '15550100' });
    expect(dialogueStep(d, { digit: '7' }, PATTERN)).toMatchObject({ kind: 'ask', media: media(start) });
    expect(dialogueStep(d, 'timeout', PATTERN)).toEqual({ kind: 'resume', media: [] });
  });

  test('2: another number ending with #, refused by the pattern once and asked again, then refused politely', () => {
    let o = dialogueStep((startDialogue('15550100', PATTERN) as Extract<DialogueOutcome, { kind: 'ask' }>).dialogue, { digit: '2' }, PATTERN);
    expect(o).toMatchObject({ kind: 'ask', media: ['sound:sb-callback-enter-number'] });
    const typeIn = (from: DialogueOutcome, keys: string): DialogueOutcome => [...keys].reduce((cur, k) => dialogueStep((cur as { dialogue: Dialogue }).dialogue, { digit: k }, PATTERN), from);
    expect(typeIn(o, '15550333#')).toEqual({ kind: 'request', number: '15550333' });
    o = typeIn(o, '12#');
    expect(o).toMatchObject({ kind: 'ask', media: ['sound:sb-callback-invalid-number', 'sound:sb-callback-enter-number'] });
    expect(typeIn(o, '99#')).toEqual({ kind: 'resume', media: ['sound:sb-callback-invalid-number'] });
    // * starts the number again; a pause after some digits ends it as # would.
    const again = typeIn(o, '9*1555');
    expect(dialogueStep((typeIn(again, '0334') as { dialogue: Dialogue }).dialogue, 'timeout', PATTERN)).toEqual({ kind: 'request', number: '15550334' });
  });

  test('a caller whose own number the queue does not call back is asked for one at once', () => {
    expect(startDialogue('anonymous', PATTERN)).toMatchObject({ kind: 'ask', dialogue: { phase: 'number' }, media: ['sound:sb-callback-enter-number'] });
  });
});

test('a pending callback: 1 keeps it, 2 cancels it, another key asks again, no answer leaves both', () => {
  const start = startPending('cb9');
  expect(start).toMatchObject({ kind: 'ask', media: ['sound:sb-callback-pending'] });
  const d = (start as Extract<DialogueOutcome, { kind: 'ask' }>).dialogue;
  expect(dialogueStep(d, { digit: '1' }, '.*')).toEqual({ kind: 'keep', callbackId: 'cb9' });
  expect(dialogueStep(d, { digit: '2' }, '.*')).toEqual({ kind: 'cancel', callbackId: 'cb9' });
  expect(dialogueStep(d, { digit: '5' }, '.*')).toMatchObject({ kind: 'ask', media: ['sound:sb-callback-pending'] });
  expect(dialogueStep(d, 'timeout', '.*')).toEqual({ kind: 'resume', media: [] });
});
