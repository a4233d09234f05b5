// Dispositions with a real call: after agent1 takes a call and hangs up, during wrap-up (which the
// queue does not let it leave before) its agent key records the outcome: resolved, a code, notes,
// a follow-up callback. Another agent's key is refused, a second disposition is refused, the
// journal carries the outcome but not the notes, the follow-up is a callback kept for agent1 to
// the caller's number, and the statistics count first-contact resolution from it.
import path from 'node:path';
import { AgentPhone } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const ADMIN = 'disp-admin-token-000001';
const AGENT1 = 'disp-agent1-token-00001';
const AGENT4 = 'disp-agent4-token-00001';
let t: TestService;
let phone: AgentPhone | undefined;

beforeAll(async () => {
  await clearAsterisk();
  for (const agent of ['agent1', 'agent4']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'dispositions'), SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT1}:agent1,agent:${AGENT4}:agent4` });
  await waitReady(t);
});
afterAll(async () => {
  await phone?.stop();
  await t?.stop();
});

const api = async (method: string, p: string, token: string, body?: unknown) => {
  const res = await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1${p}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const status = async (id: string) => (JSON.parse((await t.redis.get(`${t.prefix}:acd:agent:${id}`)) ?? '{"d":{}}') as { d: { status?: string } }).d.status;

test('recorded at wrap-up by the call\'s agent, once; kept out of the journal\'s notes; a follow-up callback; counted as first-contact resolution', async () => {
  phone = await AgentPhone.start({ agent: 'agent1', password: 'demo-agent1', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 800 } });
  await waitFor('agent1 available', async () => (await status('agent1')) === 'available');
  const call = await placeCall(target, '5001', callerScenario({ callerNumber: '15550901', byeTimeoutMs: 20_000 }), { rtpPort: 9 });
  expect({ code: call.code, out: call.code === 0 ? '' : call.output }).toEqual({ code: 0, out: '' });
  await waitFor('agent1 in wrap-up', async () => (await status('agent1')) === 'wrap-up');
  const callId = (await t.journal()).find((e) => e.type === 'queue.connected')?.callId as string;
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const good = { resolved: true, reason: 'sale', notes: 'wants the premium plan explained again', followUp: { at } };

  // The queue requires a disposition: no leaving wrap-up without one.
  const early = await api('POST', '/agents/agent1/ready', AGENT1);
  expect([early.status, early.body.detail]).toEqual([409, `agent agent1: record the disposition of call ${callId} before leaving wrap-up`]);
  expect((await api('POST', `/calls/${callId}/disposition`, AGENT4, good)).status).toBe(403);
  const unknown = await api('POST', `/calls/${callId}/disposition`, AGENT1, { ...good, reason: 'nope' });
  expect([unknown.status, (unknown.body.invalid as Array<{ name: string }>)[0]?.name]).toEqual([422, 'reason']);
  expect((await api('POST', '/calls/not-a-call/disposition', AGENT1, good)).status).toBe(404);

  const ok = await api('POST', `/calls/${callId}/disposition`, AGENT1, good);
  expect(ok.status).toBe(201);
  const d = ok.body.disposition as { followUpCallbackId: string; notes: string; by: string };
  expect(d).toMatchObject({ callId, queue: 'sales', agentId: 'agent1', resolved: true, reason: 'sale', notes: good.notes, by: 'agent:agent1' });
  expect((await api('POST', `/calls/${callId}/disposition`, ADMIN, good)).status).toBe(409);
  expect((await api('GET', `/calls/${callId}/disposition`, AGENT1)).body.disposition).toEqual(ok.body.disposition);
  expect((await api('GET', `/calls/${callId}/disposition`, AGENT4)).status).toBe(404);

  // The journal: the outcome, never the notes.
  const journaled = (await t.journal()).filter((e) => e.type === 'call.disposition');
  expect(journaled).toEqual([expect.objectContaining({ callId, queue: 'sales', agentId: 'agent1', resolved: true, reason: 'sale', by: 'agent:agent1' })]);
  expect(JSON.stringify(await t.redis.xrange(`${t.prefix}:journal`, '-', '+'))).not.toContain('premium plan');

  // The follow-up: a callback to the caller's number, kept for agent1, in the call's queue.
  const cb = await api('GET', `/callbacks/${d.followUpCallbackId}`, ADMIN);
  expect(cb.body.callback).toMatchObject({ queue: 'sales', number: '15550901', preferredAgent: 'agent1', state: 'requested', createdBy: 'agent:agent1' });
  expect((await api('DELETE', `/callbacks/${d.followUpCallbackId}`, ADMIN)).status).toBe(200);

  // The statistics: first-contact resolution by disposition.
  const today = new Date().toISOString().slice(0, 10);
  const row = await waitFor('the disposition counted', async () => {
    const rows = (await api('GET', `/stats/queues?date=${today}`, ADMIN)).body.rows as Array<{ queue: string; dispositions: number; resolved: number; fcrDisposition: number | null }>;
    const sales = rows.find((r) => r.queue === 'sales');
    return sales && sales.dispositions === 1 ? sales : undefined;
  });
  expect(row).toMatchObject({ dispositions: 1, resolved: 1, fcrDisposition: 1 });

  // Wrap-up ended by the agent: nothing left behind.
  expect((await api('POST', '/agents/agent1/ready', AGENT1)).status).toBe(200);
  await expectNothingLeftBehind(t.redis, t.prefix);
});
