// A caller's preferred agent (a queue's preferredAgent): the agent the flow names, or the last one
// who took this number's call, gets the call first for the window, when eligible and free.
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

function rig(lastAgent: string | undefined = 'a2') {
  return setup([queue('sales', { preferredAgent: { windowS: 30, lastAgent: true } })], [agent('a1', { sales: 5 }), agent('a2', { sales: 5 }), agent('a3', { billing: 5 })], { lastAgentOf: async () => lastAgent });
}
const originates = (t: ReturnType<typeof rig>) => t.tel.take().filter((l) => l.startsWith('originate'));

it("the caller's last agent gets the call, though another was idle longer", async () => {
  const t = rig();
  await t.online('a1');
  await t.advance(10_000);
  await t.online('a2');
  t.tel.take();
  await t.call('c1', 'sales');
  expect(originates(t)).toEqual(['originate PJSIP/a2 c1-leg-1']);
  expect(t.published.find((e) => e.type === 'queue.entered')).toMatchObject({ preferredAgent: 'a2' });
});

it('the agent the flow names comes before the last agent', async () => {
  const t = rig();
  await t.online('a2', 'a1');
  t.tel.take();
  await t.acd.enqueue({ callId: 'c1', channelId: 'c1', callerId: '555', queue: 'sales', priority: 0, attributes: { preferredAgent: 'a1' } });
  expect(originates(t)).toEqual(['originate PJSIP/a1 c1-leg-1']);
});

it('not free or not eligible: no preference, the queue strategy decides', async () => {
  const t = rig('a3'); // a3 does not meet the sales requirement
  await t.online('a1', 'a3');
  t.tel.take();
  await t.call('c1', 'sales');
  expect(originates(t)).toEqual(['originate PJSIP/a1 c1-leg-1']);
  expect(t.published.find((e) => e.type === 'queue.entered')).not.toHaveProperty('preferredAgent');
});

it('the preferred agent missing the call ends the window: the next agent is rung at once', async () => {
  const t = rig();
  await t.online('a1', 'a2');
  t.tel.take();
  await t.call('c1', 'sales');
  await t.acd.legEnded('c1-leg-1', { kind: 'destroyed', cause: 19 });
  expect(originates(t)).toEqual(['originate PJSIP/a2 c1-leg-1', 'originate PJSIP/a1 c1-leg-2']);
});
