import { applyAgentEvent, newAgentState } from '../../src/acd/domain/agent';
import type { AgentState, QueueConfig, QueueEntry, Strategy } from '../../src/acd/domain/model';
import { agentProfile, queueConfig, req } from '../support/acd-fixtures';
import { compareEntries, positionOf, selectAgent, selectCall, type AgentView } from '../../src/acd/domain/select';
import { currentStep, nextStepAt } from '../../src/acd/domain/steps';
import { announceMinutes, estimatedWaitS } from '../../src/acd/domain/ewt';

const queue = (id: string, strategy: Strategy, over: Partial<QueueConfig> = {}): QueueConfig =>
  queueConfig(id, { strategy, announcements: { position: true, estimatedWait: true, positionOnlyWhenImproved: true, firstAfterS: 15, everyS: 30 }, ...over });

function agent(id: string, skills: Record<string, number>, state: Partial<AgentState> = {}): AgentView {
  const profile = agentProfile(id, skills);
  const base = applyAgentEvent(applyAgentEvent(newAgentState(id, 0), { type: 'reachability', reachable: true, at: 0 }), { type: 'login', at: 0 });
  return { profile, state: { ...base, ...state } };
}

const entry = (callId: string, q: string, over: Partial<QueueEntry> = {}): QueueEntry => ({ callId, queue: q, priority: 0, enqueuedAt: 0, queuedAt: 0, attributes: {}, ...over });

describe('selectAgent: strategies', () => {
  const pool = [
    agent('d', { sales: 2 }, { idleSince: 400, callsTaken: 1, talkTimeMs: 900 }),
    agent('b', { sales: 9 }, { idleSince: 300, callsTaken: 5, talkTimeMs: 100 }),
    agent('a', { sales: 5 }, { idleSince: 100, callsTaken: 3, talkTimeMs: 500 }),
    agent('c', { sales: 9 }, { idleSince: 200, callsTaken: 1, talkTimeMs: 100 }),
    agent('x', { tv: 9 }, { idleSince: 0 }), // lacks the skill
    agent('p', { sales: 10 }, { idleSince: 0, status: 'paused', pauseReason: 'lunch' }),
    agent('u', { sales: 10 }, { idleSince: 0, reachable: false }), // phone not registered
    agent('r', { sales: 10 }, { idleSince: 0, status: 'reserved', callId: 'z' }),
  ];
  it.each<[Strategy, string, { lastPicked?: string; random?: () => number }]>([
    ['longest-idle', 'a', {}],
    ['most-skilled', 'c', {}], // b and c have 9; c idled longer
    ['fewest-calls', 'c', {}], // c and d have 1; c idled longer
    ['least-talk-time', 'c', {}], // b and c 100; c idled longer
    ['round-robin', 'a', {}],
    ['round-robin', 'c', { lastPicked: 'b' }],
    ['round-robin', 'a', { lastPicked: 'd' }], // wraps around
    ['random', 'a', { random: () => 0 }],
    ['random', 'd', { random: () => 0.99 }],
    ['random', 'c', { random: () => 0.5 }],
  ])('%s picks %s %j', (strategy, expected, ctx) => {
    expect(selectAgent(queue('sales', strategy), entry('c1', 'sales'), pool, { now: 1000, ...ctx })?.profile.id).toBe(expected);
  });

  it('ties break by agent id', () => {
    const tied = [agent('m', { sales: 1 }, { idleSince: 5 }), agent('k', { sales: 1 }, { idleSince: 5 })];
    expect(selectAgent(queue('sales', 'longest-idle'), entry('c1', 'sales'), tied, { now: 10 })?.profile.id).toBe('k');
  });

  it('nobody eligible: undefined', () => {
    expect(selectAgent(queue('sales', 'longest-idle'), entry('c1', 'sales'), [agent('x', { tv: 9 })], { now: 1 })).toBeUndefined();
  });
});

describe('requirement steps over wait time', () => {
  const billing = queue('billing', 'longest-idle', {
    steps: [
      { afterS: 0, requirement: req('billing', 5) },
      { afterS: 30, requirement: req('billing', 3) },
      { afterS: 90, requirement: req('billing', 1) },
      { afterS: 180, overflowTo: 'sales' },
    ],
  });
  const junior = [agent('j', { billing: 3 })];
  const e = entry('c1', 'billing', { queuedAt: 10_000 });
  it.each([
    [10_000, 0, undefined],
    [39_999, 0, undefined],
    [40_000, 1, 'j'],
    [100_000, 2, 'j'],
    [190_000, 3, undefined],
  ])('at %i ms: step %i, picks %s', (now, index, picked) => {
    expect(currentStep(billing, e, now).index).toBe(index);
    expect(selectAgent(billing, e, junior, { now })?.profile.id).toBe(picked);
  });
  it('says when the next step starts, and that the last has none after it', () => {
    expect(nextStepAt(billing, e, 10_000)).toBe(40_000);
    expect(nextStepAt(billing, e, 40_000)).toBe(100_000);
    expect(currentStep(billing, e, 200_000)).toEqual({ index: 3, overflowTo: 'sales' });
    expect(nextStepAt(billing, e, 200_000)).toBeUndefined();
  });
});

describe('selectCall: the best call across every queue an agent can serve', () => {
  const queues = new Map<string, QueueConfig>([
    ['sales', queue('sales', 'longest-idle')],
    ['billing', queue('billing', 'longest-idle', { steps: [{ afterS: 0, requirement: req('billing', 5) }, { afterS: 60, requirement: req('billing', 1) }] })],
    ['tv', queue('tv', 'longest-idle')],
  ]);
  const a = agent('a', { sales: 3, billing: 2 });
  it('oldest eligible call first, across queues', () => {
    const entries = [entry('s-new', 'sales', { enqueuedAt: 500 }), entry('s-old', 'sales', { enqueuedAt: 200 }), entry('tv-older', 'tv', { enqueuedAt: 100 })];
    expect(selectCall(a, entries, queues, 1000)?.callId).toBe('s-old');
  });
  it('priority beats age', () => {
    const entries = [entry('old', 'sales', { enqueuedAt: 0 }), entry('vip', 'sales', { enqueuedAt: 900, priority: 5 })];
    expect(selectCall(a, entries, queues, 1000)?.callId).toBe('vip');
  });
  it("respects each call's current step: a billing call becomes eligible once relaxed", () => {
    const b = entry('bill', 'billing', { enqueuedAt: 0, queuedAt: 0 });
    const s = entry('sale', 'sales', { enqueuedAt: 10 });
    expect(selectCall(a, [b, s], queues, 59_999)?.callId).toBe('sale');
    expect(selectCall(a, [b, s], queues, 60_000)?.callId).toBe('bill');
  });
  it('not offerable: nothing', () => {
    expect(selectCall(agent('a', { sales: 3 }, { status: 'wrap-up' }), [entry('s', 'sales')], queues, 1)).toBeUndefined();
  });
  it('orders entries and gives positions', () => {
    const list = [entry('a', 'sales', { enqueuedAt: 3 }), entry('b', 'sales', { enqueuedAt: 1 }), entry('c', 'sales', { enqueuedAt: 2, priority: 1 }), entry('z', 'tv', { enqueuedAt: 0 })];
    expect([...list].sort(compareEntries).map((e) => e.callId)).toEqual(['c', 'z', 'b', 'a']);
    expect(positionOf(list[0]!, list)).toBe(3);
    expect(positionOf(list[2]!, list)).toBe(1);
  });
});

describe('estimated wait', () => {
  it('M/M/N estimate without abandonment: (j+1)/(N·μ)', () => {
    // 4 ahead, 5 agents, AHT 300 s → 5/(5/300) = 300 s
    expect(estimatedWaitS({ ahead: 4, eligibleAgents: 5, ahtS: 300 })).toBeCloseTo(300, 9);
  });
  it('with abandonment the estimate is shorter', () => {
    const w = estimatedWaitS({ ahead: 4, eligibleAgents: 5, ahtS: 300, patienceS: 180 })!;
    const expected = [0, 1, 2, 3, 4].reduce((s, i) => s + 1 / (5 / 300 + i / 180), 0);
    expect(w).toBeCloseTo(expected, 9);
    expect(w).toBeLessThan(300);
  });
  it('nobody to take the call: no estimate; minutes round to at least 1', () => {
    expect(estimatedWaitS({ ahead: 0, eligibleAgents: 0, ahtS: 300 })).toBeUndefined();
    expect(announceMinutes(10)).toBe(1);
    expect(announceMinutes(150)).toBe(3);
  });
});
