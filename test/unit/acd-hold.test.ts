// Hold and resume of a connected call: who may (domain/control.ts), what Asterisk is told, and
// how hold time is counted (out of talk time, into handle time). The ACD on in-memory ports and
// a fake clock; Asterisk failing a step is the fake telephony's doing.
import { heldMsAt, refuseCallAction, type Actor } from '../../src/acd/domain/control';
import { CallActionRefused } from '../../src/acd/service/acd-service';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

const admin: Actor = { role: 'admin', seesAgent: () => true };
const agentKey = (id: string): Actor => ({ role: 'agent', agentId: id, seesAgent: (a) => a === id });
const supervisorOf = (...agents: string[]): Actor => ({ role: 'supervisor', seesAgent: (a) => agents.includes(a) });

describe('who may act on a connected call', () => {
  const connected = { state: 'connected' as const, agentId: 'a1' };
  it.each([
    ['no such call', undefined, admin, 'hold', 404],
    ['a call nobody answered yet', { state: 'waiting' as const }, admin, 'hold', 404],
    ["a supervisor outside the agent's teams", connected, supervisorOf('a2'), 'hold', 403],
    ["an agent key on another agent's call", connected, agentKey('a2'), 'hold', 403],
    ['a call still ringing its agent', { state: 'offered' as const, agentId: 'a1' }, admin, 'hold', 409],
    ["a callback whose customer is not reached yet", { ...connected, callbackPending: true }, admin, 'hold', 409],
    ['hold twice', { ...connected, heldAt: 5 }, admin, 'hold', 409],
    ['resume a call not on hold', connected, admin, 'resume', 409],
  ] as const)('%s: %s', (_what, call, actor, action, status) => {
    expect(refuseCallAction('c1', action, call, actor)?.status).toBe(status);
  });
  it.each([
    ['its agent', agentKey('a1'), 'hold'],
    ["a supervisor of the agent's team", supervisorOf('a1'), 'hold'],
    ['an admin', admin, 'transfer'],
  ] as const)('%s may (%s)', (_what, actor, action) => {
    expect(refuseCallAction('c1', action, connected, actor)).toBeUndefined();
  });
  it('time on hold adds earlier holds and the open one', () => {
    expect(heldMsAt({}, 100)).toBe(0);
    expect(heldMsAt({ heldMs: 3000 }, 100)).toBe(3000);
    expect(heldMsAt({ heldMs: 3000, heldAt: 10_000 }, 12_500)).toBe(5500);
  });
});

async function connectedCall() {
  const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
  await t.online('a1');
  await t.call('c1', 'sales');
  await t.acd.legAnswered('c1-leg-1');
  t.tel.take();
  return t;
}

describe('hold and resume', () => {
  it('the caller leaves the bridge for music and comes back; the hold is journaled and counted apart from talk', async () => {
    const t = await connectedCall();
    await t.advance(10_000);
    expect(await t.acd.hold('c1', agentKey('a1'), 'agent:a1')).toMatchObject({ heldAt: t.now() });
    expect(t.tel.take()).toEqual(['unbridge c1-bridge c1', 'moh c1 default']);
    expect(t.tel.bridged.get('c1-bridge')).toEqual(['c1-leg-1']);
    await expect(t.acd.hold('c1', admin, 'admin-key')).rejects.toThrow('call "c1" is on hold already');
    await t.advance(20_000);
    await t.acd.resume('c1', supervisorOf('a1'), 'sup-key');
    expect(t.tel.take()).toEqual(['moh-stop c1', 'bridge c1-bridge c1']);
    expect(t.tel.bridged.get('c1-bridge')).toEqual(['c1-leg-1', 'c1']);
    await t.advance(5_000);
    await t.acd.hold('c1', admin, 'admin-key'); // a second hold, still open when the caller hangs up
    await t.advance(3_000);
    await t.acd.callerLeft('c1');
    const ev = (type: string) => t.published.filter((e) => e.type === type);
    expect(ev('queue.held').map((e) => ('by' in e ? e.by : ''))).toEqual(['agent:a1', 'admin-key']);
    expect(ev('queue.resumed')).toEqual([expect.objectContaining({ callId: 'c1', agentId: 'a1', by: 'sup-key', heldS: 20 })]);
    expect(ev('queue.completed')).toEqual([expect.objectContaining({ talkS: 38, onHoldS: 23 })]);
  });

  it('a hold Asterisk cannot carry out is taken back (503) and the call goes on', async () => {
    const t = await connectedCall();
    t.tel.bridged.delete('c1-bridge'); // the bridge went away under us
    await expect(t.acd.hold('c1', admin, 'k')).rejects.toMatchObject({ status: 409 });
    t.tel.bridged.set('c1-bridge', ['c1-leg-1', 'c1']);
    const removeFromBridge = t.tel.removeFromBridge.bind(t.tel);
    t.tel.removeFromBridge = async () => {
      throw new Error('ARI timed out');
    };
    const err = await t.acd.hold('c1', admin, 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallActionRefused);
    expect(err).toMatchObject({ status: 503 });
    expect((await t.store.getEntry('c1'))?.d.heldAt).toBeUndefined();
    t.tel.removeFromBridge = removeFromBridge;
    await t.acd.hold('c1', admin, 'k');
    expect(t.published.filter((e) => e.type === 'queue.held')).toHaveLength(1);
  });

  it('the agent hanging up while the caller is on hold ends the call (the caller is hung up)', async () => {
    const t = await connectedCall();
    await t.acd.hold('c1', admin, 'k');
    t.tel.take();
    await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 16 });
    expect(t.tel.take()).toContain('hangup c1');
    expect(await t.state('a1')).toMatchObject({ status: 'wrap-up' });
  });
});
