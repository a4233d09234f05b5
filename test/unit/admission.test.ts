// Admission control: the rule (which limit refuses a call, and why), its log (one line when it
// starts refusing, summaries, one when it admits again), and a refused call in the controller
// (back to the dialplan's overload branch, nothing stored, one journal event).
import { Writable } from 'node:stream';
import pino from 'pino';
import { Admission } from '../../src/calls/admission';
import { CallController } from '../../src/calls/controller';
import { admission, gateAfter, type AdmissionLimits, type LoadNow } from '../../src/calls/domain/admission';
import type { CallContext, CallState } from '../../src/calls/domain/call';
import type { CallRepository, Telephony } from '../../src/calls/ports';
import type { IvrPorts } from '../../src/calls/commands';
import type { NewEvent } from '../../src/events';

const limits: AdmissionLimits = { maxCalls: 10, maxLoopDelayMs: 150, maxAriMs: 250, maxAriWaiting: 100, maxRedisMs: 100 };
const calm: LoadNow = { eventLoop: { delayP99Ms: 2 }, ari: { waiting: 0, oldestMs: 1.5 }, redis: { pingMs: 0.3 } };

describe('the admission rule', () => {
  it('admits while every figure is within its limit, or before anything was measured', () => {
    expect(admission(9, calm, limits)).toEqual({ admit: true });
    expect(admission(0, undefined, limits)).toEqual({ admit: true });
    expect(admission(1000, calm, { ...limits, maxCalls: 0 })).toEqual({ admit: true }); // no cap
  });

  it.each<[string, number, LoadNow, string]>([
    ['max-calls', 10, calm, '10 calls in progress (limit 10)'],
    ['event-loop', 0, { ...calm, eventLoop: { delayP99Ms: 180 } }, 'event-loop delay p99 180 ms (limit 150 ms)'],
    ['ari', 0, { ...calm, ari: { waiting: 101, oldestMs: 1 } }, '101 ARI requests waiting for a connection (limit 100)'],
    ['ari', 0, { ...calm, ari: { waiting: 0, oldestMs: 400 } }, 'an ARI request has waited 400 ms for its answer (limit 250 ms)'],
    ['redis', 0, { ...calm, redis: { pingMs: 120 } }, 'Redis answered in 120 ms (limit 100 ms)'],
  ])('refuses on %s: %s', (reason, calls, load, detail) => {
    expect(admission(calls, load, limits)).toEqual({ admit: false, reason, detail });
  });

});

function logged() {
  const lines: Array<{ level: number; msg: string; refused?: number }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

describe('Admission', () => {
  it('logs when it starts refusing, a summary every 5 s while it does, and when it admits again; /readyz sees the state', () => {
    let now = 0;
    let load: LoadNow = { ...calm, eventLoop: { delayP99Ms: 300 } };
    const { lines, logger } = logged();
    const a = new Admission({ limits, load: () => load, calls: () => 0, clock: { now: () => now }, logger });
    for (let i = 0; i < 30; i++) {
      expect(a.check().admit).toBe(false);
      now += 250;
    }
    expect(a.state()).toMatchObject({ admitting: false, refused: 30 });
    load = calm;
    expect(a.check().admit).toBe(true);
    expect(a.state()).toEqual({ admitting: true, detail: 'admitting new calls', refused: 30, gateShut: false });
    expect(lines.map((l) => l.msg)).toEqual([
      'overloaded: refusing new calls (event-loop delay p99 300 ms (limit 150 ms))',
      'overloaded: still refusing new calls (event-loop delay p99 300 ms (limit 150 ms))',
      'admitting calls again after refusing 30',
    ]);
  });
});

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('the dialplan gate', () => {
  it('shuts while a load limit is passed, moving its end on each second, and opens once none is', () => {
    const hot: LoadNow = { ...calm, ari: { waiting: 0, oldestMs: 400 } };
    expect(gateAfter(calm, limits, 10_000, 0)).toBeUndefined(); // open, and stays open
    expect(gateAfter(hot, limits, 10_400, 0)).toMatchObject({ untilS: 12, verdict: { admit: false, reason: 'ari' } });
    expect(gateAfter(hot, limits, 10_900, 12)).toBeUndefined(); // the same second: nothing to write
    expect(gateAfter(hot, limits, 11_000, 12)).toMatchObject({ untilS: 13 });
    expect(gateAfter(calm, limits, 11_500, 13)).toMatchObject({ untilS: 0, verdict: { admit: true } });
  });

  it('is not shut by the cap on calls in progress (decided call by call)', () => {
    expect(gateAfter(calm, { ...limits, maxCalls: 1 }, 10_000, 0)).toBeUndefined();
  });

  it('is written after each load window, logged when it shuts and opens, opened when the service stops', async () => {
    let now = 20_000;
    let load: LoadNow = { ...calm, redis: { pingMs: 150 } };
    const writes: number[] = [];
    const { lines, logger } = logged();
    const a = new Admission({ limits, load: () => load, calls: () => 0, clock: { now: () => now }, logger, gate: async (s) => void writes.push(s) });
    for (let i = 0; i < 6; i++, now += 500) {
      a.tick();
      await flush();
    }
    expect(writes).toEqual([22, 23, 24]);
    expect(a.state()).toMatchObject({ admitting: false, gateShut: true, detail: 'refusing new calls: Redis answered in 150 ms (limit 100 ms); the dialplan turns them away' });
    load = calm;
    a.tick();
    await flush();
    expect(writes.at(-1)).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['overloaded: the dialplan turns new calls away until the load eases (Redis answered in 150 ms (limit 100 ms))', 'the dialplan lets new calls in again after 3 s']);
    load = { ...calm, redis: { pingMs: 150 } };
    a.tick();
    await a.openGate();
    expect(writes.slice(-2)).toEqual([25, 0]);
    expect(a.state().gateShut).toBe(false);
  });

  it('one write at a time, the latest wish last: a write that lands late never undoes a newer one', async () => {
    let now = 30_000;
    let load: LoadNow = { ...calm, redis: { pingMs: 150 } };
    const writes: number[] = [];
    let land: () => void = () => undefined;
    const { logger } = logged();
    const gate = (s: number) =>
      new Promise<void>((resolve) => {
        writes.push(s);
        land = resolve;
      });
    const a = new Admission({ limits, load: () => load, calls: () => 0, clock: { now: () => now }, logger, gate });
    a.tick(); // shut until 32: its write hangs (Asterisk slow)
    now += 1000;
    a.tick(); // 33 wished, not written while the first is out
    load = calm;
    a.tick(); // open wished
    expect(writes).toEqual([32]);
    land();
    await flush();
    expect(writes).toEqual([32, 0]); // straight to the latest wish
    land();
    await flush();
    expect(writes).toEqual([32, 0]);
  });

  it('is not shut while Asterisk is away or frozen (the link not ready)', async () => {
    const writes: number[] = [];
    const { logger } = logged();
    const a = new Admission({ limits, load: () => ({ ...calm, ari: { waiting: 0, oldestMs: 6000 } }), calls: () => 0, clock: { now: () => 40_000 }, logger, gate: async (s) => void writes.push(s), mayShut: () => false });
    a.tick();
    await flush();
    expect(writes).toEqual([]);
  });
});

describe('a refused call', () => {
  it('goes back to the dialplan overload branch at once: no answer, no state, one call.refused event', async () => {
    const log: string[] = [];
    const quiet = async () => undefined;
    const telephony = {
      answer: async () => (log.push('answer'), 'answered' as const),
      ring: quiet,
      divert: async (ch: string, label: string) => void log.push(`divert ${ch} ${label}`),
      play: quiet,
      record: quiet,
      playbackActive: async () => false,
      stopPlayback: quiet,
      hangup: async (ch: string) => void log.push(`hangup ${ch}`),
      asteriskIdentity: async () => 'a',
      channelsInApp: async () => [],
    } satisfies Telephony;
    const states = new Map<string, CallState>();
    const calls: CallRepository = { get: async (id) => states.get(id), put: async (s) => void states.set(s.callId, s), activeIds: async () => [], swapAsteriskIdentity: async () => null };
    const published: NewEvent[] = [];
    const context = (): CallContext => ({ flows: new Map(), lookups: new Map(), destinations: new Map(), callerLists: new Map(), scheduleState: () => 'open', route: () => undefined });
    const controller = new CallController({
      telephony,
      calls,
      ivr: {} as IvrPorts,
      context,
      events: { publish: async (e) => void published.push(e) },
      clock: { now: () => 5 },
      logger: pino({ level: 'silent' }),
      admission: { check: () => ({ admit: false, reason: 'max-calls', detail: '1 calls in progress (limit 1)' }) },
    });
    await controller.handle({ type: 'CallArrived', callId: 'c1', channelId: 'c1', number: '5000', callerId: '+15550100', at: 1 });
    expect(log).toEqual(['divert c1 overload']);
    expect(states.size).toBe(0);
    expect(published).toEqual([{ type: 'call.refused', callId: 'c1', number: '5000', callerId: '+15550100', reason: 'max-calls', at: 1 }]);
    expect(controller.callsInProgress).toBe(0);
  });
});
