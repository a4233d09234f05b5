// Redis stops while callers wait in a queue. A call that arrives meanwhile gets the documented
// treatment within seconds (it rings, then the dialplan apologises and hangs up), nothing is left
// ringing, the API answers 503, and once Redis is back the calls in flight are reconciled: a
// caller who hung up during the outage is an abandon, one still waiting gets an agent.
import { ok, queueLogEvents } from '../support/acd-e2e';
import path from 'node:path';
import { AgentPhone } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type TestService } from '../support/service';
import { answerDelayMs, callerScenario, placeCall, type SippResult } from '../support/sipp';
import { ROOT, stack, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const TOKEN = 'admin-token-for-redis-test';
let t: TestService;
const phones: AgentPhone[] = [];

beforeEach(() => clearAsterisk());

afterEach(async () => {
  if ((await stack('status', 'test')).code !== 0) expect((await stack('start-redis', 'test')).code).toBe(0); // never leave Redis down
  for (const p of phones) await p.stop();
  await t?.stop();
});

/** A caller that waits for the far end to hang up; the time of the BYE says how long it was kept. */
function waitingCaller(caller: string, opts: { hangupAfterMs?: number; rtpPort?: number } = {}): Promise<SippResult> {
  return placeCall(target, '5003', callerScenario({ callerNumber: caller, byeTimeoutMs: 60_000, hangupAfterMs: opts.hangupAfterMs }), { rtpPort: opts.rtpPort ?? 9, timeoutS: 90 });
}

test('Redis stopped: new calls get the apology within seconds, the API answers 503, calls in flight are reconciled when it is back', async () => {
  for (const agent of ['agent3']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'faults'), SWITCHBOARD_API_TOKENS: `admin:${TOKEN}` });
  await waitReady(t);

  // Two billing callers wait (nobody can take billing calls). The second hangs up during the outage.
  const stays = waitingCaller('15550801');
  await waitFor('first caller queued', async () => (await queueLogEvents(t)).filter((e) => e.startsWith('ENTERQUEUE')).length === 1);
  const leaves = waitingCaller('15550802', { hangupAfterMs: 5000 });
  await waitFor('second caller queued', async () => (await queueLogEvents(t)).filter((e) => e.startsWith('ENTERQUEUE')).length === 2);

  expect((await stack('stop-redis', 'test')).code).toBe(0);
  const downAt = Date.now();
  await waitFor('not ready', () => t.service.readiness().checks.redis?.ok === false, 10_000);

  // The API says the service is unavailable, not that it failed.
  const api = await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1/agents`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  expect([api.status, api.headers.get('retry-after'), ((await api.json()) as { code: string }).code]).toEqual([503, '2', 'unavailable']);

  // A call arriving now rings, then hears the apology (the dialplan's) and is hung up.
  const ear = await RtpSink.open();
  try {
    const turnedAway = await placeCall(target, '5002', callerScenario({ callerNumber: '15550803', byeTimeoutMs: 20_000 }), { rtpPort: ear.port, timeoutS: 30 });
    ok(turnedAway);
    expect(turnedAway.messages).toMatch(/SIP\/2.0 180 Ringing/);
    expect(ear.audibleSeconds).toBeGreaterThan(2); // "I'm sorry. All circuits are busy now…"
    const answeredAfterMs = answerDelayMs(turnedAway.messages);
    console.log(`Redis down: a new call rang, then got the apology ${answeredAfterMs} ms after its INVITE; the whole call took ${turnedAway.elapsedMs} ms`);
    expect(answeredAfterMs).toBeGreaterThanOrEqual(1900); // it rang for the grace (Redis might have come back)
    expect(answeredAfterMs).toBeLessThan(3000);
  } finally {
    await ear.close();
  }
  ok(await leaves); // hung up during the outage

  expect((await stack('start-redis', 'test')).code).toBe(0);
  const upAt = Date.now();
  await waitReady(t, 20_000);
  console.log(`Redis was down ${upAt - downAt} ms; the service was ready again ${Date.now() - upAt} ms after Redis started`);
  // Reconciled: the caller who left during the outage abandoned; the other still waits.
  await waitFor('the abandon recorded', async () => (await queueLogEvents(t)).includes('ABANDON NONE'), 10_000);
  expect(await t.redis.zrange(`${t.prefix}:acd:queue:billing:waiting`, '0', '-1')).toHaveLength(1);

  // An agent for billing: the caller who stayed is connected, and the agent hangs up after 1 s.
  const agent3 = await AgentPhone.start({ agent: 'agent3', password: 'demo-agent3', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 1000 } });
  phones.push(agent3);
  ok(await stays);
  expect((await queueLogEvents(t)).filter((e) => /ENTERQUEUE|ABANDON|CONNECT|COMPLETE/.test(e))).toEqual(['ENTERQUEUE NONE', 'ENTERQUEUE NONE', 'ABANDON NONE', 'CONNECT agent3', 'COMPLETEAGENT agent3']);
  await expectNothingLeftBehind(t.redis, t.prefix);
});
