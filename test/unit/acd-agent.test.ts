import { applyAgentEvent, newAgentState, TransitionRefused, type AgentEvent } from '../../src/acd/domain/agent';
import type { AgentState } from '../../src/acd/domain/model';

const at = 1_000;
const reachableAvailable = (): AgentState => applyAgentEvent(applyAgentEvent(newAgentState('a1', 0), { type: 'reachability', reachable: true, at: 0 }), { type: 'login', at: 0 });

function run(s: AgentState, ...events: AgentEvent[]): AgentState {
  return events.reduce(applyAgentEvent, s);
}

describe('agent state machine', () => {
  it('login → available, reserve → reserved, answered → on call, ended → wrap-up → available', () => {
    let s = reachableAvailable();
    expect(s.status).toBe('available');
    s = run(s, { type: 'reserve', callId: 'c1', at: 100 });
    expect(s).toMatchObject({ status: 'reserved', callId: 'c1', since: 100 });
    s = run(s, { type: 'answered', callId: 'c1', at: 200 });
    expect(s).toMatchObject({ status: 'on-call', callsTaken: 1 });
    s = run(s, { type: 'callEnded', callId: 'c1', wrapUpS: 5, at: 60_200 });
    expect(s).toMatchObject({ status: 'wrap-up', talkTimeMs: 60_000, callId: 'c1' });
    s = run(s, { type: 'wrapUpEnded', callId: 'c1', at: 65_200 });
    expect(s).toMatchObject({ status: 'available', idleSince: 65_200 });
    expect(s.callId).toBeUndefined();
  });

  it('answered but never connected: available again, the call not counted, talk time untouched', () => {
    const s = run(reachableAvailable(), { type: 'reserve', callId: 'c1', at: 1 }, { type: 'answered', callId: 'c1', at: 2 }, { type: 'connectFailed', callId: 'c1', at: 9 });
    expect(s).toMatchObject({ status: 'available', callsTaken: 0, talkTimeMs: 0, since: 9 });
    expect(s.callId).toBeUndefined();
    expect(() => run(reachableAvailable(), { type: 'connectFailed', callId: 'c1', at: 9 })).toThrow(TransitionRefused);
  });

  it('no wrap-up time: straight back to available', () => {
    const s = run(reachableAvailable(), { type: 'reserve', callId: 'c1', at: 1 }, { type: 'answered', callId: 'c1', at: 2 }, { type: 'callEnded', callId: 'c1', wrapUpS: 0, at: 3 });
    expect(s).toMatchObject({ status: 'available', idleSince: 3 });
  });

  it('missed offers count strikes and pause the agent with no-answer after N in a row', () => {
    let s = reachableAvailable();
    for (let i = 1; i <= 2; i++) {
      s = run(s, { type: 'reserve', callId: `c${i}`, at }, { type: 'missed', callId: `c${i}`, maxMissedOffers: 3, at });
      expect(s).toMatchObject({ status: 'available', missed: i });
    }
    s = run(s, { type: 'reserve', callId: 'c3', at }, { type: 'missed', callId: 'c3', maxMissedOffers: 3, at });
    expect(s).toMatchObject({ status: 'paused', pauseReason: 'no-answer', missed: 3 });
    s = run(s, { type: 'ready', at });
    expect(s).toMatchObject({ status: 'available', missed: 0 });
  });

  it('an answered call resets the strikes; a cancelled offer is not a strike', () => {
    let s = run(reachableAvailable(), { type: 'reserve', callId: 'c1', at }, { type: 'missed', callId: 'c1', maxMissedOffers: 3, at });
    s = run(s, { type: 'reserve', callId: 'c2', at }, { type: 'offerCancelled', callId: 'c2', at });
    expect(s).toMatchObject({ status: 'available', missed: 1 });
    s = run(s, { type: 'reserve', callId: 'c3', at }, { type: 'answered', callId: 'c3', at });
    expect(s.missed).toBe(0);
  });

  it('wrap-up is shared: ready ends it early, and the stale wrap-up timer then changes nothing', () => {
    let s = run(reachableAvailable(), { type: 'reserve', callId: 'c1', at: 1 }, { type: 'answered', callId: 'c1', at: 2 }, { type: 'callEnded', callId: 'c1', wrapUpS: 30, at: 3 });
    s = run(s, { type: 'ready', at: 10 });
    expect(s.status).toBe('available');
    const again = run(s, { type: 'reserve', callId: 'c2', at: 11 });
    expect(run(again, { type: 'wrapUpEnded', callId: 'c1', at: 33 })).toBe(again);
  });

  it('pause keeps its reason; logout from pause; login twice is harmless', () => {
    let s = run(reachableAvailable(), { type: 'pause', reason: 'lunch', at: 5 });
    expect(s).toMatchObject({ status: 'paused', pauseReason: 'lunch' });
    s = run(s, { type: 'logout', at: 6 });
    expect(s.status).toBe('logged-out');
    expect(s.pauseReason).toBeUndefined();
    const once = run(s, { type: 'login', at: 7 });
    expect(run(once, { type: 'login', at: 8 })).toBe(once);
  });

  it.each<[string, AgentEvent[], AgentEvent]>([
    ['reserve an unreachable agent', [], { type: 'reserve', callId: 'c', at }],
    ['answer without an offer', [], { type: 'answered', callId: 'c', at }],
    ['log out on a call', [{ type: 'reachability', reachable: true, at }, { type: 'reserve', callId: 'c', at }, { type: 'answered', callId: 'c', at }], { type: 'logout', at }],
    ['pause while ringing', [{ type: 'reachability', reachable: true, at }, { type: 'reserve', callId: 'c', at }], { type: 'pause', reason: 'break', at }],
    ['answer another call than the offered one', [{ type: 'reachability', reachable: true, at }, { type: 'reserve', callId: 'c', at }], { type: 'answered', callId: 'other', at }],
    ['end a call while available', [], { type: 'callEnded', callId: 'c', wrapUpS: 0, at }],
  ])('refuses to %s', (_name, before, event) => {
    const s = run(applyAgentEvent(newAgentState('a1', 0), { type: 'login', at: 0 }), ...before);
    expect(() => applyAgentEvent(s, event)).toThrow(TransitionRefused);
  });

  it('refuses to pause a logged-out agent and to reserve one', () => {
    const s = newAgentState('a1', 0);
    expect(() => applyAgentEvent(s, { type: 'pause', reason: 'x', at })).toThrow('cannot pause while logged-out (log in first)');
    expect(() => applyAgentEvent({ ...s, reachable: true }, { type: 'reserve', callId: 'c', at })).toThrow(TransitionRefused);
  });
});
