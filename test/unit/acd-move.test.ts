// A supervisor moves a waiting call to another queue: its priority goes along, its place among
// equal priorities is kept or not as asked, its wait there starts anew, the journal and the
// queue_log say so, and it is offered there at once. The ACD on in-memory ports, a fake clock.
import { movedEntry } from '../../src/acd/domain/control';
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

const entry = (callId: string, enqueuedAt: number, priority = 0) => ({ callId, queue: 'support', priority, enqueuedAt, queuedAt: enqueuedAt, attributes: {}, joinPosition: 1 });

describe('a waiting call in its new queue', () => {
  const there = [entry('x', 1000), entry('y', 3000), entry('z', 500, 5)];
  it('keeps its place among equal priorities: behind x (earlier), ahead of y (later); z is more urgent', () => {
    const moved = movedEntry({ ...entry('c', 2000), queue: 'sales', lastAnnouncedPosition: 4 }, 'support', 9000, there);
    expect(moved).toEqual({ ...entry('c', 2000), queue: 'support', queuedAt: 9000, joinPosition: 3 });
  });
  it('or joins behind everyone of its priority', () => {
    expect(movedEntry({ ...entry('c', 2000), queue: 'sales' }, 'support', 9000, there, false)).toMatchObject({ enqueuedAt: 9000, queuedAt: 9000, joinPosition: 4 });
  });
});

describe('moving a waiting call', () => {
  function rig() {
    return setup([queue('sales'), queue('support')], [agent('a1', { sales: 5 }), agent('a2', { support: 5 })]);
  }

  it('the call leaves sales for support (exit "moved", entered from sales) and rings its agent there', async () => {
    const t = rig();
    await t.call('c1', 'sales', 3);
    await t.advance(4000);
    const moved = await t.acd.moveWaiting('c1', 'support', true, 'sup-key');
    expect(moved).toMatchObject({ queue: 'support', priority: 3, queuedAt: t.now(), enqueuedAt: t.now() - 4000 });
    expect(t.published.filter((e) => e.type === 'queue.exited' || e.type === 'queue.entered').slice(-2)).toEqual([
      expect.objectContaining({ type: 'queue.exited', queue: 'sales', reason: 'moved', to: 'support', by: 'sup-key', waitS: 4 }),
      expect.objectContaining({ type: 'queue.entered', queue: 'support', from: 'sales', priority: 3 }),
    ]);
    expect(t.events().filter((l) => l.includes('c1'))).toEqual(['ENTERQUEUE c1', 'EXITWITHTIMEOUT c1', 'ENTERQUEUE c1']);
    t.tel.take();
    await t.online('a2');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-1']);
  });

  it('is offered at once when an agent of the new queue is free', async () => {
    const t = rig();
    await t.online('a2');
    await t.call('c1', 'sales');
    t.tel.take();
    await t.acd.moveWaiting('c1', 'support', false, 'k');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a2 c1-leg-1']);
  });

  it('refuses a call that is ringing an agent or gone, and does nothing for its own queue', async () => {
    const t = rig();
    await t.online('a1');
    await t.call('c1', 'sales');
    await expect(t.acd.moveWaiting('c1', 'support', true, 'k')).rejects.toThrow('call "c1" is no longer waiting');
    await expect(t.acd.moveWaiting('nope', 'support', true, 'k')).rejects.toThrow('no call "nope" in a queue');
    await t.call('c2', 'sales');
    const before = t.published.length;
    expect(await t.acd.moveWaiting('c2', 'sales', true, 'k')).toMatchObject({ queue: 'sales' });
    expect(t.published.length).toBe(before);
  });
});

describe('withdrawing a waiting caller to a destination', () => {
  it('leaves the queue (exit withdrawn, with the destination and who) and starts the flow that rings it', async () => {
    const started: string[] = [];
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })], { afterCall: async (c) => void started.push(`${c.callId} ${c.flow}`) });
    await t.call('c1', 'sales');
    t.tel.take();
    await t.acd.withdrawWaiting('c1', 'operator', 'transfer:operator', 'sup-key');
    expect(started).toEqual(['c1 transfer:operator']);
    expect(t.tel.take()).toContain('moh-stop c1');
    expect(await t.store.getEntry('c1')).toBeUndefined();
    expect(t.published.find((e) => e.type === 'queue.exited')).toMatchObject({ reason: 'withdrawn', destination: 'operator', by: 'sup-key' });
    // Its deadlines went with it: nothing fires for it later.
    await t.advance(600_000);
    expect(t.published.filter((e) => 'callId' in e && e.callId === 'c1' && e.type !== 'queue.entered' && e.type !== 'queue.exited')).toEqual([]);
  });

  it('refuses a call ringing an agent', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.online('a1');
    await t.call('c1', 'sales');
    await expect(t.acd.withdrawWaiting('c1', 'operator', 'transfer:operator', 'k')).rejects.toThrow('no longer waiting');
  });
});
