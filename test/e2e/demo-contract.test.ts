// The demo contract (README) with the demo's own routing files: agents are logged in when their
// phones register and logged out when the registration ends; 5001/5002/5003 reach the right
// agents by skill.
import path from 'node:path';
import { AgentPhone } from '../support/agent-phone';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(120_000);
const target = `127.0.0.1:${TEST.SIP_PORT}`;
let t: TestService;
const phones: AgentPhone[] = [];

beforeAll(async () => {
  for (const agent of ['agent1', 'agent2', 'agent3', 'agent4']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'config', 'demo') });
  await waitReady(t);
});
afterAll(async () => {
  for (const p of phones) await p.stop();
  await t?.stop();
});

const status = async (id: string) => ((JSON.parse((await t.redis.get(`${t.prefix}:acd:agent:${id}`)) ?? '{"d":{}}') as { d: { status?: string } }).d.status);

test('registration logs agents in and out; each demo number reaches an agent with the skill', async () => {
  const got: Record<string, AgentPhone> = {};
  for (const agent of ['agent1', 'agent2', 'agent3']) {
    got[agent] = await AgentPhone.start({ agent, password: `demo-${agent}`, target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 500 } });
    phones.push(got[agent]);
    await waitFor(`${agent} logged in by registering`, async () => (await status(agent)) === 'available');
  }
  for (const [number, agent] of [['5001', 'agent1'], ['5002', 'agent2'], ['5003', 'agent3']] as const) {
    const res = await placeCall(target, number, callerScenario({ callerNumber: `1555070${number.at(-1)}`, byeTimeoutMs: 20_000 }), { rtpPort: 9 });
    expect({ number, code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ number, code: 0, out: '' });
    expect({ number, answered: got[agent]!.answered() }).toEqual({ number, answered: 1 });
  }
  await got.agent3!.unregister();
  await waitFor('agent3 logged out by unregistering', async () => (await status('agent3')) === 'logged-out');
});

test('5000: Spanish, then billing with an account number, reaches the Spanish-speaking billing agent', async () => {
  const en = await AgentPhone.start({ agent: 'agent3', password: 'demo-agent3', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 500 } });
  phones.push(en);
  await waitFor('agent3 logged in', async () => (await status('agent3')) === 'available');
  const es = await AgentPhone.start({ agent: 'agent4', password: 'demo-agent4', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 500 } });
  phones.push(es);
  await waitFor('agent4 logged in', async () => (await status('agent4')) === 'available');
  // agent3 has been idle longer, but does not speak Spanish. (Whether the demo's customer list
  // answers the lookup or not, the call goes to billing.)
  const res = await placeCall(target, '5000', callerScenario({ callerNumber: '15550801', script: [{ pauseMs: 500 }, { keys: '9' }, { pauseMs: 500 }, { keys: '3' }, { pauseMs: 500 }, { keys: '123456#' }], byeTimeoutMs: 30_000 }), { rtpPort: 9 });
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  expect([es.answered(), en.invites()]).toEqual([1, 0]);
});

test('5099: the after-hours line takes a voicemail', async () => {
  const res = await placeCall(target, '5099', callerScenario({ callerNumber: '15550802', codec: 'pcma', script: [{ pauseMs: 4000 }, { speech: true }], hangupAfterMs: 200 }), { rtpPort: 9, timeoutS: 60 });
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  await waitFor('the voicemail', async () => (await t.redis.zcard(`${t.prefix}:voicemails`)) === 1, 15_000);
});

test('5000 → 2 support menu: 1 internet reaches an internet agent; 2 tv is never offered to an agent without tv', async () => {
  for (const p of phones.splice(0)) await p.stop();
  const internetOnly = await AgentPhone.start({ agent: 'agent4', password: 'demo-agent4', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 500 } });
  phones.push(internetOnly);
  await waitFor('agent4 logged in', async () => (await status('agent4')) === 'available');
  const internet = await placeCall(target, '5000', callerScenario({ callerNumber: '15550803', script: [{ pauseMs: 500 }, { keys: '2' }, { pauseMs: 500 }, { keys: '1' }], byeTimeoutMs: 30_000 }), { rtpPort: 9 });
  expect({ code: internet.code, out: internet.code === 0 ? '' : internet.output }).toEqual({ code: 0, out: '' });
  expect(internetOnly.answered()).toBe(1);
  await waitFor('agent4 back from wrap-up', async () => (await status('agent4')) === 'available', 15_000);
  const tv = await placeCall(target, '5000', callerScenario({ callerNumber: '15550804', script: [{ pauseMs: 500 }, { keys: '2' }, { pauseMs: 500 }, { keys: '2' }], hangupAfterMs: 4000 }), { rtpPort: 9 });
  expect({ code: tv.code, out: tv.code === 0 ? '' : tv.output }).toEqual({ code: 0, out: '' });
  expect(internetOnly.invites()).toBe(1);
});


// The offer plays at 20 s (cutting short the announcement that began at 15 s) for about 5 s: 1
// during it, then 1 to confirm the number read back.
test('5003 billing: after 20 s with no agent free the callback offer; 1 and 1: the agent first, then the customer on the demo carrier, from 5003', async () => {
  // Nobody can take billing calls: every phone of the earlier tests goes away.
  for (const p of phones.splice(0)) await p.stop();
  await waitFor('every agent logged out', async () => (await Promise.all(['agent3', 'agent4'].map(status))).every((s) => s !== 'available'));
  const caller = placeCall(target, '5003', callerScenario({ callerNumber: '15550710', script: [{ pauseMs: 21_500 }, { keys: '1' }, { pauseMs: 3000 }, { keys: '1' }], byeTimeoutMs: 40_000 }), { rtpPort: 9, timeoutS: 90 });
  const res = await caller;
  expect({ code: res.code, out: res.code === 0 ? '' : res.output }).toEqual({ code: 0, out: '' });
  const journal = await t.journal();
  expect(journal.find((e) => e.type === 'queue.exited')).toMatchObject({ queue: 'billing', reason: 'callback', key: '1' });
  expect(journal.find((e) => e.type === 'callback.requested')).toMatchObject({ queue: 'billing', number: '15550710', origin: 'in-queue' });

  const customer = await AgentPhone.start({ agent: 'customer', password: '-', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 500 }, register: false, port: Number(TEST.CARRIER_PORT) });
  phones.push(customer);
  const agent3 = await AgentPhone.start({ agent: 'agent3', password: 'demo-agent3', target, behaviour: { kind: 'answer', afterMs: 100 } });
  phones.push(agent3);
  await customer.waitForCallEnd(1, 30_000);
  expect([agent3.answered(), customer.answered()]).toEqual([1, 1]);
  // The customer's leg: to the number called back, from the queue's number.
  expect(customer.trace()).toMatch(/INVITE sip:15550710@127\.0\.0\.1:\d+ SIP\/2\.0[\s\S]*From: [^\n]*<sip:5003@/);
});

test("the API: the demo's keys (stored hashed) with their roles, the live views, the OpenAPI document, metrics, and the voicemail left above", async () => {
  const base = `http://127.0.0.1:${t.service.httpPort}`;
  const api = (p: string, token: string, init: RequestInit = {}) => fetch(`${base}${p}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });
  const ADMIN = 'demo-admin-token-0001';
  const SUPER = 'demo-supervisor-token-01';
  // The supervisor supervises every team; only the admin reloads the configuration.
  const agents = (await (await api('/api/v1/agents', SUPER)).json()) as { agents: Array<{ id: string }> };
  expect(agents.agents.map((a) => a.id)).toEqual(['agent1', 'agent2', 'agent3', 'agent4']);
  expect((await api('/api/v1/config/reload', SUPER, { method: 'POST' })).status).toBe(403);
  expect((await api('/api/v1/config/reload', ADMIN, { method: 'POST' })).status).toBe(200);
  const queues = (await (await api('/api/v1/queues', SUPER)).json()) as { queues: Array<{ id: string; serviceLevel: { thresholdSeconds: number; target: number } }> };
  expect(queues.queues.map((q) => [q.id, q.serviceLevel.thresholdSeconds, q.serviceLevel.target])).toEqual([
    ['sales', 20, 0.8],
    ['support', 20, 0.8],
    ['billing', 20, 0.8],
  ]);
  expect((await api('/api/v1/calls', SUPER)).status).toBe(200);
  expect((await api(`/api/v1/stats/queues?date=${new Date().toISOString().slice(0, 10)}`, SUPER)).status).toBe(200);
  // The first release's path still works for a client that follows redirects.
  expect((await api('/api/agents', SUPER)).status).toBe(200);
  expect(Object.keys(((await (await fetch(`${base}/openapi.json`)).json()) as { paths: object }).paths)).toContain('/api/v1/queues');
  const metrics = await api('/metrics', SUPER);
  expect([metrics.status, (await metrics.text()).includes('switchboard_queue_waiting_calls{queue="sales"}')]).toEqual([200, true]);
  // The voicemail of the 5099 test: listed, its audio downloadable, then deleted.
  const list = (await (await api('/api/v1/voicemails', SUPER)).json()) as { voicemails: Array<{ id: string; callerId: string }> };
  const vm = list.voicemails.find((v) => v.callerId === '15550802');
  expect(vm).toBeDefined();
  const audio = await api(`/api/v1/voicemails/${vm!.id}/audio`, SUPER);
  expect([audio.status, audio.headers.get('content-type'), Buffer.from(await audio.arrayBuffer()).subarray(0, 4).toString()]).toEqual([200, 'audio/wav', 'RIFF']);
  expect((await api(`/api/v1/voicemails/${vm!.id}`, SUPER, { method: 'DELETE' })).status).toBe(204);
  expect((await api(`/api/v1/voicemails/${vm!.id}/audio`, SUPER)).status).toBe(404);
});

test("the supervisor's phone (supervisor1, demo-supervisor1) listens to agent1's call with the demo's supervisor token", async () => {
  for (const p of phones.splice(0)) await p.stop();
  await AgentPhone.clearRegistrations({ agent: 'supervisor1', password: 'demo-supervisor1', target });
  const agent1 = await AgentPhone.start({ agent: 'agent1', password: 'demo-agent1', target, behaviour: { kind: 'answer', afterMs: 100 } });
  const supervisor = await AgentPhone.start({ agent: 'supervisor1', password: 'demo-supervisor1', target, behaviour: { kind: 'answer', afterMs: 100 } });
  phones.push(agent1, supervisor);
  await waitFor('agent1 logged in', async () => (await status('agent1')) === 'available');
  const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550805', hangupAfterMs: 8000 }), { rtpPort: 9, timeoutS: 30 });
  const callId = await waitFor('connected', async () => {
    const journal = await t.journal();
    const id = journal.find((e) => e.type === 'call.arrived' && e.callerId === '15550805')?.callId as string | undefined;
    return journal.some((e) => e.type === 'queue.connected' && e.callId === id) ? id : undefined;
  });
  const monitor = () =>
    fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/calls/${encodeURIComponent(callId)}/monitor`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-supervisor-token-01', 'Content-Type': 'application/json' },
      body: JSON.stringify({ mode: 'listen', supervisor: 'supervisor1' }),
    }).then((r) => r.status);
  await waitFor('the session created (once the phone is registered)', async () => (await monitor()) === 201);
  await waitFor('the session started', async () => (await t.journal()).some((e) => e.type === 'monitor.started' && e.callId === callId));
  expect(supervisor.answered()).toBe(1);
  expect((await caller).code).toBe(0);
  await waitFor('the session ended with the call', async () => (await t.journal()).some((e) => e.type === 'monitor.ended' && e.callId === callId && e.reason === 'call-ended'));
});
