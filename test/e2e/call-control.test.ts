// Agents and supervisors act on live calls through the API, with real phones: hold (the caller
// hears music, not the agent) and resume (the conversation again), who may, and how the journal
// counts it.
import path from 'node:path';
import { asteriskRtpFor, ok, withSpeakingEar } from '../support/acd-e2e';
import { AgentPhone } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { apiAs, startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall, type SippResult } from '../support/sipp';
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

const api = (method: string, route: string, token: string, body?: unknown) => apiAs(t, method, route, token, body);
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

  // Sales records its calls, paused while the caller was on hold: the file has the talk without the hold.
  type Rec = { id: string; callId: string; agent: string; state: string; durationSeconds?: number; pauses: number };
  const rec = await waitFor('the recording finished', async () => ((await api('GET', `/recordings?callId=${encodeURIComponent(callId)}`, ADMIN)).body.recordings as Rec[]).find((r) => r.state === 'done'));
  expect(rec).toMatchObject({ callId, agent: 'agent1', pauses: 1 });
  const recorded = Number(completed.talkS) - Number(completed.onHoldS);
  expect(Math.abs(rec.durationSeconds! - recorded)).toBeLessThanOrEqual(1.5);
  const audio = (range?: string) => fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/recordings/${encodeURIComponent(rec.id)}/audio`, { headers: { Authorization: `Bearer ${FLOOR}`, ...(range ? { Range: range } : {}) } });
  const whole = await audio();
  const bytes = Buffer.from(await whole.arrayBuffer());
  expect([whole.status, whole.headers.get('content-type'), bytes.subarray(0, 4).toString()]).toEqual([200, 'audio/wav', 'RIFF']);
  expect(Math.abs(bytes.length - 44 - rec.durationSeconds! * 16_000)).toBeLessThan(16_000); // 8 kHz, 16 bits
  const part = await audio('bytes=100-199');
  expect([part.status, part.headers.get('content-range'), Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))]).toEqual([206, `bytes 100-199/${bytes.length}`, true]);
  expect((await audio(`bytes=${bytes.length}-`)).status).toBe(416);
  // By role: agent1 sees its own, agent2 nothing; an agent may not delete; the team's supervisor may.
  expect(((await api('GET', '/recordings', AGENT1)).body.recordings as Rec[]).map((r) => r.id)).toContain(rec.id);
  expect(((await api('GET', '/recordings', AGENT2)).body.recordings as Rec[]).map((r) => r.id)).not.toContain(rec.id);
  expect((await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/recordings/${encodeURIComponent(rec.id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${AGENT1}` } })).status).toBe(403);
  expect((await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/recordings/${encodeURIComponent(rec.id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${FLOOR}` } })).status).toBe(204);
  expect((await api('GET', `/recordings/${encodeURIComponent(rec.id)}`, ADMIN)).status).toBe(404);
  // Over: nothing more to act on.
  expect((await act(callId, 'resume', ADMIN)).status).toBe(404);
  await waitFor('agent1 free again', async () => (await statusOf('agent1')) === 'available');
  await expectNothingLeftBehind(t.redis, t.prefix);
});

test('a remote agent: agent1 logs in at a number on the demo carrier and takes a call there', async () => {
  const login = (token: string, body: unknown) => api('POST', '/agents/agent1/login', token, body);
  expect((await login(AGENT1, { number: '34910000000' })).status).toBe(422); // outside agent1's pattern
  expect((await api('POST', '/agents/agent2/login', AGENT2, { number: '15550777' })).status).toBe(422); // agent2 may not work remotely
  const done = await login(AGENT1, { number: '15550777' });
  expect([done.status, done.body.agent]).toMatchObject([200, { id: 'agent1', status: 'available', reachable: true, remote: true }]);
  const home = await AgentPhone.start({ agent: 'remote', password: '-', target, behaviour: { kind: 'answer', afterMs: 100 }, register: false, port: Number(TEST.CARRIER_PORT) });
  phones.push(home);
  const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550315', hangupAfterMs: 3000 }), { rtpPort: 9, timeoutS: 40 });
  await home.waitForInvite(1, 10_000);
  expect(home.trace()).toMatch(/^INVITE sip:15550777@127\.0\.0\.1/m);
  ok(await caller);
  const callId = (await t.journal()).find((e) => e.type === 'call.arrived' && e.callerId === '15550315')?.callId;
  await waitFor('completed by agent1 at home', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId && e.agentId === 'agent1'));
  await waitFor('agent1 free again', async () => (await statusOf('agent1')) === 'available');
  const out = await api('POST', '/agents/agent1/logout', AGENT1, { reason: 'end-of-shift' });
  expect([out.status, (out.body.agent as { remote: boolean }).remote]).toEqual([200, false]);
  expect((await t.journal()).filter((e) => e.type === 'agent.logged-out').at(-1)).toMatchObject({ agentId: 'agent1', reason: 'end-of-shift', by: 'agent:agent1' });
});

test("an agent's own call: agent1 calls a number on the carrier; a queue call waits meanwhile, then is offered to agent1", async () => {
  const agent1 = await agentPhone('agent1');
  const far = await AgentPhone.start({ agent: 'far', password: '-', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 2500 }, register: false, port: Number(TEST.CARRIER_PORT) });
  phones.push(far);
  const place = (token: string, agent: string, number: string) => api('POST', `/agents/${agent}/calls`, token, { number });
  expect((await place(AGENT2, 'agent1', '15550888')).status).toBe(403);
  expect((await place(AGENT1, 'agent1', '34910000000')).status).toBe(422);
  const placed = await place(AGENT1, 'agent1', '15550888');
  expect([placed.status, placed.body.call]).toMatchObject([201, { agent: 'agent1', number: '15550888', state: 'ringing-agent' }]);
  await far.waitForInvite(1, 10_000);
  expect(far.trace()).toMatch(/^INVITE sip:15550888@127\.0\.0\.1/m);
  expect(await statusOf('agent1')).toBe('on-call');
  // Listed with the calls in progress, for whoever may see agent1.
  const ownId = (placed.body.call as { id: string }).id;
  const own = ((await api('GET', '/calls', FLOOR)).body.calls as Array<Record<string, unknown>>).find((c) => c.id === ownId);
  expect(own).toMatchObject({ kind: 'outbound', number: '15550888', callerId: '5001', agent: 'agent1' });
  expect(((await api('GET', '/calls', AGENT2)).body.calls as Array<{ id: string }>).map((c) => c.id)).not.toContain(ownId);
  // A caller for sales meanwhile waits: agent1 is busy with its own call.
  const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550317', hangupAfterMs: 8000 }), { rtpPort: 9, timeoutS: 40 });
  await waitFor('the caller waiting', async () => (await t.journal()).some((e) => e.type === 'queue.entered' && e.callerId === '15550317'));
  expect(agent1.invites()).toBe(1);
  // The called party hangs up: agent1 is free, and the waiting caller rings it.
  await agent1.waitForInvite(2, 15_000);
  ok(await caller);
  const mine = (await t.journal()).filter((e) => e.type.startsWith('outbound.'));
  expect(mine.map((e) => e.type)).toEqual(['outbound.started', 'outbound.answered', 'outbound.ended']);
  expect(mine[2]).toMatchObject({ agentId: 'agent1', number: '15550888', answered: true, reason: 'far-end-hung-up' });
  await waitFor('agent1 free again', async () => (await statusOf('agent1')) === 'available');
});

describe('blind transfers', () => {
  /** A call from `number` to sales, answered by agent1; its id once connected. */
  async function callWithAgent1(number: string, holdForMs = 15_000): Promise<{ callId: string; caller: Promise<SippResult> }> {
    const caller = placeCall(target, '5001', callerScenario({ callerNumber: number, hangupAfterMs: holdForMs }), { rtpPort: 9, timeoutS: 40 });
    return { callId: await connectedCallId(number), caller };
  }
  const queueLog = async (callId: string) => (await t.redis.xrange(`${t.prefix}:queue_log`, '-', '+')).map(([, f]) => f[1]!.split('|')).filter((l) => l[1] === callId).map((l) => `${l[4]} ${l[3]}${l[4] === 'BLINDTRANSFER' ? ` ${l[5]} ${l[6]}` : ''}`);

  test('to a queue: agent1 leaves for wrap-up, the caller waits in support and agent2 takes the call', async () => {
    const agent1 = await agentPhone('agent1');
    const agent2 = await agentPhone('agent2');
    const { callId, caller } = await callWithAgent1('15550311', 8000);
    const transfer = (token: string, body: unknown) => act(callId, 'transfer', token, body);
    // Refused, the call untouched.
    expect((await transfer(AGENT2, { mode: 'blind', queue: 'support' })).status).toBe(403);
    expect((await transfer(AGENT1, { mode: 'blind', queue: 'nowhere' })).status).toBe(422);
    expect((await transfer(AGENT1, { mode: 'blind', queue: 'support', agent: 'agent2' })).status).toBe(400);
    expect((await transfer(AGENT1, { mode: 'blind', agent: 'agent1' })).status).toBe(409); // has it already

    const done = await transfer(AGENT1, { mode: 'blind', queue: 'support' });
    expect([done.status, done.body.transfer]).toEqual([200, { id: callId, mode: 'blind', to: 'queue', target: 'support', queue: 'support', state: 'done' }]);
    await agent2.waitForInvite(1, 10_000);
    await waitFor('agent2 connected', async () => (await t.journal()).some((e) => e.type === 'queue.connected' && e.callId === callId && e.agentId === 'agent2'));
    expect(await statusOf('agent1')).toBe('wrap-up');
    expect(agent1.answered()).toBe(1);
    ok(await caller);
    await waitFor('completed with agent2', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId));
    expect(await queueLog(callId)).toEqual(['ENTERQUEUE NONE', 'CONNECT agent1', 'BLINDTRANSFER agent1 support queue', 'ENTERQUEUE NONE', 'CONNECT agent2', 'COMPLETECALLER agent2']);
    expect((await t.journal()).find((e) => e.type === 'queue.transferred' && e.callId === callId)).toMatchObject({ queue: 'sales', agentId: 'agent1', to: 'queue', target: 'support', by: 'agent:agent1' });
    await waitFor('both agents free', async () => (await statusOf('agent1')) === 'available' && (await statusOf('agent2')) === 'available');
  });

  test('attended to an agent: agent1 consults agent2 with the caller on hold, then completes; the caller is with agent2', async () => {
    const agent1 = await agentPhone('agent1');
    const agent2 = await agentPhone('agent2');
    const { callId, caller } = await callWithAgent1('15550316', 9000);
    const consult = await act(callId, 'transfer', AGENT1, { mode: 'attended', agent: 'agent2' });
    expect([consult.status, consult.body.transfer]).toEqual([200, { id: callId, mode: 'attended', to: 'agent', target: 'agent2', state: 'consulting' }]);
    await agent2.waitForInvite(1, 10_000);
    await waitFor('agent2 on the consultation', async () => (await statusOf('agent2')) === 'on-call');
    expect(((await api('GET', '/calls', ADMIN)).body.calls as Array<{ id: string; onHold?: boolean }>).find((c) => c.id === callId)).toMatchObject({ onHold: true });
    const completed = await act(callId, 'transfer/complete', AGENT1);
    expect([completed.status, completed.body.call]).toMatchObject([200, { id: callId, agent: 'agent2', onHold: false }]);
    await waitFor('agent1 in wrap-up', async () => (await statusOf('agent1')) === 'wrap-up');
    expect(agent1.answered()).toBe(1);
    ok(await caller);
    await waitFor('completed with agent2', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId && e.agentId === 'agent2'));
    const lines = await queueLog(callId);
    expect(lines.filter((l) => !l.startsWith('ENTERQUEUE'))).toEqual(['CONNECT agent1', 'ATTENDEDTRANSFER agent1', 'COMPLETECALLER agent2']);
    expect((await t.journal()).filter((e) => e.callId === callId && e.type.startsWith('queue.consult')).map((e) => `${e.type} ${String(e.outcome ?? '')}`.trim())).toEqual(['queue.consult-started', 'queue.consult-ended completed']);
    await waitFor('both agents free', async () => (await statusOf('agent1')) === 'available' && (await statusOf('agent2')) === 'available');
  });

  test("attended to a queue: agent1 consults support's free agent (agent2), then completes; the call is support's", async () => {
    const agent1 = await agentPhone('agent1');
    const agent2 = await agentPhone('agent2');
    const { callId, caller } = await callWithAgent1('15550318', 9000);
    expect((await act(callId, 'transfer', AGENT1, { mode: 'attended', queue: 'support', keepPlace: true })).status).toBe(422); // keepPlace: blind only
    const consult = await act(callId, 'transfer', AGENT1, { mode: 'attended', queue: 'support' });
    expect([consult.status, consult.body.transfer]).toEqual([200, { id: callId, mode: 'attended', to: 'queue', target: 'support', agent: 'agent2', state: 'consulting' }]);
    await agent2.waitForInvite(1, 10_000);
    await waitFor('agent2 on the consultation', async () => (await statusOf('agent2')) === 'on-call');
    const completed = await act(callId, 'transfer/complete', AGENT1);
    expect([completed.status, completed.body.call]).toMatchObject([200, { id: callId, queue: 'support', agent: 'agent2', onHold: false }]);
    expect(agent1.answered()).toBe(1);
    ok(await caller);
    await waitFor('completed with agent2', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId && e.agentId === 'agent2'));
    const journal = (await t.journal()).filter((e) => e.callId === callId);
    expect(journal.find((e) => e.type === 'queue.transferred')).toMatchObject({ queue: 'sales', agentId: 'agent1', mode: 'attended', to: 'queue', target: 'support' });
    expect(journal.find((e) => e.type === 'queue.completed')).toMatchObject({ queue: 'support', agentId: 'agent2' });
    expect((await queueLog(callId)).filter((l) => !l.startsWith('ENTERQUEUE'))).toEqual(['CONNECT agent1', 'ATTENDEDTRANSFER agent1', 'COMPLETECALLER agent2']);
    await waitFor('both agents free', async () => (await statusOf('agent1')) === 'available' && (await statusOf('agent2')) === 'available');
  });

  test('to an agent: agent2 is rung at once though it does not serve sales', async () => {
    await agentPhone('agent1');
    const agent2 = await agentPhone('agent2');
    const { callId, caller } = await callWithAgent1('15550312', 6000);
    const done = await act(callId, 'transfer', FLOOR, { mode: 'blind', agent: 'agent2' });
    expect([done.status, done.body.transfer]).toMatchObject([200, { to: 'agent', target: 'agent2', queue: 'sales' }]);
    await agent2.waitForInvite(1, 10_000);
    ok(await caller);
    await waitFor('completed with agent2', async () => (await t.journal()).some((e) => e.type === 'queue.completed' && e.callId === callId && e.agentId === 'agent2'));
    await waitFor('both agents free', async () => (await statusOf('agent1')) === 'available' && (await statusOf('agent2')) === 'available');
  });

  test('a waiting caller withdrawn by a supervisor to the operator; an agent may not', async () => {
    const operator = await AgentPhone.start({ agent: 'operator', password: '-', target, behaviour: { kind: 'answer', afterMs: 100 }, register: false, port: Number(TEST.CARRIER_PORT) });
    phones.push(operator);
    // Nobody serves sales here: the caller waits.
    const caller = placeCall(target, '5001', callerScenario({ callerNumber: '15550314', hangupAfterMs: 5000 }), { rtpPort: 9, timeoutS: 40 });
    const callId = await waitFor('the caller waiting', async () => (await t.journal()).find((e) => e.type === 'queue.entered' && e.callerId === '15550314')?.callId as string | undefined);
    const withdraw = (token: string, destination: string) => act(callId, 'withdraw', token, { destination });
    expect((await withdraw(AGENT1, 'operator')).status).toBe(403);
    expect((await withdraw(ADMIN, 'nowhere')).status).toBe(422);
    const done = await withdraw(FLOOR, 'operator');
    expect([done.status, done.body.call]).toEqual([200, { id: callId, queue: 'sales', destination: 'operator' }]);
    await operator.waitForInvite(1, 10_000);
    ok(await caller);
    expect((await t.journal()).find((e) => e.type === 'queue.exited' && e.callId === callId)).toMatchObject({ reason: 'withdrawn', destination: 'operator', by: 'floor-supervisor' });
    expect((await withdraw(ADMIN, 'operator')).status).toBe(404); // gone
  });

  test('attended to a destination: agent1 talks to the operator, then hands the caller over; the caller hanging up ends it for the operator', async () => {
    const agent1 = await agentPhone('agent1');
    const operator = await AgentPhone.start({ agent: 'operator', password: '-', target, behaviour: { kind: 'answer', afterMs: 100 }, register: false, port: Number(TEST.CARRIER_PORT) });
    phones.push(operator);
    const { callId, caller } = await callWithAgent1('15550319', 9000);
    expect((await act(callId, 'transfer', AGENT1, { mode: 'attended', destination: 'nowhere' })).status).toBe(422);
    const consult = await act(callId, 'transfer', AGENT1, { mode: 'attended', destination: 'operator' });
    expect([consult.status, consult.body.transfer]).toEqual([200, { id: callId, mode: 'attended', to: 'destination', target: 'operator', state: 'consulting' }]);
    await operator.waitForInvite(1, 10_000);
    // Completed once the operator is on the line (409 until the ACD has heard of the answer).
    const completed = await waitFor('the transfer completed', async () => {
      const r = await act(callId, 'transfer/complete', AGENT1);
      return r.status === 200 ? r : undefined;
    });
    expect(completed.body.call).toMatchObject({ id: callId, queue: 'sales', agent: '' });
    await waitFor('agent1 in wrap-up', async () => (await statusOf('agent1')) === 'wrap-up');
    expect(agent1.answered()).toBe(1);
    expect(((await api('GET', '/calls', ADMIN)).body.calls as Array<{ id: string; state: string }>).find((c) => c.id === callId)).toMatchObject({ state: 'connected' });
    ok(await caller);
    await operator.waitForCallEnd(1, 10_000); // the call flow hung the operator up
    await waitFor('the call ended', async () => (await t.journal()).some((e) => e.type === 'call.ended' && e.callId === callId));
    const journal = (await t.journal()).filter((e) => e.callId === callId);
    expect(journal.find((e) => e.type === 'queue.transferred')).toMatchObject({ mode: 'attended', to: 'destination', target: 'operator', agentId: 'agent1' });
    expect(journal.find((e) => e.type === 'call.ended')).toMatchObject({ reason: 'caller-hangup' });
    expect((await queueLog(callId)).filter((l) => !l.startsWith('ENTERQUEUE'))).toEqual(['CONNECT agent1', 'ATTENDEDTRANSFER agent1']);
    await waitFor('agent1 free', async () => (await statusOf('agent1')) === 'available');
    await expectNothingLeftBehind(t.redis, t.prefix);
  });

  test('to a destination: the caller leaves the queues and the operator on the carrier is rung', async () => {
    await agentPhone('agent1');
    const operator = await AgentPhone.start({ agent: 'operator', password: '-', target, behaviour: { kind: 'answer', afterMs: 100 }, register: false, port: Number(TEST.CARRIER_PORT) });
    phones.push(operator);
    const { callId, caller } = await callWithAgent1('15550313', 6000);
    const done = await act(callId, 'transfer', ADMIN, { mode: 'blind', destination: 'operator' });
    expect([done.status, done.body.transfer]).toEqual([200, { id: callId, mode: 'blind', to: 'destination', target: 'operator', state: 'done' }]);
    await operator.waitForInvite(1, 10_000);
    ok(await caller);
    const journal = (await t.journal()).filter((e) => e.callId === callId);
    expect(journal.filter((e) => e.type === 'ivr.dial').map((e) => e.outcome)).toEqual(['ringing', 'answered']);
    expect(await queueLog(callId)).toEqual(['ENTERQUEUE NONE', 'CONNECT agent1', 'BLINDTRANSFER agent1 operator destination']);
    await waitFor('agent1 free', async () => (await statusOf('agent1')) === 'available');
    await expectNothingLeftBehind(t.redis, t.prefix);
  });
});
