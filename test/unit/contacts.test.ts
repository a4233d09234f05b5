// A caller's contact folded from the events: IVR path, non-sensitive inputs, queue and agent, a
// transfer, the disposition.
import { applyContactEvent, pathText, type ContactEvent, type ContactRecord } from '../../src/contacts/domain/record';

const ev = (e: Record<string, unknown>) => ({ at: 1000, callId: 'c1', ...e }) as unknown as ContactEvent;

it('folds a call: path, inputs (never a sensitive one), queue, agent, transfer, disposition', () => {
  let r: ContactRecord | undefined;
  const events = [
    ev({ type: 'ivr.choice', flow: 'main', step: 'menu', digit: '1' }), // before arrival: no record yet
    ev({ type: 'call.arrived', number: '5000', callerId: '15550100' }),
    ev({ type: 'ivr.choice', flow: 'main', step: 'menu', digit: '3' }),
    ev({ type: 'ivr.collected', flow: 'main', step: 'account', variable: 'account', input: { sensitive: false, value: '123456' } }),
    ev({ type: 'ivr.collected', flow: 'main', step: 'pin', variable: 'pin', input: { sensitive: true, length: 4 } }),
    ev({ type: 'ivr.choice', flow: 'billing', step: 'confirm', digit: '1' }),
    ev({ type: 'queue.entered', queue: 'billing', callerId: '15550100', position: 1, priority: 0 }),
    ev({ type: 'queue.connected', queue: 'billing', agentId: 'a3', legId: 'c1-leg-1', holdS: 4, ringS: 1 }),
    ev({ type: 'queue.transferred', queue: 'billing', agentId: 'a3', mode: 'blind', to: 'queue', target: 'sales', holdS: 4, talkS: 30, origPosition: 1, by: 'agent:a3' }),
    ev({ type: 'queue.connected', queue: 'sales', agentId: 'a1', legId: 'c1-leg-2', holdS: 9, ringS: 1 }),
    ev({ type: 'call.disposition', queue: 'sales', agentId: 'a1', resolved: true, reason: 'sale', by: 'agent:a1' }),
  ];
  for (const e of events) r = applyContactEvent(r, e);
  expect(r).toEqual({
    callId: 'c1',
    callerId: '15550100',
    number: '5000',
    at: 1000,
    path: [
      { flow: 'main', step: 'menu', digit: '3' },
      { flow: 'billing', step: 'confirm', digit: '1' },
    ],
    inputs: { account: '123456' },
    queue: 'sales',
    agentId: 'a1',
    transferredFrom: ['a3'],
    disposition: { resolved: true, reason: 'sale' },
  });
  expect(pathText(r!)).toBe('menu:3 > confirm:1');
});

it("keeps the caller's name when the network sent one", () => {
  expect(applyContactEvent(undefined, ev({ type: 'call.arrived', number: '5000', callerId: '15550100', callerName: 'Ana Ruiz' }))).toMatchObject({ callerId: '15550100', callerName: 'Ana Ruiz' });
  expect(applyContactEvent(undefined, ev({ type: 'call.arrived', number: '5000', callerId: '15550100' }))).not.toHaveProperty('callerName');
});
