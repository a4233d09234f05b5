// Attended transfers (acd/service/attended.ts): the agent consults a colleague while the caller
// is on hold, then completes or cancels; the colleague not answering, either agent or the caller
// hanging up, all end it cleanly. The ACD on in-memory ports, a fake clock.
import type { Actor } from '../../src/acd/domain/control';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

const admin: Actor = { role: 'admin', seesAgent: () => true };
const a1: Actor = { role: 'agent', agentId: 'a1', seesAgent: (a) => a === 'a1' };

async function consulting() {
  const t = setup([queue('sales')], [agent('a1', { sales: 5 }), agent('a2', { billing: 5 })]);
  await t.online('a1', 'a2');
  await t.call('c1', 'sales');
  await t.acd.legAnswered('c1-leg-1');
  await t.advance(20_000);
  t.tel.take();
  await t.acd.consult('c1', 'a2', a1, 'agent:a1');
  return t;
}
const types = (t: Awaited<ReturnType<typeof consulting>>) => t.published.map((e) => e.type).filter((x) => x.startsWith('queue.') && x !== 'queue.entered' && x !== 'queue.offered');

describe('attended transfer', () => {
  it('consults (caller on hold, colleague rung), then completes: the caller with the colleague, the agent in wrap-up', async () => {
    const t = await consulting();
    expect(t.tel.take()).toEqual(['unbridge c1-bridge c1', 'moh c1 default', 'originate PJSIP/a2 c1-consult-2']);
    expect(await t.state('a2')).toMatchObject({ status: 'reserved', callId: 'c1' });
    await expect(t.acd.hold('c1', admin, 'k')).rejects.toMatchObject({ status: 409 });
    await expect(t.acd.completeTransfer('c1', a1, 'agent:a1')).rejects.toMatchObject({ status: 409 }); // still ringing
    await t.acd.consultAnswered('c1-consult-2');
    expect(t.tel.take()).toEqual(['bridge c1-bridge c1-consult-2']);
    await t.advance(5_000);
    const done = await t.acd.completeTransfer('c1', a1, 'agent:a1');
    expect(done).toMatchObject({ agentId: 'a2', legId: 'c1-consult-2', connectedAt: t.now() });
    expect(t.tel.take()).toEqual(['hangup c1-leg-1', 'moh-stop c1', 'bridge c1-bridge c1']);
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
    expect(await t.state('a2')).toMatchObject({ status: 'on-call', callId: 'c1' });
    expect(t.published.find((e) => e.type === 'queue.transferred')).toMatchObject({ mode: 'attended', to: 'agent', target: 'a2', agentId: 'a1', talkS: 25, onHoldS: 5 });
    expect(t.events().filter((l) => l.includes('TRANSFER') || l.startsWith('CONNECT') || l.startsWith('COMPLETE'))).toEqual(['CONNECT a1 c1', 'ATTENDEDTRANSFER a1 c1']);
    // The colleague's part ends like any call: the caller hangs up.
    await t.advance(30_000);
    await t.acd.callerLeft('c1');
    expect(t.published.filter((e) => e.type === 'queue.completed')).toEqual([expect.objectContaining({ agentId: 'a2', talkS: 30 })]);
    expect(t.tel.take()).toContain('hangup c1-consult-2');
  });

  it('cancelled: the colleague released (no call taken), the caller back with the agent', async () => {
    const t = await consulting();
    await t.acd.consultAnswered('c1-consult-2');
    t.tel.take();
    await t.acd.cancelTransfer('c1', a1, 'agent:a1');
    expect(t.tel.take()).toEqual(['hangup c1-consult-2', 'moh-stop c1', 'bridge c1-bridge c1']);
    expect(await t.state('a2')).toMatchObject({ status: 'available', callsTaken: 0 });
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ agentId: 'a1', legId: 'c1-leg-1' });
    expect((await t.store.getEntry('c1'))?.d).not.toHaveProperty('consult');
    expect(t.published.find((e) => e.type === 'queue.consult-ended')).toMatchObject({ outcome: 'cancelled', target: 'a2' });
  });

  it('the colleague does not answer: the consultation ends by itself, the caller back with the agent', async () => {
    const t = await consulting();
    await t.acd.consultLegEnded('c1-consult-2', { kind: 'destroyed', cause: 19 });
    expect(await t.state('a2')).toMatchObject({ status: 'available' });
    expect((await t.store.getEntry('c1'))?.d).not.toHaveProperty('heldAt');
    expect(t.published.find((e) => e.type === 'queue.consult-ended')).toMatchObject({ outcome: 'not-answered' });
  });

  it('the agent hangs up while talking to the colleague: the transfer completes', async () => {
    const t = await consulting();
    await t.acd.consultAnswered('c1-consult-2');
    await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 16 });
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ agentId: 'a2', state: 'connected' });
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
  });

  it('the caller hangs up during the consultation: the colleague is released too', async () => {
    const t = await consulting();
    await t.acd.consultAnswered('c1-consult-2');
    t.tel.take();
    await t.acd.callerLeft('c1');
    expect(t.tel.take()).toEqual(expect.arrayContaining(['hangup c1-consult-2', 'hangup c1-leg-1']));
    expect(await t.state('a2')).toMatchObject({ status: 'available' });
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
    expect(t.published.find((e) => e.type === 'queue.consult-ended')).toMatchObject({ outcome: 'call-ended' });
  });

  it('refused: a colleague who is not free, an agent key on another call, a second consultation', async () => {
    const t = await consulting();
    await expect(t.acd.consult('c1', 'a2', admin, 'k')).rejects.toMatchObject({ status: 409 });
    await expect(t.acd.completeTransfer('c1', { role: 'agent', agentId: 'a2', seesAgent: () => true }, 'agent:a2')).rejects.toMatchObject({ status: 403 });
    expect(types(t)).toEqual(['queue.connected', 'queue.held', 'queue.consult-started']);
  });
});

describe('attended transfer to a queue', () => {
  async function connected() {
    const t = setup([queue('sales'), queue('billing')], [agent('a1', { sales: 5, billing: 5 }), agent('a2', { billing: 5 }), agent('a3', { billing: 5 }), agent('a4', { sales: 5 })]);
    await t.online('a1');
    await t.call('c1', 'sales');
    await t.acd.legAnswered('c1-leg-1');
    await t.advance(1_000);
    await t.online('a3'); // a3 idle for less time than a2 below
    await t.advance(1_000);
    t.tel.take();
    return t;
  }

  it("consults the agent the queue's strategy picks among its free agents; completed, the call is that queue's", async () => {
    const t = await connected();
    await expect(t.acd.consultQueue('c1', 'billing', a1, 'agent:a1')).resolves.toMatchObject({ consult: { agentId: 'a3', queue: 'billing' } });
    expect(t.tel.take()).toEqual(['unbridge c1-bridge c1', 'moh c1 default', 'originate PJSIP/a3 c1-consult-2']);
    await t.acd.consultAnswered('c1-consult-2');
    const done = await t.acd.completeTransfer('c1', a1, 'agent:a1');
    expect(done).toMatchObject({ queue: 'billing', agentId: 'a3' });
    expect(t.published.find((e) => e.type === 'queue.transferred')).toMatchObject({ queue: 'sales', mode: 'attended', to: 'queue', target: 'billing', agentId: 'a1' });
    expect(t.published.filter((e) => e.type === 'queue.connected').at(-1)).toMatchObject({ queue: 'billing', agentId: 'a3', transferredFrom: 'a1' });
    // The call enters billing (offered there), just before its agent takes it.
    expect(t.published.map((e) => e.type).filter((x) => x.startsWith('queue.')).slice(-3)).toEqual(['queue.consult-ended', 'queue.entered', 'queue.connected']);
    expect(t.published.filter((e) => e.type === 'queue.entered').at(-1)).toMatchObject({ queue: 'billing', from: 'sales' });
    expect(t.events().filter((l) => l.includes('TRANSFER'))).toEqual(['ATTENDEDTRANSFER a1 c1']);
  });

  it('never picks the agent on the call; nobody free there is a 409 (transfer blind to wait); an unknown queue 422', async () => {
    const t = setup([queue('sales'), queue('billing')], [agent('a1', { sales: 5, billing: 5 }), agent('a2', { billing: 5 })]);
    await t.online('a1');
    await t.call('c1', 'sales');
    await t.acd.legAnswered('c1-leg-1');
    t.tel.take();
    await expect(t.acd.consultQueue('c1', 'billing', a1, 'agent:a1')).rejects.toMatchObject({ status: 409, message: 'no agent of queue "billing" is free to take call "c1": transfer it blind to wait there' });
    await expect(t.acd.consultQueue('c1', 'nowhere', a1, 'agent:a1')).rejects.toMatchObject({ status: 422, field: 'queue' });
    expect(t.tel.take()).toEqual([]);
    expect((await t.store.getEntry('c1'))!.d.consult).toBeUndefined();
  });
});

describe('attended transfer to a destination', () => {
  async function consultingOperator() {
    const handed: string[] = [];
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })], {
      destination: (id) => (id === 'operator' ? { endpoint: 'PJSIP/15550999@carrier', timeoutS: 10 } : undefined),
      handedOff: (callId, legId) => void handed.push(`${callId} ${legId}`),
    });
    await t.online('a1');
    await t.call('c1', 'sales');
    await t.acd.legAnswered('c1-leg-1');
    await t.advance(10_000);
    t.tel.take();
    await t.acd.consultDestination('c1', 'operator', a1, 'agent:a1');
    return { ...t, handed };
  }

  it('rings the destination with the caller on hold; completed, the call leaves the ACD for the call flow', async () => {
    const t = await consultingOperator();
    expect(t.tel.take()).toEqual(['unbridge c1-bridge c1', 'moh c1 default', 'originate PJSIP/15550999@carrier c1-consult-2']);
    await t.acd.consultAnswered('c1-consult-2');
    expect(t.tel.take()).toEqual(['bridge c1-bridge c1-consult-2']);
    await t.advance(4_000);
    const done = await t.acd.completeTransfer('c1', a1, 'agent:a1');
    expect(done).not.toHaveProperty('agentId');
    expect(t.tel.take()).toEqual(['hangup c1-leg-1', 'moh-stop c1', 'bridge c1-bridge c1']);
    expect(await t.store.getEntry('c1')).toBeUndefined();
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
    expect(t.handed).toEqual(['c1 c1-consult-2']);
    expect(t.published.find((e) => e.type === 'queue.transferred')).toMatchObject({ mode: 'attended', to: 'destination', target: 'operator', agentId: 'a1', talkS: 14, onHoldS: 4 });
    expect(t.published.filter((e) => e.type === 'queue.consult-ended')).toEqual([expect.objectContaining({ target: 'operator', outcome: 'completed' })]);
    expect(t.published.some((e) => e.type === 'queue.connected' && e.agentId !== 'a1')).toBe(false);
  });

  it('not answered, or cancelled: the caller is back with the agent', async () => {
    const t = await consultingOperator();
    await t.acd.consultLegEnded('c1-consult-2', { kind: 'destroyed', cause: 19 });
    expect((await t.store.getEntry('c1'))!.d).toMatchObject({ state: 'connected', agentId: 'a1' });
    expect((await t.store.getEntry('c1'))!.d.consult).toBeUndefined();
    expect(t.published.filter((e) => e.type === 'queue.consult-ended')).toEqual([expect.objectContaining({ target: 'operator', outcome: 'not-answered' })]);
    await t.acd.consultDestination('c1', 'operator', a1, 'agent:a1');
    await t.acd.cancelTransfer('c1', a1, 'agent:a1');
    expect(t.tel.take().slice(-3)).toEqual(['hangup c1-consult-3', 'moh-stop c1', 'bridge c1-bridge c1']);
    expect(t.handed).toEqual([]);
  });

  it('an unknown destination is a 422; the caller hanging up during the consultation hangs up the destination', async () => {
    const t = await consultingOperator();
    await expect(t.acd.consultDestination('c1', 'nowhere', a1, 'agent:a1')).rejects.toMatchObject({ status: 422, field: 'destination' });
    t.tel.take();
    await t.acd.callerLeft('c1');
    expect(t.tel.take()).toContain('hangup c1-consult-2');
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
  });
});
