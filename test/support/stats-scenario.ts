// A scripted day of events for the statistics (test/unit/stats-projector.test.ts computes its
// figures by hand; test/integration/stats-projector.test.ts runs it through Redis).
// Times are local to Europe/Paris on 2026-01-15 (UTC+1 in winter).
import type { NewEvent, SwitchboardEvent } from '../../src/events/catalogue';
import { EVENT_VERSION } from '../../src/events/catalogue';
import { statsSettings, type StatsSettings } from '../../src/stats';

export const TZ = 'Europe/Paris';
export const SETTINGS: StatsSettings = statsSettings(TZ, (id) =>
  id === 'sales' ? { thresholdS: 20, shortAbandonS: 5, formula: 'sl1' } : id === 'support' ? { thresholdS: 30, shortAbandonS: 10, formula: 'sl3' } : undefined,
);

/** Epoch ms of a Paris wall-clock time on 2026-01-15 (day 16 for the next day). */
export const paris = (hms: string, day = 15): number => {
  const [h = 0, m = 0, s = 0] = hms.split(':').map(Number);
  return Date.UTC(2026, 0, day, h - 1, m, s);
};

const e = (event: NewEvent): SwitchboardEvent => ({ v: EVENT_VERSION, ...event }) as SwitchboardEvent;
const entered = (callId: string, queue: string, at: number, from?: string) => e({ type: 'queue.entered', callId, queue, callerId: '15550001', position: 1, priority: 0, at, ...(from ? { from } : {}) });
const state = (agentId: string, from: string, to: string, at: number) => e({ type: 'agent.state-changed', agentId, from, to, at });
const collected = (callId: string, flow: string, at: number, input: { sensitive: false; value: string } | { sensitive: true; length: number }) =>
  e({ type: 'ivr.collected', callId, flow, step: 'q1', variable: 'score', input, at });

export function scenario(): SwitchboardEvent[] {
  const t = paris;
  return [
    state('a1', 'logged-out', 'available', t('09:58:00')),
    entered('c1', 'sales', t('10:00:00')),
    entered('c2', 'sales', t('10:00:05')),
    entered('c3', 'sales', t('10:00:10')),
    entered('c4', 'sales', t('10:00:12')),
    e({ type: 'queue.offered', callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'l1', offer: 1, at: t('10:00:15') }),
    state('a1', 'available', 'reserved', t('10:00:15')),
    e({ type: 'queue.connected', callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'l1', holdS: 18, ringS: 3, at: t('10:00:18') }),
    state('a1', 'reserved', 'on-call', t('10:00:18')),
    e({ type: 'queue.abandoned', callId: 'c3', queue: 'sales', position: 2, origPosition: 3, waitS: 3, ringing: false, at: t('10:00:20') }),
    e({ type: 'queue.offered', callId: 'c2', queue: 'sales', agentId: 'a2', legId: 'l2', offer: 1, at: t('10:00:30') }),
    e({ type: 'queue.abandoned', callId: 'c4', queue: 'sales', position: 2, origPosition: 4, waitS: 28, ringing: true, at: t('10:00:40') }),
    e({ type: 'queue.ring-no-answer', callId: 'c2', queue: 'sales', agentId: 'a2', ringMs: 15000, cause: 'no-answer', at: t('10:00:45') }),
    e({ type: 'queue.offered', callId: 'c2', queue: 'sales', agentId: 'a2', legId: 'l3', offer: 2, at: t('10:00:50') }),
    e({ type: 'queue.connected', callId: 'c2', queue: 'sales', agentId: 'a2', legId: 'l3', holdS: 50, ringS: 5, at: t('10:00:55') }),
    e({ type: 'queue.completed', callId: 'c1', queue: 'sales', agentId: 'a1', by: 'agent', holdS: 18, talkS: 282, origPosition: 1, at: t('10:05:00') }),
    e({ type: 'survey.started', callId: 'c1', queue: 'sales', flow: 'csat', at: t('10:05:00') }),
    e({ type: 'agent.wrap-up-started', agentId: 'a1', callId: 'c1', untilAt: t('10:05:30'), at: t('10:05:00') }),
    state('a1', 'on-call', 'wrap-up', t('10:05:00')),
    collected('c1', 'csat', t('10:05:10'), { sensitive: false, value: '4' }),
    collected('c1', 'csat', t('10:05:15'), { sensitive: false, value: '5' }),
    collected('c1', 'csat', t('10:05:16'), { sensitive: true, length: 4 }),
    collected('c1', 'other', t('10:05:17'), { sensitive: false, value: '1' }),
    e({ type: 'ivr.ended', callId: 'c1', flow: 'csat', step: 'bye', reason: 'done', at: t('10:05:20') }),
    collected('c1', 'csat', t('10:05:21'), { sensitive: false, value: '3' }),
    e({ type: 'call.disposition', callId: 'c1', queue: 'sales', agentId: 'a1', resolved: true, reason: 'billing-question', by: 'agent:a1', at: t('10:05:25') }),
    e({ type: 'agent.wrap-up-ended', agentId: 'a1', callId: 'c1', at: t('10:05:30') }),
    state('a1', 'wrap-up', 'available', t('10:05:30')),
    e({ type: 'queue.completed', callId: 'c2', queue: 'sales', agentId: 'a2', by: 'caller', holdS: 50, talkS: 840, origPosition: 2, at: t('10:14:55') }),
    e({ type: 'agent.wrap-up-started', agentId: 'a2', callId: 'c2', untilAt: t('10:15:10'), at: t('10:14:55') }),
    e({ type: 'call.disposition', callId: 'c2', queue: 'sales', agentId: 'a2', resolved: false, reason: 'escalated', by: 'supervisor', at: t('10:15:05') }),
    e({ type: 'agent.wrap-up-ended', agentId: 'a2', callId: 'c2', at: t('10:15:10') }),
    entered('c5', 'sales', t('10:20:00')),
    state('a1', 'available', 'paused', t('10:20:00')),
    e({ type: 'queue.exited', callId: 'c5', queue: 'sales', position: 1, origPosition: 1, waitS: 40, reason: 'overflow', to: 'support', at: t('10:20:40') }),
    entered('c5', 'support', t('10:20:40'), 'sales'),
    e({ type: 'queue.abandoned', callId: 'c5', queue: 'support', position: 1, origPosition: 1, waitS: 2, ringing: false, at: t('10:20:42') }),
    entered('c6', 'sales', t('10:21:00')),
    e({ type: 'queue.exited', callId: 'c6', queue: 'sales', position: 1, origPosition: 1, waitS: 120, reason: 'timeout', at: t('10:23:00') }),
    entered('c7', 'sales', t('10:24:00')),
    e({ type: 'queue.exited', callId: 'c7', queue: 'sales', position: 1, origPosition: 1, waitS: 30, reason: 'callback', key: '1', at: t('10:24:30') }),
    e({ type: 'callback.requested', callbackId: 'cb1', queue: 'sales', number: '15550007', origin: 'in-queue', dueAt: t('10:24:30'), priority: 0, createdBy: 'caller', at: t('10:24:30') }),
    e({ type: 'callback.connected', callbackId: 'cb1', callId: 'cb-cb1', queue: 'sales', agentId: 'a2', attempt: 1, at: t('10:40:00') }),
    e({ type: 'callback.failed', callbackId: 'cb2', queue: 'sales', attempt: 2, reason: 'no-answer', at: t('10:50:00') }),
    state('a1', 'paused', 'logged-out', t('00:10:00', 16)),
  ];
}
