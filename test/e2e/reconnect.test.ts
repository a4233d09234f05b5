// The service survives losing Asterisk: a dropped WebSocket and an Asterisk restart both end
// with the service ready again on its own, and a call in progress carries on after a drop.
import path from 'node:path';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, stack, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
let t: TestService;

afterEach(async () => {
  await t?.stop();
  // Whatever a test did to Asterisk, leave it running for the next one.
  if ((await stack('status', 'test')).code !== 0) expect((await stack('start-asterisk', 'test')).code).toBe(0);
});

async function greetingCallWorks(caller: string): Promise<void> {
  const res = await placeCall(target, '5000', callerScenario({ callerNumber: caller, byeTimeoutMs: 30_000 }), { rtpPort: 9 });
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
}

test('a dropped ARI WebSocket reconnects by itself and a call in progress carries on', async () => {
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'long-greeting') });
  await waitReady(t);
  const call = placeCall(target, '5000', callerScenario({ callerNumber: '15550201', byeTimeoutMs: 40_000 }), { rtpPort: 9 });
  await waitFor('the call to be answered', async () => (await t.journal()).some((r) => r.type === 'call.answered'), 10_000);
  t.service.dropAriConnection();
  await waitFor('a second ARI connection', () => t.service.ariConnections >= 2, 10_000);
  await waitReady(t);
  // The greeting keeps playing and the call ends as the flow says, with the BYE from Switchboard.
  const res = await call;
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  const journal = await waitFor('the call to end', async () => {
    const j = await t.journal();
    return j.some((r) => r.type === 'call.ended') ? j : undefined;
  });
  expect(journal.filter((r) => r.type === 'call.ended').map((r) => r.reason)).toEqual(['flow-complete']);
  expect(t.logs.some((l) => l.msg === 'reconciled with Asterisk' && l.resumed === 1)).toBe(true);
});

test('Asterisk stopped and started again: not ready meanwhile, then ready and taking calls on its own', async () => {
  t = await startTestService();
  await waitReady(t);
  expect((await stack('stop-asterisk', 'test')).code).toBe(0);
  await waitFor('not ready', () => !t.service.readiness().ready, 10_000);
  expect(t.service.readiness().checks.ari).toMatchObject({ ok: false, detail: expect.stringMatching(/unreachable at http:\/\/127\.0\.0\.1:\d+/) });
  // One clear line for the outage, not one per retry.
  await waitFor('a few retries', () => t.logs.filter((l) => /cannot reach Asterisk ARI/.test(String(l.msg))).length === 1 && t.service.ariConnections === 1, 5_000);
  expect((await stack('start-asterisk', 'test')).code).toBe(0);
  await waitReady(t, 30_000);
  expect(t.logs.some((l) => l.msg === 'Asterisk restarted while we were away: its calls are gone')).toBe(true);
  await greetingCallWorks('15550202');
});
