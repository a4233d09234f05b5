// The screen pop with the demo's routing files: a caller who called before, through the IVR
// (5000, 1 for sales), is offered to agent1 with the IVR path and their previous contact, in the
// API (GET /api/v1/calls/{id}) and as SIP headers on the agent's INVITE.
import path from 'node:path';
import { AgentPhone } from '../support/agent-phone';
import { waitFor } from '../support/net';
import { apiAs, startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);
const target = `127.0.0.1:${TEST.SIP_PORT}`;
const ADMIN = 'demo-admin-token-0001'; // the demo's (config/demo/api-keys.yaml)
let t: TestService;
let agent1: AgentPhone;

beforeAll(async () => {
  await AgentPhone.clearRegistrations({ agent: 'agent1', password: 'demo-agent1', target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'config', 'demo') });
  await waitReady(t);
});
afterAll(async () => {
  await agent1?.stop();
  await t?.stop();
});

const api = (method: string, route: string, body?: unknown) => apiAs(t, method, route, ADMIN, body);
const connected = (n: number) => waitFor(`call ${n} connected`, async () => (await t.journal()).filter((e) => e.type === 'queue.connected' && e.agentId === 'agent1').map((e) => String(e.callId))[n - 1]);

test('a second call from the same number pops its IVR path and the first call (queue, agent, disposition)', async () => {
  agent1 = await AgentPhone.start({ agent: 'agent1', password: 'demo-agent1', target, behaviour: { kind: 'answer', afterMs: 100 } });
  await waitFor('agent1 available', async () => ((await api('GET', '/agents')).body.agents as Array<{ id: string; status: string }>).some((a) => a.id === 'agent1' && a.status === 'available'));
  const viaMenu = callerScenario({ callerNumber: '15550901', script: [{ pauseMs: 500 }, { keys: '1' }], hangupAfterMs: 4000 });

  const first = placeCall(target, '5000', viaMenu, { rtpPort: 9, timeoutS: 40 });
  const firstId = await connected(1);
  const pop1 = await api('GET', `/calls/${encodeURIComponent(firstId)}`);
  expect(pop1.body).toMatchObject({ call: { id: firstId, number: '5000', callerId: '15550901', queue: 'sales', agent: 'agent1', state: 'connected' }, callback: false, ivrPath: [{ flow: 'main', digit: '1' }], recentContacts: [] });
  expect((await api('POST', `/calls/${encodeURIComponent(firstId)}/disposition`, { resolved: false, reason: 'info' })).status).toBe(201);
  expect((await first).code).toBe(0);
  await waitFor('agent1 available again', async () => ((await api('GET', '/agents')).body.agents as Array<{ id: string; status: string }>).some((a) => a.id === 'agent1' && a.status === 'available'), 15_000);

  // The second time the caller's network sends their name: it pops and shows on the phone.
  const named = callerScenario({ callerNumber: '15550901', callerName: 'Ana Ruiz', script: [{ pauseMs: 500 }, { keys: '1' }], hangupAfterMs: 4000 });
  const second = placeCall(target, '5000', named, { rtpPort: 9, timeoutS: 40 });
  const secondId = await connected(2);
  const pop2 = await api('GET', `/calls/${encodeURIComponent(secondId)}`);
  expect(pop2.body).toMatchObject({ call: { callerId: '15550901', callerName: 'Ana Ruiz' }, ivrPath: [{ flow: 'main', digit: '1' }], recentContacts: [{ callId: firstId, number: '5000', queue: 'sales', agent: 'agent1', disposition: { resolved: false, reason: 'info' } }] });
  expect((pop2.body.recentContacts as unknown[]).length).toBe(1);
  // The agent's phone got it in the INVITE, for a desk phone or a CRM.
  const invites = agent1.trace().split(/^-{10,}.*$/m).filter((m) => /^INVITE /m.test(m));
  const last = invites.at(-1) ?? '';
  expect(last).toMatch(new RegExp(`^X-Switchboard-Call-Id: ${secondId.replace('.', '\\.')}`, 'm'));
  expect(last).toMatch(/^X-Switchboard-IVR-Path: menu:1/m);
  expect(last).toMatch(/^X-Switchboard-Caller-Name: Ana Ruiz\r?$/m);
  expect(last).toMatch(/^X-Switchboard-Number: 5000\r?$/m);
  expect(last).toMatch(/^From: "Ana Ruiz" <sip:15550901@/m);
  expect(last).toMatch(/^X-Switchboard-Last-Contact: \S+ sales agent1 not-resolved/m);
  expect((await second).code).toBe(0);
  expect((await api('GET', '/calls/no-such-call')).status).toBe(404);
});
