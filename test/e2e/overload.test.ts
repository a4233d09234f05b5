// A burst above a deliberately small admission limit (SWITCHBOARD_MAX_CALLS=3): the calls taken
// reach agents and complete; the others are refused at once and hear the dialplan's overload
// apology within a second; no agent is paused by it; nothing is left behind.
import path from 'node:path';
import { ok } from '../support/acd-e2e';
import { AgentPhone } from '../support/agent-phone';
import { ariGet, clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type TestService } from '../support/service';
import { answerDelayMs, callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const AGENTS = ['agent1', 'agent2', 'agent3', 'agent4'];
let t: TestService;
const phones: AgentPhone[] = [];

beforeEach(() => clearAsterisk());

afterEach(async () => {
  for (const p of phones.splice(0)) await p.stop();
  await t?.stop();
});

test('8 calls at once over a cap of 3: 3 reach agents, 5 hear the overload apology within 1 s, no agent paused, nothing left behind', async () => {
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'overload'), SWITCHBOARD_MAX_CALLS: '3' });
  await waitReady(t);
  for (const agent of AGENTS) {
    await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
    phones.push(await AgentPhone.start({ agent, password: `demo-${agent}`, target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 1500 } }));
  }
  await waitFor('four agents available', async () => (await Promise.all(AGENTS.map((a) => t.service.acd.agentCommand(a, 'ready').then((s) => s.status)))).every((s) => s === 'available'), 10_000);

  const ears = await Promise.all(Array.from({ length: 8 }, () => RtpSink.open()));
  try {
    const callers = ears.map((ear, i) => `1555080${i}`);
    const results = await Promise.all(ears.map((ear, i) => placeCall(target, '5201', callerScenario({ callerNumber: callers[i], byeTimeoutMs: 30_000 }), { rtpPort: ear.port, timeoutS: 60 })));
    for (const r of results) ok(r);

    const journal = await t.journal();
    const refused = new Set(journal.filter((e) => e.type === 'call.refused').map((e) => e.callerId));
    const taken = new Set(journal.filter((e) => e.type === 'call.arrived').map((e) => e.callerId));
    expect([refused.size, taken.size]).toEqual([5, 3]);
    expect(journal.filter((e) => e.type === 'queue.connected')).toHaveLength(3);
    expect(journal.filter((e) => e.type === 'call.ended').map((e) => e.reason)).toEqual(['agent-hangup', 'agent-hangup', 'agent-hangup']);
    expect(phones.reduce((n, p) => n + p.answered(), 0)).toBe(3);
    for (const [i, r] of results.entries()) {
      if (!refused.has(callers[i])) continue;
      expect({ caller: callers[i], answeredWithinASecond: (answerDelayMs(r.messages) ?? Infinity) < 1000 }).toEqual({ caller: callers[i], answeredWithinASecond: true });
      expect(ears[i]!.audibleSeconds).toBeGreaterThan(1); // the apology
    }
    expect(t.logs.some((l) => String(l.msg).startsWith('overloaded: refusing new calls (3 calls in progress (limit 3))'))).toBe(true);
    expect(t.service.readiness().checks.admission?.detail).toMatch(/5 refused since start/);
    for (const a of AGENTS) expect((await t.service.acd.agentCommand(a, 'ready')).status).toBe('available');
    await expectNothingLeftBehind(t.redis, t.prefix);
  } finally {
    for (const e of ears) await e.close();
  }
});

test('while a load limit is passed the dialplan turns new calls away before the application: the apology within 1 s, nothing journaled; the gate opens when the service stops', async () => {
  // Any Redis round trip is slower than 1 µs: the limit is passed from the first load window on.
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'overload'), SWITCHBOARD_OVERLOAD_REDIS_MS: '0.001' });
  await waitReady(t);
  await waitFor('the gate shut', async () => t.logs.some((l) => String(l.msg).startsWith('overloaded: the dialplan turns new calls away')), 5_000);
  expect(Number((await ariGet<{ value: string }>('/asterisk/variable?variable=SWITCHBOARD_OVERLOAD_UNTIL')).value)).toBeGreaterThan(Date.now() / 1000);
  const ears = await Promise.all(Array.from({ length: 2 }, () => RtpSink.open()));
  try {
    const results = await Promise.all(ears.map((ear, i) => placeCall(target, '5201', callerScenario({ callerNumber: `1555090${i}`, byeTimeoutMs: 30_000 }), { rtpPort: ear.port, timeoutS: 60 })));
    for (const [i, r] of results.entries()) {
      ok(r);
      expect((answerDelayMs(r.messages) ?? Infinity) < 1000).toBe(true);
      expect(ears[i]!.audibleSeconds).toBeGreaterThan(1); // the apology
    }
    const journal = await t.journal();
    expect(journal.filter((e) => e.type === 'call.arrived' || e.type === 'call.refused')).toEqual([]);
    expect(t.service.readiness().checks.admission?.detail).toMatch(/the dialplan turns them away/);
  } finally {
    for (const e of ears) await e.close();
  }
  await t.stop();
  t = undefined as unknown as TestService; // stopped here
  expect((await ariGet<{ value: string }>('/asterisk/variable?variable=SWITCHBOARD_OVERLOAD_UNTIL')).value).toBe('0');
});
