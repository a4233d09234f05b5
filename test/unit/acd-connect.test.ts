// The agent answers: the ACD connects caller and agent even when an announcement is playing or
// an ARI request fails or hangs, and never ends a call whose caller and agent are both there.
import { acdHarness, agent, queue } from '../support/acd-harness';

const announcing = queue('sales', { announcements: { position: true, estimatedWait: false, positionOnlyWhenImproved: false, firstAfterS: 10, everyS: 30 } });

async function ringing(pauses: number[] = []) {
  const t = acdHarness([announcing], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 })], { pause: async (ms) => void pauses.push(ms) });
  await t.online('a1');
  await t.acd.agentCommand('a1', 'pause', 'break');
  await t.call('c1', 'sales');
  await t.advance(10_000); // the first announcement plays
  await t.acd.agentCommand('a1', 'ready'); // offered while it plays
  t.tel.take();
  return t;
}

describe('connecting caller and agent', () => {
  it('the announcement playing on the caller gives way before the bridge', async () => {
    const t = await ringing();
    await t.acd.legAnswered('c1-leg-1');
    expect(t.tel.take()).toEqual(['moh-stop c1', 'stop c1-ann-1', 'bridge c1-bridge c1,c1-leg-1']);
    expect(t.events().slice(-1)).toEqual(['CONNECT a1 c1']);
  });

  it('a bridge request that fails is checked and retried while both sides are there', async () => {
    const pauses: number[] = [];
    const t = await ringing(pauses);
    t.tel.channels.add('c1-leg-1');
    t.tel.failBridges = 2;
    await t.acd.legAnswered('c1-leg-1');
    expect(t.tel.take().filter((l) => l.startsWith('bridge'))).toHaveLength(3);
    expect(pauses).toEqual([250, 500]);
    expect((await t.state('a1'))?.status).toBe('on-call');
    expect(t.events().slice(-1)).toEqual(['CONNECT a1 c1']);
  });

  it('a request that timed out but went through counts as bridged', async () => {
    const t = await ringing();
    t.tel.channels.add('c1-leg-1');
    t.tel.failBridges = 1;
    t.tel.bridged.set('c1-bridge', ['c1', 'c1-leg-1']); // Asterisk carried it out after our timeout
    await t.acd.legAnswered('c1-leg-1');
    expect(t.tel.take().filter((l) => l.startsWith('bridge'))).toHaveLength(1);
    expect(t.events().slice(-1)).toEqual(['CONNECT a1 c1']);
  });

  it('when the bridge cannot be made, the caller waits again at their place and the call never counted for the agent', async () => {
    const t = await ringing();
    await t.online('a2');
    await t.acd.agentCommand('a2', 'pause', 'break');
    t.tel.channels.add('c1-leg-1');
    t.tel.failBridges = 3;
    await t.acd.legAnswered('c1-leg-1');
    expect(t.tel.take()).toEqual([
      'moh-stop c1',
      'stop c1-ann-1',
      'bridge c1-bridge c1,c1-leg-1',
      'bridge c1-bridge c1,c1-leg-1',
      'bridge c1-bridge c1,c1-leg-1',
      'hangup c1-leg-1',
      'destroy c1-bridge',
      'moh c1 default',
    ]);
    expect(await t.state('a1')).toMatchObject({ status: 'available', callsTaken: 0 });
    expect((await t.store.getEntry('c1'))?.d).toMatchObject({ state: 'waiting', enqueuedAt: 1_000_000 });
    expect(t.events().filter((e) => /CONNECT|COMPLETE|ABANDON/.test(e))).toEqual([]);
    // Not offered to the same agent again at once; the next free agent gets it.
    await t.acd.agentCommand('a2', 'ready');
    expect(t.tel.take()).toEqual(['originate PJSIP/a2 c1-leg-2']);
  });

  it('a caller who left while the bridge failed abandoned; the agent is free', async () => {
    const t = await ringing();
    t.tel.channels.add('c1-leg-1');
    t.tel.failBridges = 1;
    t.tel.gone.add('c1');
    await t.acd.legAnswered('c1-leg-1');
    // As app_queue writes it: an abandon after the agent answered names the agent.
    expect(t.events().filter((e) => /CONNECT|COMPLETE|ABANDON/.test(e))).toEqual(['ABANDON a1 c1']);
    expect(await t.state('a1')).toMatchObject({ status: 'available', callsTaken: 0 });
    expect(await t.store.getEntry('c1')).toBeUndefined();
  });
});

describe('answers missed while away', () => {
  it('reconcile connects an offer whose agent leg was answered while its event was lost', async () => {
    const t = await ringing();
    t.tel.channels.add('c1-leg-1');
    t.tel.up.add('c1-leg-1');
    await t.acd.reconcile();
    expect((await t.state('a1'))?.status).toBe('on-call');
    expect(t.tel.take()).toContain('bridge c1-bridge c1,c1-leg-1');
    expect(t.events().slice(-1)).toEqual(['CONNECT a1 c1']);
  });

  it('reconcile leaves an offer that still rings alone', async () => {
    const t = await ringing();
    t.tel.channels.add('c1-leg-1');
    await t.acd.reconcile();
    expect((await t.state('a1'))?.status).toBe('reserved');
    expect(t.tel.take().filter((l) => l.startsWith('bridge') || l.startsWith('hangup'))).toEqual([]);
  });
});
