// The ARI application must really be ours whenever the service says it is ready.
// Asterisk hangs (SIGSTOP) and comes back (SIGCONT), several times in a row, while a caller talks
// to an agent: while it hangs the service is not ready; once it is ready again it really receives
// the application's events (a new call reaches it), the caller's hang-up sent during a freeze is
// not missed, and no agent is left on a call. Another client taking the application: another
// Switchboard is left alone (not ready, saying why); an unknown one is taken back.
import { agentStatus, ok, queueLogEvents } from '../support/acd-e2e';
import path from 'node:path';
import WebSocket from 'ws';
import { AgentPhone } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ariUrl, ROOT, stack, TEST } from '../support/stack';

jest.setTimeout(150_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
let t: TestService;
const phones: AgentPhone[] = [];

beforeEach(() => clearAsterisk());

afterEach(async () => {
  await stack('thaw-asterisk', 'test'); // never leave Asterisk frozen for the next test
  for (const p of phones) await p.stop();
  await t?.stop();
});

/** The fault schedule: waits until a planned moment (not a synchronisation; the faults are timed). */
const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

test('Asterisk frozen and thawed three times: ready only while really receiving, no missed hang-up, no stuck agent', async () => {
  // Short handshake timeouts pile up connection attempts in the frozen Asterisk's backlog, which
  // it accepts late when thawed: the situation that took the application from the live socket.
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'faults') }, { ari: { connectTimeoutMs: 1000 } });
  await waitReady(t);
  for (const agent of ['agent2']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
  const agent2 = await AgentPhone.start({ agent: 'agent2', password: 'demo-agent2', target, behaviour: { kind: 'answer', afterMs: 100 } });
  phones.push(agent2);
  await waitFor('agent2 available', async () => (await agentStatus(t, 'agent2')) === 'available');

  // The caller hangs up 27 s after the answer: during the second freeze.
  const caller = placeCall(target, '5002', callerScenario({ callerNumber: '15550700', hangupAfterMs: 27_000 }), { rtpPort: 9, timeoutS: 120 });
  await waitFor('agent2 on the call', async () => (await agentStatus(t, 'agent2')) === 'on-call', 10_000);
  const connectedAt = Date.now();

  for (let i = 0; i < 3; i++) {
    await until(connectedAt + 2_000 + i * 12_000);
    expect((await stack('freeze-asterisk', 'test')).code).toBe(0);
    const frozenAt = Date.now();
    await waitFor('not ready while Asterisk hangs', () => !t.service.readiness().ready, 10_000);
    const detectedMs = Date.now() - frozenAt;
    await until(frozenAt + 6_000); // the freeze lasts 6 s
    expect((await stack('thaw-asterisk', 'test')).code).toBe(0);
    const thawedAt = Date.now();
    await waitReady(t, 30_000);
    const readyMs = Date.now() - thawedAt;
    // Ready means receiving: a new call reaches the service, not the dialplan's fallback.
    const number = `1555071${i}`;
    ok(await placeCall(target, '5100', callerScenario({ callerNumber: number, byeTimeoutMs: 15_000 }), { rtpPort: 9, timeoutS: 30 }));
    expect((await t.journal()).some((r) => r.type === 'call.arrived' && r.callerId === number)).toBe(true);
    console.log(`freeze ${i + 1}: not ready after ${detectedMs} ms; ready ${readyMs} ms after the thaw`);
  }

  ok(await caller);
  await waitFor('the call completed', async () => (await queueLogEvents(t)).includes('COMPLETECALLER agent2'), 15_000);
  expect((await queueLogEvents(t)).filter((e) => /CONNECT|COMPLETE/.test(e))).toEqual(['CONNECT agent2', 'COMPLETECALLER agent2']);
  await expectNothingLeftBehind(t.redis, t.prefix);
  expect(await agentStatus(t, 'agent2')).toBe('available');
});

/** A bare ARI client taking the application, as another program would. */
async function takeApplication(): Promise<WebSocket> {
  const ws = new WebSocket(`${ariUrl().replace(/^http/, 'ws')}/ari/events?app=${TEST.ARI_APP}&subscribeAll=false`, {
    headers: { Authorization: `Basic ${Buffer.from(`${TEST.ARI_USER}:${TEST.ARI_PASSWORD}`).toString('base64')}` },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

test('another Switchboard takes the application: not ready and says so, then takes it back once that one is gone', async () => {
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'faults') });
  await waitReady(t);
  const claim = `${t.prefix}:asterisk:${TEST.ARI_APP}:claim`;
  // What another instance does when it connects: record its claim, then open its socket.
  await t.redis.set(claim, 'other-host:4242:abcdef', 'PX', 60_000);
  const other = await takeApplication();
  try {
    await waitFor('not ready', () => !t.service.readiness().ready, 5_000);
    expect(t.service.readiness().checks.ari?.detail).toMatch(/not ours: the application was taken by Switchboard instance other-host:4242:abcdef/);
    expect(t.logs.some((l) => /receives no calls meanwhile/.test(String(l.msg)))).toBe(true);
  } finally {
    other.terminate();
  }
  await t.redis.del(claim); // the other instance is gone: its claim lapses
  await waitReady(t, 15_000);
  ok(await placeCall(target, '5100', callerScenario({ callerNumber: '15550720', byeTimeoutMs: 15_000 }), { rtpPort: 9, timeoutS: 30 }));
  expect((await t.journal()).some((r) => r.type === 'call.arrived' && r.callerId === '15550720')).toBe(true);
});

test('an unknown client takes the application: taken back within seconds', async () => {
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'faults') });
  await waitReady(t);
  const other = await takeApplication();
  try {
    await waitFor('not ready', () => !t.service.readiness().ready, 5_000);
    const lostAt = Date.now();
    await waitReady(t, 10_000);
    console.log(`application taken by an unknown client: ready again after ${Date.now() - lostAt} ms`);
    ok(await placeCall(target, '5100', callerScenario({ callerNumber: '15550721', byeTimeoutMs: 15_000 }), { rtpPort: 9, timeoutS: 30 }));
    expect((await t.journal()).some((r) => r.type === 'call.arrived' && r.callerId === '15550721')).toBe(true);
  } finally {
    other.terminate();
  }
});
