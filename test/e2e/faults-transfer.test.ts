// Phones cannot move calls behind the ACD's back. A caller's REFER (a blind transfer from a trunk)
// is refused, and so is a transfer from an agent's phone (transfers are API actions): the call
// goes on between the same caller and agent, with media both ways, and no phantom call appears.
import { agentStatus, ok, queueLogEvents, withSpeakingEar } from '../support/acd-e2e';
import path from 'node:path';
import { AgentPhone, parseTrace } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(90_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
let t: TestService;
let phones: AgentPhone[] = [];

beforeEach(async () => {
  await clearAsterisk();
  await AgentPhone.clearRegistrations({ agent: 'agent2', password: 'demo-agent2', target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'faults') });
  await waitReady(t);
});

afterEach(async () => {
  for (const p of phones) await p.stop();
  phones = [];
  await t?.stop();
});

/** One call in, one connect, one completion: nothing phantom entered any queue, one call arrived. */
async function expectOnlyTheOneCall(completed: string): Promise<void> {
  await waitFor('the call completed', async () => (await queueLogEvents(t)).includes(completed), 10_000);
  expect((await queueLogEvents(t)).filter((e) => !/MEMBER|PAUSE/.test(e))).toEqual(['ENTERQUEUE NONE', 'CONNECT agent2', completed]);
  expect((await t.journal()).filter((r) => r.type === 'call.arrived')).toHaveLength(1);
  await expectNothingLeftBehind(t.redis, t.prefix);
  expect(await agentStatus(t, 'agent2')).toBe('available');
}

/**
 * A call to 5002 that must still carry media both ways from `fromMs` to `toMs` after caller and
 * agent were connected (the refused transfer falls before that window): the caller's tone comes
 * back from agent2's echoing phone. The window is timed from the connection, not from the call's
 * start: how long the call waits before agent2 takes it is not what is tested here.
 */
async function talkThrough(scenario: string, fromMs: number, toMs: number): Promise<void> {
  await withSpeakingEar(async (ear) => {
    ok(await placeCall(target, '5002', scenario, { rtpPort: ear.port, timeoutS: 30 }));
    const connectedAt = Number((await t.journal()).find((e) => e.type === 'queue.connected')?.at);
    expect(connectedAt).toBeGreaterThan(0);
    const tone = ear.tonePacketsBetweenTimes(connectedAt + fromMs, connectedAt + toMs);
    // On failure, what the ear heard around the call (packets and tone per second from the connection).
    const heard = [-2, -1, 0, 1, 2, 3, 4, 5].map((s) => `${s}s: ${ear.packetsBetweenTimes(connectedAt + s * 1000, connectedAt + s * 1000 + 1000).packets}/${ear.tonePacketsBetweenTimes(connectedAt + s * 1000, connectedAt + s * 1000 + 1000)}`);
    expect({ tone: tone > (toMs - fromMs) / 20 / 2, heard }).toEqual({ tone: true, heard });
  });
}

test("a caller's REFER is refused and the call goes on with the same agent", async () => {
  const agent2 = await AgentPhone.start({ agent: 'agent2', password: 'demo-agent2', target, behaviour: { kind: 'answer', afterMs: 100 }, audio: 'echo' });
  phones.push(agent2);
  await waitFor('agent2 available', async () => (await agentStatus(t, 'agent2')) === 'available');
  // 2 s into the call (bridged with agent2 by then) the caller REFERs to 5002: refused with 603.
  await talkThrough(callerScenario({ callerNumber: '15551001', script: [{ pauseMs: 2000 }], refer: { to: '5002', expect: 603 }, hangupAfterMs: 3000 }), 2000, 4000);
  expect(agent2.invites()).toBe(1);
  await expectOnlyTheOneCall('COMPLETECALLER agent2');
});

test("a transfer from the agent's phone is refused and the call goes on", async () => {
  const agent2 = await AgentPhone.start({
    agent: 'agent2',
    password: 'demo-agent2',
    target,
    behaviour: { kind: 'answer', afterMs: 100, refer: { afterMs: 1500, to: '5001', expect: 603 } },
    audio: 'echo',
  });
  phones.push(agent2);
  await waitFor('agent2 available', async () => (await agentStatus(t, 'agent2')) === 'available');
  // agent2 REFERs 1.5 s after answering; the caller stays 6.5 s after its own answer.
  await talkThrough(callerScenario({ callerNumber: '15551002', hangupAfterMs: 6500 }), 2000, 4000);
  const refused = parseTrace(agent2.trace()).filter((m) => m.dir === 'in' && m.cseqMethod === 'REFER').map((m) => m.firstLine);
  expect(refused).toEqual([expect.stringMatching(/^SIP\/2.0 603/)]);
  await expectOnlyTheOneCall('COMPLETECALLER agent2');
});
