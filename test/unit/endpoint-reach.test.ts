// What an agent's endpoint, as ARI reports it, says of the phone: registered, and busy only with
// calls that are not Switchboard's own agent legs.
import { endpointReach } from '../../src/acd/ari-telephony';

test('online with only our agent legs on it: reachable; with another channel: busy; offline: not online', () => {
  const ep = { technology: 'PJSIP', resource: 'agent1' };
  expect(endpointReach({ ...ep, state: 'online', channel_ids: ['c1-leg-1'] })).toEqual({ online: true, busy: false });
  expect(endpointReach({ ...ep, state: 'online', channel_ids: ['c1-leg-1', '1795993510.42'] })).toEqual({ online: true, busy: true });
  expect(endpointReach({ ...ep, state: 'offline', channel_ids: [] })).toEqual({ online: false, busy: false });
});
