// Who may record a call's disposition, and when (src/dispositions/domain/decide.ts).
import { refuseDisposition, type DispositionTarget, type Recorder } from '../../src/dispositions/domain';

const wrapping: DispositionTarget = { call: { queue: 'sales', agentId: 'agent1' }, agent: { status: 'wrap-up', callId: 'c1' }, done: false };
const agent = (id: string): Recorder => ({ role: 'agent', agentId: id, seesAgent: (a) => a === id });
const supervisorOf = (...agents: string[]): Recorder => ({ role: 'supervisor', seesAgent: (a) => agents.includes(a) });
const admin: Recorder = { role: 'admin', seesAgent: () => true };

test("the call's agent, a supervisor of its team or an admin, while the agent is on the call or in its wrap-up", () => {
  for (const by of [agent('agent1'), supervisorOf('agent1'), admin]) expect(refuseDisposition('c1', wrapping, by)).toBeUndefined();
  expect(refuseDisposition('c1', { ...wrapping, agent: { status: 'on-call', callId: 'c1' } }, agent('agent1'))).toBeUndefined();
});

test('another agent, or a supervisor of other teams: 403', () => {
  expect(refuseDisposition('c1', wrapping, agent('agent2'))).toEqual({ status: 403, why: 'an agent key records dispositions of its own calls only' });
  expect(refuseDisposition('c1', wrapping, supervisorOf('agent2'))?.status).toBe(403);
});

test('a call never connected: 404; one already recorded, or whose wrap-up is over: 409', () => {
  expect(refuseDisposition('c9', { done: false }, admin)).toEqual({ status: 404, why: 'no connected call "c9"' });
  expect(refuseDisposition('c1', { ...wrapping, done: true }, admin)).toEqual({ status: 409, why: 'call "c1" already has a disposition' });
  expect(refuseDisposition('c1', { ...wrapping, agent: { status: 'available' } }, agent('agent1'))?.status).toBe(409);
  expect(refuseDisposition('c1', { ...wrapping, agent: { status: 'wrap-up', callId: 'c2' } }, agent('agent1'))?.status).toBe(409);
});

test('the role is checked before the state: an agent does not learn how another agent\'s call went', () => {
  expect(refuseDisposition('c1', { ...wrapping, done: true }, agent('agent2'))?.status).toBe(403);
});
