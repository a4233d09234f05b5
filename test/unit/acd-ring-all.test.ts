// Ring-all: every eligible free agent is rung at once; the first to answer takes the call, the
// other phones stop ringing and their agents are free again (no strike); a leg that ends early
// leaves the others ringing; the caller leaving, or the ring deadline, ends every leg.
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

function rig() {
  return setup([queue('sales', { strategy: 'ring-all', ringTimeoutS: 10 }), queue('billing')], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 }), agent('a3', { sales: 2 }), agent('a4', { billing: 5 })]);
}
type Rig = ReturnType<typeof rig>;
const originates = (t: Rig) => t.tel.take().filter((l) => l.startsWith('originate'));
const hangups = (t: Rig) => t.tel.take().filter((l) => l.startsWith('hangup'));
const statuses = async (t: Rig, ...ids: string[]) => Promise.all(ids.map(async (id) => `${id} ${(await t.state(id))?.status}`));

async function ringing(): Promise<Rig> {
  const t = rig();
  await t.online('a1');
  await t.advance(1_000);
  await t.online('a2', 'a3', 'a4');
  t.tel.take();
  await t.call('c1', 'sales');
  return t;
}

it('rings every eligible free agent at once, longest idle first, each on its own leg', async () => {
  const t = await ringing();
  expect(originates(t)).toEqual(['originate PJSIP/a1 c1-leg-1', 'originate PJSIP/a2 c1-leg-2', 'originate PJSIP/a3 c1-leg-3']);
  expect(await statuses(t, 'a1', 'a2', 'a3', 'a4')).toEqual(['a1 reserved', 'a2 reserved', 'a3 reserved', 'a4 available']);
  expect(t.published.filter((e) => e.type === 'queue.offered').map((e) => ('agentId' in e ? e.agentId : ''))).toEqual(['a1', 'a2', 'a3']);
  const entry = (await t.store.getEntry('c1'))!.d;
  expect(entry).toMatchObject({ state: 'offered', agentId: 'a1', legId: 'c1-leg-1', offers: 3 });
  expect(entry.ringing?.map((l) => l.agentId)).toEqual(['a1', 'a2', 'a3']);
});

it('the first to answer takes the call; the other phones stop ringing and their agents are free, without a strike', async () => {
  const t = await ringing();
  t.tel.take();
  await t.acd.legAnswered('c1-leg-2');
  expect(hangups(t)).toEqual(['hangup c1-leg-1', 'hangup c1-leg-3']);
  expect(await statuses(t, 'a1', 'a2', 'a3')).toEqual(['a1 available', 'a2 on-call', 'a3 available']);
  expect((await t.state('a1'))?.missed).toBe(0);
  expect((await t.store.getEntry('c1'))!.d).toMatchObject({ state: 'connected', agentId: 'a2', legId: 'c1-leg-2' });
  expect((await t.store.getEntry('c1'))!.d.ringing).toBeUndefined();
  expect(t.published.filter((e) => e.type === 'queue.ring-stopped')).toMatchObject([
    { agentId: 'a1', answeredBy: 'a2' },
    { agentId: 'a3', answeredBy: 'a2' },
  ]);
  // The queue_log has the answer only (app_queue's ringall writes nothing for the stopped phones).
  expect(t.events().filter((l) => /RING|CONNECT/.test(l))).toEqual(['CONNECT a2 c1']);
  // The stopped legs' own endings change nothing.
  await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 26 });
  expect(await statuses(t, 'a1', 'a2')).toEqual(['a1 available', 'a2 on-call']);
});

it('a second answer that comes in late is hung up and changes nothing', async () => {
  const t = await ringing();
  await t.acd.legAnswered('c1-leg-1');
  t.tel.take();
  await t.acd.legAnswered('c1-leg-3');
  expect(hangups(t)).toEqual(['hangup c1-leg-3']);
  expect(await statuses(t, 'a1', 'a3')).toEqual(['a1 on-call', 'a3 available']);
  expect(t.published.filter((e) => e.type === 'queue.connected')).toHaveLength(1);
});

it('one phone declining leaves the others ringing; that agent alone gets the strike', async () => {
  const t = await ringing();
  t.tel.take();
  await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 21 });
  expect(await statuses(t, 'a1', 'a2', 'a3')).toEqual(['a1 available', 'a2 reserved', 'a3 reserved']);
  expect((await t.state('a1'))?.missed).toBe(1);
  const entry = (await t.store.getEntry('c1'))!.d;
  expect(entry).toMatchObject({ state: 'offered', agentId: 'a2', legId: 'c1-leg-2' });
  expect(entry.ringing?.map((l) => l.agentId)).toEqual(['a2', 'a3']);
  expect(t.events().filter((l) => /RING/.test(l))).toEqual(['RINGNOANSWER a1 c1']);
  // The call is not offered again to the agent who declined it while it still rings elsewhere.
  expect(originates(t)).toEqual([]);
  await t.acd.legAnswered('c1-leg-3');
  expect(await statuses(t, 'a2', 'a3')).toEqual(['a2 available', 'a3 on-call']);
});

it('down to one leg the offer is an ordinary one; when that one misses too the call waits again', async () => {
  const t = await ringing();
  await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 17 });
  await t.acd.legEnded('c1-leg-3', { kind: 'destroyed', cause: 17 });
  const entry = (await t.store.getEntry('c1'))!.d;
  expect(entry).toMatchObject({ state: 'offered', agentId: 'a2', legId: 'c1-leg-2' });
  expect(entry.ringing).toBeUndefined();
  t.tel.take();
  await t.acd.legEnded('c1-leg-2', { kind: 'destroyed', cause: 17 });
  expect((await t.store.getEntry('c1'))!.d.state).toBe('waiting');
  expect(await statuses(t, 'a1', 'a2', 'a3')).toEqual(['a1 available', 'a2 available', 'a3 available']);
  // Everyone just missed it: nobody is rung again before a ring timeout.
  expect(originates(t)).toEqual([]);
  await t.advance(10_000);
  await t.acd.sweep(); // what finds calls whose misses have aged
  expect(originates(t)).toEqual(['originate PJSIP/a1 c1-leg-4', 'originate PJSIP/a2 c1-leg-5', 'originate PJSIP/a3 c1-leg-6']);
});

it('the caller hanging up stops every phone and frees every agent (RINGCANCELED for each)', async () => {
  const t = await ringing();
  t.tel.take();
  await t.acd.callerLeft('c1');
  expect(hangups(t)).toEqual(['hangup c1-leg-1', 'hangup c1-leg-2', 'hangup c1-leg-3']);
  expect(await statuses(t, 'a1', 'a2', 'a3')).toEqual(['a1 available', 'a2 available', 'a3 available']);
  expect(t.events().filter((l) => /RING|ABANDON/.test(l))).toEqual(['RINGCANCELED a1 c1', 'RINGCANCELED a2 c1', 'RINGCANCELED a3 c1', 'ABANDON c1']);
});

it('our ring deadline ends every leg still ringing, even after the leading leg missed early', async () => {
  const t = await ringing();
  await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 17 });
  t.tel.take();
  await t.advance(13_000); // Asterisk's own timeouts were lost: the 10 s ring + 3 s deadline
  const log = t.tel.take();
  expect(log.filter((l) => l.startsWith('hangup'))).toEqual(['hangup c1-leg-2', 'hangup c1-leg-3']);
  expect(await statuses(t, 'a2', 'a3')).toEqual(['a2 available', 'a3 available']);
  // a1's miss is a ring timeout old by now: a1 alone is rung again.
  expect(log.filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 c1-leg-4']);
});

it('two calls never ring the same agent; an answer frees the others, and the waiting call rings them all', async () => {
  const t = rig();
  await t.online('a1', 'a2', 'a3');
  await t.call('c1', 'sales');
  await t.call('c2', 'sales');
  expect(originates(t)).toEqual(['originate PJSIP/a1 c1-leg-1', 'originate PJSIP/a2 c1-leg-2', 'originate PJSIP/a3 c1-leg-3']);
  await t.acd.legAnswered('c1-leg-1');
  expect(originates(t)).toEqual(['originate PJSIP/a2 c2-leg-1', 'originate PJSIP/a3 c2-leg-2']);
  expect(await statuses(t, 'a1', 'a2', 'a3')).toEqual(['a1 on-call', 'a2 reserved', 'a3 reserved']);
});

it('a reservation whose lease ran out (its instance died) releases that agent only; the others still ring', async () => {
  const t = await ringing();
  // Another instance rang; the lease of one agent is found expired (its Redis entry lost the race).
  await t.store.commit({ expect: [], zadd: [{ key: 'leases', score: 0, member: 'a3' }] });
  await t.acd.releaseExpiredLeases();
  expect(await statuses(t, 'a1', 'a2', 'a3')).toEqual(['a1 reserved', 'a2 reserved', 'a3 available']);
  expect((await t.store.getEntry('c1'))!.d.ringing?.map((l) => l.agentId)).toEqual(['a1', 'a2']);
});
