// A supervisor logs an agent out with a reason: the journal records why and who asked.
import { acdHarness as setup, agent, queue } from '../support/acd-harness';

it('logout with a reason: agent.logged-out and agent.state-changed carry it and who asked', async () => {
  const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
  await t.online('a1');
  await t.acd.agentCommand('a1', 'logout', 'end-of-shift', 'sup-key');
  expect(t.published.find((e) => e.type === 'agent.logged-out')).toMatchObject({ agentId: 'a1', reason: 'end-of-shift', by: 'sup-key' });
  expect(t.published.filter((e) => e.type === 'agent.state-changed').at(-1)).toMatchObject({ from: 'available', to: 'logged-out', reason: 'end-of-shift', by: 'sup-key' });
  // A pause's reason stays the pause reason; the login by the phone names nobody.
  await t.acd.agentCommand('a1', 'login');
  await t.acd.agentCommand('a1', 'pause', 'break', 'agent:a1');
  expect(t.published.filter((e) => e.type === 'agent.state-changed').at(-1)).toMatchObject({ to: 'paused', reason: 'break', by: 'agent:a1' });
  expect(t.published.find((e) => e.type === 'agent.logged-in')).not.toHaveProperty('by');
});
