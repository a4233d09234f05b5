// A queue that requires dispositions: its agents stay in wrap-up until the call's outcome is
// recorded (the ACD on in-memory ports and a fake clock; the pending check is a port). And a
// supervisor's change of a waiting call's priority.
import { DispositionPending } from '../../src/acd/service/acd-service';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

function rig() {
  const recorded = new Set<string>();
  const t = setup([queue('sales', { requireDisposition: true })], [agent('a1', { sales: 5 })], { dispositionPending: async (callId) => !recorded.has(callId) });
  return { t, record: (callId: string) => recorded.add(callId) };
}

async function callEnded(t: ReturnType<typeof setup>): Promise<void> {
  await t.online('a1');
  await t.call('c1', 'sales');
  await t.acd.legAnswered('c1-leg-1');
  await t.advance(30_000);
  await t.acd.callerLeft('c1');
  expect(await t.state('a1')).toMatchObject({ status: 'wrap-up', callId: 'c1' });
}

it('the wrap-up outlasts its time until the disposition comes; then the agent is available at once', async () => {
  const { t, record } = rig();
  await callEnded(t);
  await t.advance(5_000 + 60_000); // the wrap-up time, and long after (the sweep too)
  await t.acd.sweep();
  expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
  record('c1');
  await t.acd.dispositionRecorded('a1', 'c1');
  expect(await t.state('a1')).toMatchObject({ status: 'available' });
});

it('a disposition recorded early leaves the wrap-up its full time', async () => {
  const { t, record } = rig();
  await callEnded(t);
  record('c1');
  await t.acd.dispositionRecorded('a1', 'c1');
  expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
  await t.advance(5_000);
  expect(await t.state('a1')).toMatchObject({ status: 'available' });
});

it('ready and pause are refused while the disposition is missing; logout is not', async () => {
  const { t } = rig();
  await callEnded(t);
  await expect(t.acd.agentCommand('a1', 'ready')).rejects.toBeInstanceOf(DispositionPending);
  await expect(t.acd.agentCommand('a1', 'pause', 'break')).rejects.toThrow('agent a1: record the disposition of call c1 before leaving wrap-up');
  expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
  await t.acd.agentCommand('a1', 'logout');
  expect(await t.state('a1')).toMatchObject({ status: 'logged-out' });
});

it("a supervisor raises a waiting call's priority: the next free agent takes it before an older call", async () => {
  const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
  await t.call('c1', 'sales');
  await t.advance(1000);
  await t.call('c2', 'sales');
  expect(await t.acd.setPriority('c2', 5, 'supervisor-key')).toMatchObject({ callId: 'c2', priority: 5 });
  t.tel.take();
  await t.online('a1');
  expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 c2-leg-1']);
  await expect(t.acd.setPriority('c2', 9, 'supervisor-key')).rejects.toThrow('call "c2" is no longer waiting (an agent is being rung or has it)');
  await expect(t.acd.setPriority('nope', 9, 'supervisor-key')).rejects.toThrow('no call "nope" in a queue');
});
