// Blind transfers of a connected call (acd/service/transfers.ts): to a queue, to an agent, to a
// configured destination. The transferring agent goes to wrap-up with the call counted; the caller
// waits where the transfer sends them, with their priority. The ACD on in-memory ports, a fake clock.
import type { Actor } from '../../src/acd/domain/control';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

const admin: Actor = { role: 'admin', seesAgent: () => true };
const agentKey = (id: string): Actor => ({ role: 'agent', agentId: id, seesAgent: (a) => a === id });

async function connected(afterCall?: (c: { callId: string; flow: string }) => Promise<void>) {
  const t = setup([queue('sales'), queue('billing')], [agent('a1', { sales: 5 }), agent('a2', { billing: 5 }), agent('a3', { sales: 3 })], afterCall ? { afterCall } : {});
  await t.online('a1');
  await t.call('c1', 'sales', 4);
  await t.acd.legAnswered('c1-leg-1');
  await t.advance(30_000);
  t.tel.take();
  return t;
}

describe('blind transfer', () => {
  it('to a queue: the agent leaves for wrap-up, the caller waits there with music and its priority, then its agent is rung', async () => {
    const t = await connected();
    const to = await t.acd.transfer('c1', { kind: 'queue', queue: 'billing', keepPlace: false }, agentKey('a1'), 'agent:a1');
    expect(to).toMatchObject({ queue: 'billing', state: 'waiting', priority: 4, queuedAt: t.now(), enqueuedAt: t.now() });
    expect(to).not.toHaveProperty('agentId');
    expect(t.tel.take()).toEqual(['hangup c1-leg-1', 'destroy c1-bridge', 'moh c1 default']);
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up', callId: 'c1' });
    expect(t.published.filter((e) => e.type === 'queue.transferred')).toEqual([expect.objectContaining({ queue: 'sales', agentId: 'a1', mode: 'blind', to: 'queue', target: 'billing', talkS: 30, by: 'agent:a1' })]);
    expect(t.events().filter((l) => l.includes('c1'))).toEqual(['ENTERQUEUE c1', 'CONNECT a1 c1', 'BLINDTRANSFER a1 c1', 'ENTERQUEUE c1']);
    await t.online('a2');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-2']);
    // The first agent's leg ending now changes nothing.
    await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 16 });
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ state: 'offered', agentId: 'a2' });
  });

  it('to an agent: offered to that agent at once, whatever the queue requires', async () => {
    const t = await connected();
    await t.online('a2'); // billing only
    t.tel.take();
    await t.acd.transfer('c1', { kind: 'agent', agentId: 'a2' }, admin, 'admin-key');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-2']);
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ queue: 'sales', state: 'offered', agentId: 'a2' });
  });

  it('to an agent who does not answer: then anyone eligible in the queue', async () => {
    const t = await connected();
    await t.online('a2', 'a3');
    t.tel.take();
    await t.acd.transfer('c1', { kind: 'agent', agentId: 'a2' }, admin, 'k');
    await t.acd.legEnded('c1-leg-2', { kind: 'destroyed', cause: 19 }); // no answer
    await t.advance(20_000); // past the transfer's window
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-2', 'originate PJSIP/a3 c1-leg-3']);
  });

  it('to an agent who is not available, or unknown: refused, the call untouched', async () => {
    const t = await connected();
    await expect(t.acd.transfer('c1', { kind: 'agent', agentId: 'a2' }, admin, 'k')).rejects.toMatchObject({ status: 409 });
    await expect(t.acd.transfer('c1', { kind: 'agent', agentId: 'zz' }, admin, 'k')).rejects.toMatchObject({ status: 404 });
    await expect(t.acd.transfer('c1', { kind: 'queue', queue: 'billing', keepPlace: true }, agentKey('a3'), 'agent:a3')).rejects.toMatchObject({ status: 403 });
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ state: 'connected', agentId: 'a1' });
    expect(t.tel.take()).toEqual([]);
  });

  it('to a destination: the caller leaves the ACD for the destination flow; the agent to wrap-up', async () => {
    const started: string[] = [];
    const t = await connected(async (c) => void started.push(`${c.callId} ${c.flow}`));
    await t.acd.transfer('c1', { kind: 'destination', destination: 'operator', flow: 'transfer:operator' }, admin, 'k');
    expect(started).toEqual(['c1 transfer:operator']);
    expect(await t.store.getEntry('c1')).toBeUndefined();
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
    expect(t.published.find((e) => e.type === 'queue.transferred')).toMatchObject({ to: 'destination', target: 'operator' });
  });

  it('a call on hold keeps its hold time in the transfer event', async () => {
    const t = await connected();
    await t.acd.hold('c1', admin, 'k');
    await t.advance(10_000);
    await t.acd.transfer('c1', { kind: 'queue', queue: 'billing', keepPlace: true }, admin, 'k');
    expect(t.published.find((e) => e.type === 'queue.transferred')).toMatchObject({ talkS: 40, onHoldS: 10 });
    expect((await t.store.getEntry('c1'))?.d).not.toHaveProperty('heldAt');
  });
});
