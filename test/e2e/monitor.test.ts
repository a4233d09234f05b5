// Supervisors monitor a live call from their own phone, with real phones and real audio: each of
// caller, agent and supervisor has an ear that speaks its own tone (caller 1 kHz, agent 500 Hz,
// supervisor 250 Hz), so who hears whom is measured on the RTP each one receives. Listen hears
// both sides and is heard by nobody; whisper is heard by the agent only; barge by both; ending the
// session, or the supervisor hanging up, leaves the call as it was.
import path from 'node:path';
import { asteriskRtpFor, ok } from '../support/acd-e2e';
import { AgentPhone } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { apiAs, startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const ADMIN = 'mon-admin-token-00001';
const AGENT1 = 'mon-agent1-token-0001';
const FLOOR = 'cc-floor-supervisor-tok1'; // supervises agent1 (test/fixtures/call-control/api-keys.yaml)
const [CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ] = [1000, 500, 250];

let t: TestService;
const phones: AgentPhone[] = [];
const ears: RtpSink[] = [];
beforeAll(async () => {
  await clearAsterisk();
  await AgentPhone.clearRegistrations({ agent: 'supervisor1', password: 'demo-supervisor1', target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'call-control'), SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT1}:agent1` });
  await waitReady(t);
});
afterAll(async () => {
  for (const p of phones) await p.stop();
  for (const e of ears) await e.close();
  await t?.stop();
});

const api = (method: string, route: string, token: string, body?: unknown) => apiAs(t, method, route, token, body);

/** An ear that speaks silence until told otherwise. */
async function ear(): Promise<RtpSink> {
  const e = await RtpSink.open();
  e.speak(() => asteriskRtpFor(e.port), 'silence');
  ears.push(e);
  return e;
}

/** Waits until `e` has heard `n` packets of the tone `hz` since `from`. */
const hears = (who: string, e: RtpSink, hz: number, from: number, n = 25) => waitFor(`${who} hears ${hz} Hz`, () => e.tonePacketsBetweenTimes(from, Date.now(), hz) >= n, 10_000);
const journal = async (callId: string, type: string) => (await t.journal()).filter((e) => e.callId === callId && e.type === type);

test('listen, whisper and barge from the supervisor\'s phone; the session ends without touching the call', async () => {
  const [callerEar, agentEar, supEar] = [await ear(), await ear(), await ear()];
  phones.push(await AgentPhone.start({ agent: 'agent1', password: 'demo-agent1', target, behaviour: { kind: 'answer', afterMs: 100 }, rtpPort: agentEar.port }));
  await waitFor('agent1 available', async () => ((await api('GET', '/agents', ADMIN)).body.agents as Array<{ id: string; status: string }>).some((a) => a.id === 'agent1' && a.status === 'available'));
  const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550401', hangupAfterMs: 35_000 }), { rtpPort: callerEar.port, timeoutS: 90 });
  const callId = await waitFor('the call connected', async () => (await t.journal()).find((e) => e.type === 'queue.connected')?.callId);
  const monitor = (token: string, body: unknown) => api('POST', `/calls/${encodeURIComponent(callId)}/monitor`, token, body);

  // Refusals before anything rings: an agent key, an unknown phone, a phone not registered, a call that is no call.
  expect((await monitor(AGENT1, { mode: 'listen', supervisor: 'supervisor1' })).status).toBe(403);
  expect((await monitor(ADMIN, { mode: 'listen', supervisor: 'nobody' })).status).toBe(422);
  expect((await monitor(ADMIN, { mode: 'listen', supervisor: 'supervisor1' })).status).toBe(409); // not registered yet
  expect((await api('POST', '/calls/no-such-call/monitor', ADMIN, { mode: 'listen', supervisor: 'supervisor1' })).status).toBe(404);
  expect((await monitor(ADMIN, { mode: 'spy', supervisor: 'supervisor1' })).status).toBe(400);

  const supervisor = await AgentPhone.start({ agent: 'supervisor1', password: 'demo-supervisor1', target, behaviour: { kind: 'answer', afterMs: 200 }, rtpPort: supEar.port });
  phones.push(supervisor);
  const started = await waitFor('the session created', async () => {
    const r = await monitor(FLOOR, { mode: 'listen', supervisor: 'supervisor1' });
    return r.status === 201 ? r : undefined; // 409 until the phone's registration reaches Asterisk
  });
  const session = (started.body.monitor as { id: string; state: string }).id;
  expect(started.body.monitor).toMatchObject({ callId, agent: 'agent1', supervisor: 'supervisor1', mode: 'listen', state: 'ringing' });
  expect((await monitor(ADMIN, { mode: 'barge', supervisor: 'supervisor1' })).status).toBe(409); // that phone is in a session
  await waitFor('the session started', async () => (await journal(callId, 'monitor.started')).length === 1);

  // Listen: the supervisor hears the caller, then the agent; nobody hears the supervisor.
  let from = Date.now();
  callerEar.say(CALLER_HZ);
  await hears('the supervisor', supEar, CALLER_HZ, from);
  callerEar.say('silence');
  from = Date.now();
  agentEar.say(AGENT_HZ);
  await hears('the supervisor', supEar, AGENT_HZ, from);
  await hears('the caller', callerEar, AGENT_HZ, from); // the call itself goes on
  agentEar.say('silence');
  from = Date.now();
  supEar.say(SUPERVISOR_HZ);
  callerEar.say(CALLER_HZ);
  await hears('the agent', agentEar, CALLER_HZ, from, 50); // clean: no supervisor mixed in
  expect(callerEar.tonePacketsBetweenTimes(from, Date.now(), SUPERVISOR_HZ)).toBe(0);
  callerEar.say('silence');

  // Whisper: the agent hears the supervisor; the caller does not.
  const whisper = await api('PATCH', `/monitors/${encodeURIComponent(session)}`, FLOOR, { mode: 'whisper' });
  expect([whisper.status, (whisper.body.monitor as { mode: string }).mode]).toEqual([200, 'whisper']);
  from = Date.now();
  await hears('the agent', agentEar, SUPERVISOR_HZ, from);
  agentEar.say(AGENT_HZ); // the agent answers the coach: the caller hears the agent, still not the supervisor
  const answered = Date.now();
  await hears('the caller', callerEar, AGENT_HZ, answered, 50);
  expect(callerEar.tonePacketsBetweenTimes(from, Date.now(), SUPERVISOR_HZ)).toBe(0);
  agentEar.say('silence');

  // Barge: both hear the supervisor.
  expect((await api('PATCH', `/monitors/${encodeURIComponent(session)}`, ADMIN, { mode: 'barge' })).status).toBe(200);
  from = Date.now();
  await hears('the caller', callerEar, SUPERVISOR_HZ, from);
  await hears('the agent', agentEar, SUPERVISOR_HZ, from);
  supEar.say('silence');

  // The supervisor leaves: the call goes on between caller and agent.
  const listed = await api('GET', '/monitors', FLOOR);
  expect(listed.body.monitors).toEqual([expect.objectContaining({ id: session, mode: 'barge', state: 'active' })]);
  const ended = await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/monitors/${encodeURIComponent(session)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${FLOOR}` } });
  expect(ended.status).toBe(204);
  await waitFor('the session ended', async () => (await journal(callId, 'monitor.ended')).length === 1);
  from = Date.now();
  callerEar.say(CALLER_HZ);
  await hears('the agent', agentEar, CALLER_HZ, from, 50);
  expect((await api('GET', '/monitors', ADMIN)).body.monitors).toEqual([]);
  expect((await api('PATCH', `/monitors/${encodeURIComponent(session)}`, ADMIN, { mode: 'listen' })).status).toBe(404);

  const events = (await t.journal()).filter((e) => e.callId === callId && e.type.startsWith('monitor.'));
  expect(events).toEqual([
    expect.objectContaining({ type: 'monitor.started', sessionId: session, agentId: 'agent1', supervisor: 'supervisor1', mode: 'listen', by: 'floor-supervisor' }),
    expect.objectContaining({ type: 'monitor.mode-changed', from: 'listen', to: 'whisper', by: 'floor-supervisor' }),
    expect.objectContaining({ type: 'monitor.mode-changed', from: 'whisper', to: 'barge', by: 'env-1' }),
    expect.objectContaining({ type: 'monitor.ended', reason: 'stopped', answered: true }),
  ]);
  expect(Number(events[3]!.durationS)).toBeGreaterThanOrEqual(1);
  expect(await journal(callId, 'queue.completed')).toEqual([]);

  // A supervisor who hangs up ends the session and nothing else.
  await supervisor.stop();
  const hangsUp = await AgentPhone.start({ agent: 'supervisor1', password: 'demo-supervisor1', target, behaviour: { kind: 'answer', afterMs: 200, hangupAfterMs: 1500 }, rtpPort: supEar.port });
  phones.push(hangsUp);
  const second = await waitFor('a second session', async () => ((r) => (r.status === 201 ? (r.body.monitor as { id: string }).id : undefined))(await monitor(ADMIN, { mode: 'listen', supervisor: 'supervisor1' })));
  await waitFor('the supervisor hung up', async () => (await journal(callId, 'monitor.ended')).some((e) => e.sessionId === second && e.reason === 'supervisor-hung-up'));
  from = Date.now();
  await hears('the agent', agentEar, CALLER_HZ, from, 50);

  // The call ending ends the session still on it (and hangs up the supervisor's phone).
  await hangsUp.stop();
  phones.push(await AgentPhone.start({ agent: 'supervisor1', password: 'demo-supervisor1', target, behaviour: { kind: 'answer', afterMs: 200 }, rtpPort: supEar.port }));
  const third = await waitFor('a third session', async () => ((r) => (r.status === 201 ? (r.body.monitor as { id: string }).id : undefined))(await monitor(ADMIN, { mode: 'listen', supervisor: 'supervisor1' })));
  await waitFor('the third session started', async () => (await journal(callId, 'monitor.started')).some((e) => e.sessionId === third));
  ok(await caller);
  await waitFor('the session ended with the call', async () => (await journal(callId, 'monitor.ended')).some((e) => e.sessionId === third && e.reason === 'call-ended'));
  expect(await journal(callId, 'queue.completed')).toHaveLength(1);
  await expectNothingLeftBehind(t.redis, t.prefix);
}, 120_000);
