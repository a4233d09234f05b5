// Agents and supervisors act on live calls through the API, with real phones: hold (the caller
// hears music, not the agent) and resume (the conversation again), who may, and how the journal
// counts it.
import path from 'node:path';
import { asteriskRtpFor, ok, withSpeakingEar } from '../support/acd-e2e';
import { AgentPhone } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const ADMIN = 'cc-admin-token-000001';
const AGENT1 = 'cc-agent1-token-00001';
const AGENT2 = 'cc-agent2-token-00001';
const FLOOR = 'cc-floor-supervisor-tok1'; // supervises agent1 only (test/fixtures/call-control/api-keys.yaml)

let t: TestService;
let phones: AgentPhone[] = [];
beforeAll(async () => {
  await clearAsterisk();
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'call-control'), SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT1}:agent1,agent:${AGENT2}:agent2` });
  await waitReady(t);
});
afterEach(async () => {
  for (const p of phones) await p.stop();
  phones = [];
});
afterAll(async () => {
  await t?.stop();
});

async function api(method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const act = (callId: string, action: string, token: string, body?: unknown) => api('POST', `/calls/${encodeURIComponent(callId)}/${action}`, token, body);

/** The agent's phone; its audio is an echo of what it hears, or an RtpSink's at `rtpPort`. */
async function agentPhone(agent: 'agent1' | 'agent2', rtpPort?: number): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: `demo-${agent}`, target, behaviour: { kind: 'answer', afterMs: 100 }, ...(rtpPort ? { rtpPort } : { audio: 'echo' as const }) });
  phones.push(p);
  await waitFor(`${agent} available`, async () => (await statusOf(agent)) === 'available');
  return p;
}

async function statusOf(agent: string): Promise<string | undefined> {
  const agents = (await api('GET', '/agents', ADMIN)).body.agents as Array<{ id: string; status: string }>;
  return agents.find((a) => a.id === agent)?.status;
}

const connectedCallId = (number: string) =>
  waitFor(`the call from ${number} connected`, async () => {
    const journal = await t.journal();
    const arrived = journal.find((e) => e.type === 'call.arrived' && e.callerId === number)?.callId;
    return arrived !== undefined && journal.some((e) => e.type === 'queue.connected' && e.callId === arrived) ? arrived : undefined;
  });

test('a supervisor moves a waiting call to another queue, where its agent takes it; limits of a team supervisor', async () => {
  // Nobody serves sales (agent1 has no phone): the caller waits there.
  const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550302', hangupAfterMs: 8000 }), { rtpPort: 9, timeoutS: 40 });
  const callId = await waitFor('the caller waiting in sales', async () => (await t.journal()).find((e) => e.type === 'queue.entered' && e.callerId === '15550302')?.callId);
  const agent2 = await agentPhone('agent2');
  const patch = (token: string, body: unknown) => api('PATCH', `/calls/${encodeURIComponent(callId)}`, token, body);
  expect((await patch(FLOOR, { queue: 'support' })).status).toBe(403); // floor supervises sales only
  expect((await patch(ADMIN, { queue: 'nowhere' })).status).toBe(422);
  const moved = await patch(ADMIN, { queue: 'support', priority: 2 });
  expect([moved.status, moved.body.call]).toEqual([200, { id: callId, queue: 'support', priority: 2 }]);
  await agent2.waitForInvite(1, 10_000);
  ok(await caller);
  await waitFor('the call completed', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId));
  const mine = (await t.journal()).filter((e) => e.callId === callId && e.type.startsWith('queue.')).map((e) => `${e.type} ${String(e.queue)}`);
  expect(mine).toEqual(['queue.entered sales', 'queue.priority-changed sales', 'queue.exited sales', 'queue.entered support', 'queue.offered support', 'queue.connected support', 'queue.completed support']);
  expect((await t.journal()).find((e) => e.type === 'queue.exited' && e.callId === callId)).toMatchObject({ reason: 'moved', to: 'support', by: 'env-1' });
  await waitFor('agent2 free again', async () => (await statusOf('agent2')) === 'available');
});

test('hold: the caller hears music instead of the agent; resume: the conversation again; the hold counts apart from talk', async () => {
  // Caller and agent each speak their own tone into their own ear (1 kHz, 500 Hz). Hold music may
  // hold any note, so "out of the conversation" is judged on the agent's side, where no music plays.
  const agentEar = await RtpSink.open();
  agentEar.speak(() => asteriskRtpFor(agentEar.port), 500);
  await agentPhone('agent1', agentEar.port);
  let callId = '';
  await withSpeakingEar(async (ear) => {
    const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550301', hangupAfterMs: 14_000 }), { rtpPort: ear.port, timeoutS: 40 });
    callId = await connectedCallId('15550301');
    const talking = Date.now();
    await waitFor('the agent hears the caller', () => agentEar.tonePacketsBetweenTimes(talking, Date.now()) >= 25);
    await waitFor('the caller hears the agent', () => ear.tonePacketsBetweenTimes(talking, Date.now(), 500) >= 25);

    // Refused, the call untouched: another agent's key, a supervisor outside agent1's team is
    // told there is no such call, a resume of a call not on hold.
    expect((await act(callId, 'hold', AGENT2)).status).toBe(403);
    expect((await act(callId, 'resume', AGENT1)).status).toBe(409);
    expect((await act('no-such-call', 'hold', ADMIN)).status).toBe(404);

    const held = await act(callId, 'hold', AGENT1);
    expect([held.status, held.body.call]).toEqual([200, { id: callId, queue: 'sales', agent: 'agent1', onHold: true, heldSeconds: 0 }]);
    expect((await act(callId, 'hold', FLOOR)).status).toBe(409); // on hold already
    const heldAt = Date.now();
    // The caller hears music; the agent no longer hears the caller (who goes on speaking).
    await waitFor('hold music', () => ear.packetsBetweenTimes(heldAt + 300, Date.now()).nonSilent >= 75, 15_000);
    expect(agentEar.tonePacketsBetweenTimes(heldAt + 300, Date.now())).toBe(0);
    const calls = (await api('GET', '/calls', ADMIN)).body.calls as Array<{ id: string; state: string }>;
    expect(calls.find((c) => c.id === callId)).toMatchObject({ state: 'connected', onHold: true });

    const resumed = await act(callId, 'resume', FLOOR);
    expect([resumed.status, resumed.body.call]).toMatchObject([200, { onHold: false }]);
    const back = Date.now();
    await waitFor('the agent hears the caller again', () => agentEar.tonePacketsBetweenTimes(back + 200, Date.now()) >= 25);
    await waitFor('the caller hears the agent again', () => ear.tonePacketsBetweenTimes(back + 200, Date.now(), 500) >= 25);
    ok(await caller);
  }).finally(() => agentEar.close());
  await waitFor('the call completed', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId));
  const journal = (await t.journal()).filter((e) => e.callId === callId);
  const heldEv = journal.filter((e) => e.type === 'queue.held');
  const resumedEv = journal.filter((e) => e.type === 'queue.resumed');
  expect(heldEv).toEqual([expect.objectContaining({ queue: 'sales', agentId: 'agent1', by: 'agent:agent1' })]);
  expect(resumedEv).toEqual([expect.objectContaining({ queue: 'sales', agentId: 'agent1', by: 'floor-supervisor' })]);
  const heldS = Number(resumedEv[0]!.heldS);
  expect(heldS).toBeGreaterThanOrEqual(1);
  const completed = journal.find((e) => e.type === 'queue.completed')!;
  expect(Math.abs(Number(completed.onHoldS) - heldS)).toBeLessThanOrEqual(1);
  expect(Number(completed.talkS)).toBeGreaterThan(Number(completed.onHoldS));
  // Over: nothing more to act on.
  expect((await act(callId, 'resume', ADMIN)).status).toBe(404);
  await waitFor('agent1 free again', async () => (await statusOf('agent1')) === 'available');
  await expectNothingLeftBehind(t.redis, t.prefix);
});
