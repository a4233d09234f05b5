// Assist flows (assist.ts): an agent sends the connected caller to one of the queue's assist flows
// (a payment IVR) and gets them back at its end. Who may and when (domain/control.ts), what
// Asterisk is told, what is journaled. The ACD on in-memory ports and a fake clock.
import { refuseCallAction, type Actor } from '../../src/acd/domain/control';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

const admin: Actor = { role: 'admin', seesAgent: () => true };
const agentKey = (id: string): Actor => ({ role: 'agent', agentId: id, seesAgent: (a) => a === id });

async function connectedCall() {
  const started: Array<{ callId: string; flow: string }> = [];
  const t = setup([queue('sales', { assistFlows: ['payment'] }), queue('billing')], [agent('a1', { sales: 5 })], { startAssist: async (c) => (started.push(c), true) });
  await t.online('a1');
  await t.call('c1', 'sales');
  await t.acd.legAnswered('c1-leg-1');
  t.tel.take();
  return { ...t, started };
}

describe('who may send a caller to an assist flow, and when', () => {
  const connected = { state: 'connected' as const, agentId: 'a1' };
  it.each([
    ["another agent's key", connected, agentKey('a2'), 403],
    ['a call on hold (resume it first)', { ...connected, heldAt: 5 }, admin, 409],
    ['a call whose agent is consulting a colleague', { ...connected, consulting: true }, admin, 409],
    ['a caller already in an assist flow', { ...connected, assisting: true }, admin, 409],
  ] as const)('%s: %s', (_what, call, actor, status) => {
    expect(refuseCallAction('c1', 'assist', call, actor)?.status).toBe(status);
  });
  it('while the caller is in the flow, the call takes no hold or transfer', () => {
    for (const action of ['hold', 'resume', 'transfer'] as const) expect(refuseCallAction('c1', action, { ...connected, assisting: true }, admin)?.status).toBe(409);
  });
});

describe('an assist flow', () => {
  it('takes the caller out of the conversation into the flow, and back at its end', async () => {
    const t = await connectedCall();
    await t.advance(4_000);
    const e = await t.acd.startAssist('c1', 'payment', agentKey('a1'), 'agent:a1');
    expect(e.assist).toEqual({ flow: 'payment', startedAt: t.now(), by: 'agent:a1' });
    expect(t.tel.take()).toEqual(['unbridge c1-bridge c1']);
    expect(t.tel.bridged.get('c1-bridge')).toEqual(['c1-leg-1']);
    expect(t.started).toEqual([{ callId: 'c1', flow: 'payment' }]);
    await expect(t.acd.hold('c1', admin, 'k')).rejects.toMatchObject({ status: 409 });
    await t.advance(25_000);
    await t.acd.assistDone('c1');
    expect(t.tel.take()).toEqual(['bridge c1-bridge c1']);
    expect((await t.store.getEntry('c1'))!.d.assist).toBeUndefined();
    await t.acd.assistDone('c1'); // a repeated end changes nothing
    expect(t.tel.take()).toEqual([]);
    const ev = t.published.filter((x) => x.type.startsWith('queue.assist'));
    expect(ev).toEqual([
      expect.objectContaining({ type: 'queue.assist-started', callId: 'c1', queue: 'sales', agentId: 'a1', flow: 'payment', by: 'agent:a1' }),
      expect.objectContaining({ type: 'queue.assist-ended', callId: 'c1', flow: 'payment', assistS: 25 }),
    ]);
    // The agent can hold the call again once the caller is back.
    await t.acd.hold('c1', admin, 'k');
  });

  it('only a flow the queue lists (422 naming the field); the call untouched', async () => {
    const t = await connectedCall();
    await expect(t.acd.startAssist('c1', 'survey', admin, 'k')).rejects.toMatchObject({ status: 422, field: 'flow', message: 'flow "survey" is not an assist flow of queue "sales" (it has payment)' });
    await expect(t.acd.startAssist('nope', 'payment', admin, 'k')).rejects.toMatchObject({ status: 404 });
    expect(t.tel.take()).toEqual([]);
    expect(t.started).toEqual([]);
  });

  it('a call flow that cannot start the flow (the call gone, the flow reloaded away): 409, the caller back at once', async () => {
    const t = setup([queue('sales', { assistFlows: ['payment'] })], [agent('a1', { sales: 5 })], { startAssist: async () => false });
    await t.online('a1');
    await t.call('c1', 'sales');
    await t.acd.legAnswered('c1-leg-1');
    t.tel.take();
    await expect(t.acd.startAssist('c1', 'payment', admin, 'k')).rejects.toMatchObject({ status: 409 });
    expect(t.tel.take()).toEqual(['unbridge c1-bridge c1', 'bridge c1-bridge c1']);
    expect((await t.store.getEntry('c1'))!.d.assist).toBeUndefined();
  });

  it('a callback (its customer runs no flow) is refused', async () => {
    const t = await connectedCall();
    const e = (await t.store.getEntry('c1'))!;
    await t.store.commit({ expect: [{ key: 'entry:c1', v: e.v }], put: [{ key: 'entry:c1', doc: { ...e.d, callback: { id: 'x', number: '1', attempt: 1, customerUp: true } }, v: e.v + 1 }] });
    await expect(t.acd.startAssist('c1', 'payment', admin, 'k')).rejects.toMatchObject({ status: 409 });
  });

  it('Asterisk failing to take the caller out: 503, the call goes on as before', async () => {
    const t = await connectedCall();
    t.tel.removeFromBridge = async () => {
      throw new Error('ARI timed out');
    };
    await expect(t.acd.startAssist('c1', 'payment', admin, 'k')).rejects.toMatchObject({ status: 503 });
    expect((await t.store.getEntry('c1'))!.d.assist).toBeUndefined();
    expect(t.started).toEqual([]);
  });

  it('the caller coming back but the bridge failing: on hold with music, for the agent to resume', async () => {
    const t = await connectedCall();
    await t.acd.startAssist('c1', 'payment', admin, 'k');
    const bridge = t.tel.bridge.bind(t.tel);
    t.tel.bridge = async () => {
      throw new Error('no bridge');
    };
    await t.acd.assistDone('c1');
    expect((await t.store.getEntry('c1'))!.d.heldAt).toBe(t.now());
    t.tel.bridge = bridge;
    await t.acd.resume('c1', admin, 'k');
    expect(t.tel.bridged.get('c1-bridge')).toEqual(['c1-leg-1', 'c1']);
  });

  it('the agent hanging up while the caller is in the flow ends the call: no survey', async () => {
    const surveys: string[] = [];
    const t = setup([queue('sales', { assistFlows: ['payment'], survey: 'csat' })], [agent('a1', { sales: 5 })], { startAssist: async () => true, afterCall: async (c) => void surveys.push(c.flow) });
    await t.online('a1');
    await t.call('c1', 'sales');
    await t.acd.legAnswered('c1-leg-1');
    await t.acd.startAssist('c1', 'payment', admin, 'k');
    t.tel.take();
    await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 16 });
    expect(surveys).toEqual([]);
    expect(t.tel.take()).toContain('hangup c1');
  });
});
