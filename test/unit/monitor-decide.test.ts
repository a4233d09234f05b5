// Who may monitor which call with which phone, and what each mode is in Asterisk's terms.
import { placementOf, refuseMonitor, type MonitorTarget, type Monitorer } from '../../src/monitor/domain/decide';

const admin: Monitorer = { role: 'admin', seesAgent: () => true };
const supervisorOf = (...agents: string[]): Monitorer => ({ role: 'supervisor', seesAgent: (a) => agents.includes(a) });
const online = { id: 'supervisor1', reach: { online: true, busy: false } };
const connected: MonitorTarget = { call: { state: 'connected', agentId: 'a1', legId: 'c1-leg-1' }, phone: online, phoneInUse: false };

describe('who may monitor', () => {
  it.each([
    ['an agent key', connected, { role: 'agent', agentId: 'a1', seesAgent: () => true } as Monitorer, 403],
    ['no such call', { ...connected, call: undefined }, admin, 404],
    ['a call still waiting', { ...connected, call: { state: 'waiting' } }, admin, 404],
    ["a callback whose customer is not reached", { ...connected, call: { ...connected.call!, callbackPending: true } }, admin, 404],
    ["a supervisor outside the agent's teams", connected, supervisorOf('a2'), 403],
    ['a phone not in the routing files', { ...connected, phone: undefined }, admin, 422],
    ['a phone Asterisk does not know', { ...connected, phone: { id: 'supervisor1' } }, admin, 409],
    ['a phone not registered', { ...connected, phone: { id: 'supervisor1', reach: { online: false, busy: false } } }, admin, 409],
    ['a phone on another call', { ...connected, phone: { id: 'supervisor1', reach: { online: true, busy: true } } }, admin, 409],
    ['a phone in another session', { ...connected, phoneInUse: true }, admin, 409],
  ] as const)('%s: refused', (_what, target, by, status) => {
    expect(refuseMonitor('c1', 'supervisor1', target, by)?.status).toBe(status);
  });
  it("a supervisor of the agent's team, and an admin, may", () => {
    expect(refuseMonitor('c1', 'supervisor1', connected, supervisorOf('a1'))).toBeUndefined();
    expect(refuseMonitor('c1', 'supervisor1', connected, admin)).toBeUndefined();
  });
});

describe('modes in Asterisk', () => {
  it('listen hears both sides and whispers to nobody; whisper speaks to the agent only; barge joins the call', () => {
    expect(placementOf('listen')).toEqual({ kind: 'snoop', spy: 'both', whisper: 'none' });
    expect(placementOf('whisper')).toEqual({ kind: 'snoop', spy: 'both', whisper: 'out' });
    expect(placementOf('barge')).toEqual({ kind: 'call-bridge' });
  });
});
