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

describe('remote agents', () => {
  const remote = { trunk: 'carrier', numberPattern: '1555[0-9]{4}' };
  const rig = () => setup([queue('sales')], [{ ...agent('a1', { sales: 5 }), remote }, agent('a2', { sales: 5 })]);

  it('log in at an allowed number, are rung there through the trunk, and the SIP phone does not count meanwhile', async () => {
    const t = rig();
    const s = await t.acd.agentCommand('a1', 'login', undefined, 'agent:a1', '15550777');
    expect(s).toMatchObject({ status: 'available', reachable: true, remote: '15550777' });
    await t.acd.setReachable('a1', false); // the desk phone unregisters: still logged in, still reachable
    expect(await t.state('a1')).toMatchObject({ status: 'available', reachable: true });
    await t.call('c1', 'sales');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/15550777@carrier c1-leg-1']);
  });

  it('refused: an agent without remote settings, a number outside the pattern, a dial string', async () => {
    const t = rig();
    await expect(t.acd.agentCommand('a2', 'login', undefined, 'k', '15550777')).rejects.toThrow('may not log in at an external number');
    await expect(t.acd.agentCommand('a1', 'login', undefined, 'k', '34910000000')).rejects.toThrow('is not one agent "a1" may log in at');
    await expect(t.acd.agentCommand('a1', 'login', undefined, 'k', '1555077@evil')).rejects.toThrow('is not one agent "a1" may log in at');
    expect(await t.state('a1')).toBeUndefined();
  });

  it('logging out ends the remote day: the SIP phone is asked about again', async () => {
    const t = rig();
    t.tel.endpoints.set('PJSIP/a1', { online: true, busy: false });
    await t.acd.agentCommand('a1', 'login', undefined, 'k', '15550777');
    await t.acd.agentCommand('a1', 'logout', 'end-of-shift', 'k');
    const s = await t.state('a1');
    expect(s).toMatchObject({ status: 'logged-out', reachable: true });
    expect(s).not.toHaveProperty('remote');
  });
});

describe("an agent's own call", () => {
  it('makes the agent busy for the ACD (no offer) until it ends; then the waiting call is offered', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await t.online('a1');
    await t.acd.agentOutbound('a1', 'out-1', true, 'agent:a1');
    expect(await t.state('a1')).toMatchObject({ status: 'on-call', callId: 'out-1' });
    t.tel.take();
    await t.call('c1', 'sales');
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual([]);
    await t.advance(40_000);
    await t.acd.agentOutbound('a1', 'out-1', false);
    expect(t.tel.take().filter((l) => l.startsWith('originate'))).toEqual(['originate PJSIP/a1 c1-leg-1']);
    expect(t.published.filter((e) => e.type === 'agent.state-changed').map((e) => ('to' in e ? e.to : ''))).toEqual(['available', 'on-call', 'available']);
  });

  it('is refused while logged out or on a call', async () => {
    const t = setup([queue('sales')], [agent('a1', { sales: 5 })]);
    await expect(t.acd.agentOutbound('a1', 'out-1', true)).rejects.toThrow('log in first');
    await t.online('a1');
    await t.acd.agentOutbound('a1', 'out-1', true);
    await expect(t.acd.agentOutbound('a1', 'out-2', true)).rejects.toThrow('finish the call first');
    await t.acd.agentOutbound('a1', 'out-2', false); // not its call: nothing
    expect(await t.state('a1')).toMatchObject({ status: 'on-call', callId: 'out-1' });
  });
});
