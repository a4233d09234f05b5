// The statistics projector and figures on a scripted day (test/support/stats-scenario.ts), every
// figure computed by hand in the comments.
import { agentFigures, CounterBook, initialState, project, projectAll, queueFigures, slotLabel, sumSlots, type DayCounters, type ProjectorState } from '../../src/stats/domain';
import { paris, scenario, SETTINGS } from '../support/stats-scenario';

const entries = () => scenario().map((event, i) => ({ id: `${1000 + i}-0`, event }));

function fold(): { book: CounterBook; state: ProjectorState } {
  const p = projectAll(initialState(), entries(), SETTINGS);
  return { book: new CounterBook().add(p.deltas), state: p.state };
}

const day = (book: CounterBook, scope: 'queue' | 'agent', id: string, date = '2026-01-15'): DayCounters => {
  const d = book.get(scope, id, date);
  if (!d) throw new Error(`no counters for ${scope} ${id} ${date}`);
  return d;
};
const slot = (d: DayCounters, label: string) => {
  const s = [...d.slots].find(([n]) => slotLabel(n) === label);
  if (!s) throw new Error(`no slot ${label}`);
  return s[1];
};

describe('statistics projector: queue figures', () => {
  const { book } = fold();
  const sales = day(book, 'queue', 'sales');

  it('a whole day of the sales queue', () => {
    expect(queueFigures(sumSlots(sales.slots.values()), 'sl1')).toEqual({
      offered: 7, // c1..c7
      answered: 2, // c1 (18 s), c2 (50 s)
      abandoned: 2, // c3 (3 s), c4 (28 s, ringing)
      shortAbandoned: 1, // c3: 3 < 5
      abandonedRinging: 1, // c4
      answeredWithinThreshold: 1, // c1: 18 <= 20
      abandonedWithinThreshold: 1, // c3: 3 <= 20
      overflowed: 1, // c5
      timedOut: 1, // c6
      leftForCallback: 1, // c7
      withdrawn: 0,
      movedOut: 0,
      callbackAttemptsFailed: 0,
      callbacksRequested: 1,
      callbacksConnected: 1,
      callbacksFailed: 1,
      longestWaitSeconds: 50,
      asaSeconds: 34, // (18 + 50) / 2
      maxWaitAnsweredSeconds: 50,
      avgWaitAbandonedSeconds: 15.5, // (3 + 28) / 2
      maxWaitAbandonedSeconds: 28,
      handled: 2,
      talkSeconds: 1122, // 282 + 840
      holdSeconds: 0,
      transferred: 0,
      wrapUpSeconds: 45, // a1 30 s after c1, a2 15 s after c2
      ahtSeconds: 583.5, // (1122 + 45) / 2
      surveyResponses: 2, // 4 and 5 (not the sensitive one, the other flow's, nor the one after the survey ended)
      surveyScoreAvg: 4.5,
      dispositions: 2, // c1 by a1, c2 by a supervisor for a2
      resolved: 1, // c1
      fcrDisposition: 0.5,
      repeatContacts: 0,
      fcrRepeat: 1, // (2 handled − 0 repeats) / 2
      serviceLevel: 0.5, // sl1
      sl1: 0.5, // 1 / 2
      sl2: 0.5, // (1 + 1) / (2 + 2)
      sl3: 0.1667, // 1 / (7 − 1)
    });
  });

  it('per interval: each figure in the interval of the event that produced it', () => {
    expect([...sales.slots.keys()].map(slotLabel)).toEqual(['10:00', '10:15', '10:30', '10:45']);
    const at10 = queueFigures(slot(sales, '10:00'), 'sl1');
    expect(at10).toMatchObject({ offered: 4, answered: 2, abandoned: 2, handled: 2, talkSeconds: 1122, wrapUpSeconds: 30, ahtSeconds: 576, surveyResponses: 2, sl1: 0.5, sl3: 0.3333 });
    const at1015 = queueFigures(slot(sales, '10:15'), 'sl1');
    expect(at1015).toMatchObject({ offered: 3, answered: 0, overflowed: 1, timedOut: 1, leftForCallback: 1, callbacksRequested: 1, wrapUpSeconds: 15, handled: 0 });
    // No answered or abandoned call in this interval: no sl1, no sl2, no wait figures; sl3 = 0 / 3.
    expect(at1015).toMatchObject({ ahtSeconds: null, serviceLevel: null, sl1: null, sl2: null, sl3: 0, asaSeconds: null, longestWaitSeconds: null, maxWaitAnsweredSeconds: null });
    expect(queueFigures(slot(sales, '10:30'), 'sl1')).toMatchObject({ callbacksConnected: 1, offered: 0 });
    expect(queueFigures(slot(sales, '10:45'), 'sl1')).toMatchObject({ callbacksFailed: 1 });
  });

  it("the queue's own threshold, short-abandon limit and formula (support: 30 s, 10 s, sl3)", () => {
    const support = queueFigures(sumSlots(day(book, 'queue', 'support').slots.values()), SETTINGS.queue('support').formula);
    // c5 overflowed in and left after 2 s: a short abandon, within the threshold.
    expect(support).toMatchObject({ offered: 1, abandoned: 1, shortAbandoned: 1, abandonedWithinThreshold: 1, sl1: null, sl2: 1, sl3: null, serviceLevel: null });
  });
});

describe('statistics projector: agent figures', () => {
  const { book } = fold();

  it('a1: status time split over intervals, through midnight', () => {
    const a1 = day(book, 'agent', 'a1');
    // Paused from 10:20 to 00:10 the next day: 600 s in 10:15, 54 full intervals to midnight.
    expect(slot(a1, '10:15')).toMatchObject({ availableMs: 300_000, pausedMs: 600_000 });
    expect(slot(a1, '23:45')).toEqual({ pausedMs: 900_000 });
    expect(a1.slots.size).toBe(2 + 54 + 1); // 09:45, 10:00, 10:15 … 23:45
    expect(agentFigures(slot(a1, '09:45'))).toMatchObject({ availableSeconds: 120, staffedSeconds: 120, occupancy: 0, callsPerHour: 0 });
    // 10:00–10:15: available 15 + 570, reserved 3, on call 282, wrap-up 30 = 900 s.
    expect(agentFigures(slot(a1, '10:00'))).toEqual({
      offered: 1,
      answered: 1,
      missed: 0,
      handled: 1,
      talkSeconds: 282,
      holdSeconds: 0,
      transferred: 0,
      wrapUpSeconds: 30,
      ahtSeconds: 312,
      availableSeconds: 585,
      reservedSeconds: 3,
      onCallSeconds: 282,
      wrapUpStateSeconds: 30,
      pausedSeconds: 0,
      staffedSeconds: 900,
      occupancy: 0.3467, // 312 / 900
      callsPerHour: 4, // 1 call in a quarter of an hour
      surveyResponses: 2,
      surveyScoreAvg: 4.5,
      dispositions: 1, // c1, resolved
      resolved: 1,
      fcrDisposition: 1,
      repeatContacts: 0,
      fcrRepeat: 1, // no caller called again
    });
    // The day: available 120 + 15 + 570 + 300 = 1005; paused 600 + 54 × 900 = 49200; staffed 50520.
    expect(agentFigures(sumSlots(a1.slots.values()))).toMatchObject({
      availableSeconds: 1005,
      reservedSeconds: 3,
      onCallSeconds: 282,
      wrapUpStateSeconds: 30,
      pausedSeconds: 49_200,
      staffedSeconds: 50_520,
      occupancy: 0.2364, // 312 / 1320
      callsPerHour: 0.07, // 1 / 14.03 h
    });
    const next = day(book, 'agent', 'a1', '2026-01-16');
    expect([...next.slots.keys()].map(slotLabel)).toEqual(['00:00']);
    expect(agentFigures(sumSlots(next.slots.values()))).toMatchObject({ pausedSeconds: 600, staffedSeconds: 600, answered: 0, occupancy: null });
  });

  it('a2: offers, a miss, the call and its wrap-up, without any status time (no status change seen)', () => {
    const a2 = day(book, 'agent', 'a2');
    expect(agentFigures(sumSlots(a2.slots.values()))).toMatchObject({ offered: 2, missed: 1, answered: 1, handled: 1, talkSeconds: 840, wrapUpSeconds: 15, ahtSeconds: 855, staffedSeconds: 0, occupancy: null, callsPerHour: null, surveyResponses: 0, surveyScoreAvg: null, dispositions: 1, resolved: 0, fcrDisposition: 0 });
    expect(slot(a2, '10:15')).toEqual({ wrapUpMs: 15_000, dispositions: 1 });
  });
});

describe('statistics projector: state', () => {
  it('is small: closed calls and logged-out agents are forgotten', () => {
    const { state } = fold();
    expect(state.calls).toEqual({});
    expect(state.agents).toEqual({ a2: { q: 'sales' } });
  });

  it('survives a JSON round trip after every event (it is stored in Redis between batches)', () => {
    let s = initialState();
    const book = new CounterBook();
    for (const entry of entries()) {
      const p = project(JSON.parse(JSON.stringify(s)) as ProjectorState, entry, SETTINGS);
      book.add(p.deltas);
      s = p.state;
    }
    expect(book.days).toEqual(fold().book.days);
  });

  it('counts nothing from malformed or unknown events', () => {
    const s = initialState();
    for (const event of [{ type: 'queue.connected', at: paris('10:00:00'), queue: 'q' }, { type: 'queue.entered', at: Number.NaN, queue: 'q' }, { type: 'something.else', at: 1 }]) {
      expect(project(s, { id: '1-0', event }, SETTINGS).deltas).toEqual([]);
    }
  });

  it('a new call from a number handled within the repeat window counts a repeat for the earlier queue and agent', () => {
    const at = paris('12:00:00');
    const H = 3_600_000;
    const events = [
      { type: 'queue.entered', callId: 'x1', queue: 'sales', callerId: '555', position: 1, priority: 0, at },
      { type: 'queue.connected', callId: 'x1', queue: 'sales', agentId: 'a1', legId: 'l', holdS: 5, ringS: 1, callerId: '555', at: at + 5000 },
      { type: 'queue.completed', callId: 'x1', queue: 'sales', agentId: 'a1', by: 'caller', holdS: 5, talkS: 100, origPosition: 1, at: at + 105_000 },
      // an overflow and a callback are not new contacts
      { type: 'queue.entered', callId: 'x1', queue: 'billing', callerId: '555', position: 1, priority: 0, from: 'sales', at: at + H },
      { type: 'queue.entered', callId: 'cb-9', queue: 'billing', callerId: '555', position: 1, priority: 0, at: at + H },
      { type: 'queue.entered', callId: 'x2', queue: 'billing', callerId: '555', position: 1, priority: 0, at: at + 2 * H },
      // a third call, after x2 was not handled: nothing to repeat
      { type: 'queue.entered', callId: 'x3', queue: 'billing', callerId: '555', position: 1, priority: 0, at: at + 3 * H },
      // another number, whose handled call is older than the window (72 h)
      { type: 'queue.connected', callId: 'y1', queue: 'sales', agentId: 'a2', legId: 'l', holdS: 5, ringS: 1, callerId: '777', at },
      { type: 'queue.entered', callId: 'y2', queue: 'sales', callerId: '777', position: 1, priority: 0, at: at + 73 * H },
    ].map((event, i) => ({ id: `${i + 1}-0`, event: event as never }));
    const p = projectAll(initialState(), events, SETTINGS);
    const repeats = p.deltas.filter((d) => d.metric === 'repeatContacts').map((d) => `${d.scope} ${d.id}`);
    expect(repeats).toEqual(['queue sales', 'agent a1']);
    const c = sumSlots(new CounterBook().add(p.deltas).get('queue', 'sales', '2026-01-15')!.slots.values());
    expect(queueFigures(c, 'sl1')).toMatchObject({ handled: 1, repeatContacts: 1, fcrRepeat: 0 });
  });

  it('hold time is counted apart from talk time, and both in the handle time', () => {
    const at = paris('12:00:00');
    const completed = { type: 'queue.completed', callId: 'x', queue: 'sales', agentId: 'a', by: 'caller', holdS: 5, talkS: 100, onHoldS: 30, origPosition: 1, at };
    const p = project(initialState(), { id: '1-0', event: completed as never }, SETTINGS);
    const c = sumSlots(new CounterBook().add(p.deltas).get('queue', 'sales', '2026-01-15')!.slots.values());
    expect(queueFigures(c, 'sl1')).toMatchObject({ handled: 1, talkSeconds: 70, holdSeconds: 30, ahtSeconds: 100 });
    const a = sumSlots(new CounterBook().add(p.deltas).get('agent', 'a', '2026-01-15')!.slots.values());
    expect(agentFigures(a)).toMatchObject({ talkSeconds: 70, holdSeconds: 30, ahtSeconds: 100 });
  });

  it('an attended transfer is answered once by its queue; through another queue, that queue answers it too', () => {
    const at = paris('12:00:00');
    const connected = (queue: string, agentId: string, transferredFrom?: string) => ({ type: 'queue.connected', callId: 'x', queue, agentId, legId: 'l', holdS: 4, ringS: 1, ...(transferredFrom ? { transferredFrom } : {}), at });
    let s = initialState();
    const answered: string[] = [];
    for (const e of [connected('sales', 'a'), connected('sales', 'b', 'a'), connected('support', 'c', 'b')]) {
      const p = project(s, { id: '1-0', event: e as never }, SETTINGS);
      s = p.state;
      answered.push(...p.deltas.filter((d) => d.metric === 'answered' && d.scope === 'queue').map((d) => d.id));
    }
    expect(answered).toEqual(['sales', 'support']);
  });

  it('a wait equal to the threshold is within it (app_queue: holdtime <= servicelevel)', () => {
    const at = paris('12:00:00');
    const p = project(initialState(), { id: '1-0', event: { type: 'queue.connected', callId: 'x', queue: 'sales', agentId: 'a', legId: 'l', holdS: 20, ringS: 1, at } as never }, SETTINGS);
    expect(p.deltas.map((d) => d.metric)).toContain('answeredWithinThreshold');
    const late = project(initialState(), { id: '1-0', event: { type: 'queue.abandoned', callId: 'x', queue: 'sales', waitS: 5, ringing: false, at } as never }, SETTINGS);
    expect(late.deltas.map((d) => d.metric)).not.toContain('shortAbandoned'); // 5 is not < 5
  });
});
