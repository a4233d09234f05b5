// An assist flow end to end (a payment IVR in the middle of a call): the agent sends the caller
// to it through the API, the caller keys sensitive digits while the agent waits on the line, and
// the caller comes back into the conversation. The recording of the call has a gap while the
// caller was in the sensitive step. Fixture: test/fixtures/call-control (sales records, payment).
import path from 'node:path';
import { asteriskRtpFor, ok } from '../support/acd-e2e';
import { AgentPhone } from '../support/agent-phone';
import { ariGet, clearAsterisk } from '../support/leftovers';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { apiAs, startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const ADMIN = 'cc-admin-token-000001';
const AGENT1 = 'cc-agent1-token-00001';
const AGENT2 = 'cc-agent2-token-00001';

let t: TestService;
let phone: AgentPhone | undefined;
let ear: RtpSink | undefined;
beforeAll(async () => {
  await clearAsterisk();
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'call-control'), SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT1}:agent1,agent:${AGENT2}:agent2` });
  await waitReady(t);
});
afterAll(async () => {
  await phone?.stop();
  await ear?.close();
  await t?.stop();
});

const api = (method: string, route: string, token: string, body?: unknown) => apiAs(t, method, route, token, body);
const of = (callId: string) => async (type: string) => (await t.journal()).filter((e) => e.callId === callId && e.type === type);

test('the caller keys a card in the payment flow and comes back to the agent; the recording leaves the sensitive step out', async () => {
  // The agent's phone sends audio all the time, as desk phones and softphones do (Asterisk ends a
  // bridge recording that gets no audio frame for 4 s, and the caller is away meanwhile).
  ear = await RtpSink.open();
  ear.speak(() => asteriskRtpFor(ear!.port), 500);
  phone = await AgentPhone.start({ agent: 'agent1', password: 'demo-agent1', target, behaviour: { kind: 'answer', afterMs: 100 }, rtpPort: ear.port });
  await waitFor('agent1 available', async () => ((await api('GET', '/agents', ADMIN)).body.agents as Array<{ id: string; status: string }>).find((a) => a.id === 'agent1')?.status === 'available');
  // The caller talks, keys four digits 5 s after the answer (by then in the payment flow), talks on.
  const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550501', script: [{ pauseMs: 5000 }, { keys: '4321' }], hangupAfterMs: 4000, byeTimeoutMs: 30_000 }), { rtpPort: 9, timeoutS: 40 });
  const callId = await waitFor('the call connected', async () => {
    const journal = await t.journal();
    const id = journal.find((e) => e.type === 'call.arrived' && e.callerId === '15550501')?.callId;
    return id !== undefined && journal.some((e) => e.type === 'queue.connected' && e.callId === id) ? id : undefined;
  });
  const ev = of(callId);
  await waitFor('the caller in the bridge', async () => (await ariGet<{ channels: string[] }>(`/bridges/${encodeURIComponent(`${callId}-bridge`)}`)).channels.includes(callId));

  // Refused, the call untouched: another agent's key, a flow the queue does not list.
  const assist = (token: string, flow: string) => api('POST', `/calls/${encodeURIComponent(callId)}/assist`, token, { flow });
  expect((await assist(AGENT2, 'payment')).status).toBe(403);
  const notListed = await assist(AGENT1, 'survey');
  expect([notListed.status, (notListed.body.invalid as Array<{ name: string }>)[0]?.name]).toEqual([422, 'flow']);

  const sent = await assist(AGENT1, 'payment');
  expect([sent.status, sent.body.call]).toEqual([200, { id: callId, queue: 'sales', agent: 'agent1', onHold: false, heldSeconds: 0, assistFlow: 'payment' }]);
  expect((await api('POST', `/calls/${encodeURIComponent(callId)}/hold`, AGENT1)).status).toBe(409); // the caller is in the flow
  const listed = ((await api('GET', '/calls', ADMIN)).body.calls as Array<{ id: string; assistFlow?: string }>).find((c) => c.id === callId);
  expect(listed).toMatchObject({ assistFlow: 'payment' });
  expect((await ariGet<{ channels: string[] }>(`/bridges/${encodeURIComponent(`${callId}-bridge`)}`)).channels).not.toContain(callId);

  // The caller keys the card and is back in the bridge with the agent.
  await waitFor('the caller back with the agent', async () => (await ev('queue.assist-ended')).length === 1, 15_000);
  expect((await ariGet<{ channels: string[] }>(`/bridges/${encodeURIComponent(`${callId}-bridge`)}`)).channels).toContain(callId);
  // The agent sees what the flow left (whether the card was valid, its last digits), never the digits.
  const pop = await api('GET', `/calls/${encodeURIComponent(callId)}`, AGENT1);
  expect(pop.body.variables).toMatchObject({ card_valid: 'yes', card_last4: '4321' });
  expect(JSON.stringify(await t.journal())).not.toContain('"4321"');
  ok(await caller);

  await waitFor('the call completed', async () => (await ev('queue.completed')).length === 1);
  const step = (await ev('ivr.step')).find((e) => e.flow === 'payment' && e.step === 'card');
  expect(step).toMatchObject({ kind: 'collect', sensitive: true });
  expect((await ev('queue.assist-started'))[0]).toMatchObject({ flow: 'payment', agentId: 'agent1', by: 'agent:agent1' });

  // The recording: paused for the sensitive step, so its length is the talk time less that step.
  type Rec = { id: string; state: string; durationSeconds?: number; pauses: number };
  const rec = await waitFor('the recording finished', async () => ((await api('GET', `/recordings?callId=${encodeURIComponent(callId)}`, ADMIN)).body.recordings as Rec[]).find((r) => r.state === 'done'));
  const [paused] = await ev('recording.paused');
  const [resumed] = await ev('recording.resumed');
  expect([paused?.why, resumed?.why, rec.pauses]).toEqual(['sensitive', 'sensitive', 1]);
  const gapS = (Number(resumed!.at) - Number(paused!.at)) / 1000;
  expect(gapS).toBeGreaterThan(1);
  const talkS = Number((await ev('queue.completed'))[0]!.talkS);
  process.stderr.write(`assist: talk ${talkS} s, sensitive step ${gapS.toFixed(1)} s, recording ${rec.durationSeconds} s\n`);
  expect(Math.abs(rec.durationSeconds! - (talkS - gapS))).toBeLessThanOrEqual(1.5);
});
