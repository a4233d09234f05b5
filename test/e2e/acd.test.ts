// The ACD end to end: SIPp callers and SIPp agent phones (registered with digest auth) through
// Asterisk 22 to Switchboard. Queues and agents are the demo's, with short timers
// (test/fixtures/acd: ring 3 s, wrap-up 2 s, two missed offers pause an agent).
import { ok } from '../support/acd-e2e';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentPhone, type Behaviour } from '../support/agent-phone';
import { AriObserver } from '../support/ari-observer';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall, type SippResult } from '../support/sipp';
import { ariUrl, ROOT, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const AGENTS = ['agent1', 'agent2', 'agent3', 'agent4'];
const password = (agent: string) => `demo-${agent}`;

let t: TestService;
let queueLogFile: string;
let phones: AgentPhone[] = [];

beforeEach(async () => {
  // Registrations outlive a test in Asterisk's database: every test starts with no phone registered.
  for (const agent of AGENTS) await AgentPhone.clearRegistrations({ agent, password: password(agent), target });
  queueLogFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'sb-acd-')), 'queue_log');
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', 'acd'), SWITCHBOARD_QUEUE_LOG: queueLogFile });
  await waitReady(t);
});

afterEach(async () => {
  // SB_TEST_DUMP_LOGS=<folder>: keep each test's service log there (JSON lines) for debugging.
  if (process.env.SB_TEST_DUMP_LOGS && t) {
    const name = expect.getState().currentTestName?.replace(/[^a-z0-9]+/gi, '-').slice(0, 60) ?? 'test';
    await writeFile(path.join(process.env.SB_TEST_DUMP_LOGS, `${name}.log`), t.logs.map((l) => JSON.stringify(l)).join('\n'));
  }
  for (const p of phones) await p.stop();
  phones = [];
  await t?.stop();
});

async function phone(agent: string, behaviour: Behaviour, audio: 'silence' | 'pcap' = 'silence'): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: password(agent), target, behaviour, audio });
  phones.push(p);
  return p;
}

/** queue_log lines from the Redis stream, as "EVENT agent callId-free data". */
async function qlog(): Promise<string[][]> {
  const rows = await t.redis.xrange(`${t.prefix}:queue_log`, '-', '+');
  return rows.map(([, f]) => f[1]!.split('|'));
}
const events = async (filter?: RegExp) => (await qlog()).map((l) => `${l[4]} ${l[3]}`).filter((e) => !filter || filter.test(e));

async function agentState(id: string): Promise<Record<string, unknown> | undefined> {
  const raw = await t.redis.get(`${t.prefix}:acd:agent:${id}`);
  return raw ? (JSON.parse(raw) as { d: Record<string, unknown> }).d : undefined;
}

/** Waits until the agent is logged in and reachable (the auto-login after registration). */
async function available(id: string): Promise<void> {
  await waitFor(`${id} available`, async () => {
    const s = await agentState(id);
    return s?.status === 'available' && s.reachable === true;
  });
}

function call(number: string, caller: string, opts: { hangupAfterMs?: number; byeTimeoutMs?: number; rtpPort?: number } = {}): Promise<SippResult> {
  return placeCall(target, number, callerScenario({ callerNumber: caller, hangupAfterMs: opts.hangupAfterMs, byeTimeoutMs: opts.byeTimeoutMs ?? 60_000 }), { rtpPort: opts.rtpPort ?? 9, timeoutS: 90 });
}

test('the right agent gets the call by skill and strategy, and caller and agent hear each other', async () => {
  const p3 = await phone('agent3', { kind: 'answer', afterMs: 200 });
  await available('agent3');
  const p4 = await phone('agent4', { kind: 'answer', afterMs: 200 });
  const p2 = await phone('agent2', { kind: 'answer', afterMs: 200 }, 'pcap');
  await available('agent4');
  await available('agent2');

  // support: internet, most-skilled → agent2 (internet 9) over agent4 (internet 4).
  const ear = await RtpSink.open();
  try {
    ok(await call('5002', '15550401', { hangupAfterMs: 3000, rtpPort: ear.port }));
    expect(ear.seconds).toBeGreaterThan(1); // the agent's audio reached the caller through the bridge
  } finally {
    await ear.close();
  }
  expect([p2.answered(), p4.invites()]).toEqual([1, 0]);

  // billing: longest-idle between agent3 (registered first) and agent4 → agent3.
  ok(await call('5003', '15550402', { hangupAfterMs: 1000 }));
  expect([p3.answered(), p4.invites()]).toEqual([1, 0]);

  await waitFor('both calls completed', async () => (await events(/COMPLETECALLER/)).length === 2);
  expect(await events(/CONNECT|COMPLETE/)).toEqual(['CONNECT agent2', 'COMPLETECALLER agent2', 'CONNECT agent3', 'COMPLETECALLER agent3']);
  // The same lines reach the queue_log file, in Asterisk's format.
  const file = (await readFile(queueLogFile, 'utf8')).trim().split('\n');
  expect(file.some((l) => /^\d+\|[^|]+\|support\|agent2\|CONNECT\|\d+\|[^|]+-leg-1\|\d+$/.test(l))).toBe(true);
});

test('no answer moves the call to the next agent; N missed offers pause the agent with no-answer', async () => {
  const p1 = await phone('agent1', { kind: 'no-answer' });
  await available('agent1');
  const p4 = await phone('agent4', { kind: 'answer', afterMs: 200 });
  await available('agent4');

  // sales, longest-idle: agent1 first; it does not answer within 3 s; agent4 takes the call.
  // (The caller stays on for 6 s: the 3 s ring timeout, then agent4's answer and a short talk.)
  ok(await call('5001', '15550411', { hangupAfterMs: 6000 }));
  expect([p1.invites(), p4.answered()]).toEqual([1, 1]);
  expect(await agentState('agent1')).toMatchObject({ status: 'available', missed: 1 });

  // agent4 is in wrap-up; the next call goes to agent1, who misses again: paused with no-answer.
  await waitFor('agent4 back from wrap-up', async () => (await agentState('agent4'))?.status === 'available', 10_000);
  await t.service.acd.agentCommand('agent4', 'pause', 'break');
  const caller = call('5001', '15550412', { byeTimeoutMs: 30_000, hangupAfterMs: 5000 });
  await waitFor('agent1 paused', async () => (await agentState('agent1'))?.status === 'paused', 15_000);
  expect(await agentState('agent1')).toMatchObject({ status: 'paused', pauseReason: 'no-answer', missed: 2 });
  ok(await caller);
  expect(await events(/ENTERQUEUE|RINGNOANSWER|CONNECT|PAUSE/)).toEqual([
    'ENTERQUEUE NONE',
    'RINGNOANSWER agent1',
    'CONNECT agent4',
    // Paused in every queue at once: PAUSEALL, then a PAUSE per queue the agent serves (agent4: sales, support, billing).
    'PAUSEALL agent4',
    'PAUSE agent4',
    'PAUSE agent4',
    'PAUSE agent4',
    'ENTERQUEUE NONE',
    'RINGNOANSWER agent1',
    'PAUSEALL agent1',
    'PAUSE agent1',
  ]);
  expect((await qlog()).find((l) => l[4] === 'PAUSE' && l[3] === 'agent1')?.[5]).toBe('no-answer');
  expect(p1.invites()).toBe(2);
});

test('abandon while waiting and while the agent rings', async () => {
  // Waiting: nobody can take billing calls.
  ok(await call('5003', '15550421', { hangupAfterMs: 1500 }));
  await waitFor('ABANDON', async () => (await events(/ABANDON/)).length === 1);

  // Ringing: agent3 does not answer; the caller gives up after 1.5 s (ring timeout is 3 s).
  const p3 = await phone('agent3', { kind: 'no-answer' });
  await available('agent3');
  ok(await call('5003', '15550422', { hangupAfterMs: 1500 }));
  await p3.waitForCallEnd(1, 10_000);
  expect(p3.calls()[0]?.end).toBe('cancel-received');
  await waitFor('second ABANDON', async () => (await events(/ABANDON/)).length === 2);
  expect(await agentState('agent3')).toMatchObject({ status: 'available', missed: 0 });
  expect(await events(/RINGNOANSWER/)).toEqual([]);
});

test('wrap-up is respected before the next call', async () => {
  const p2 = await phone('agent2', { kind: 'answer', afterMs: 100 });
  await available('agent2');
  ok(await call('5002', '15550431', { hangupAfterMs: 500 }));
  await waitFor('agent2 in wrap-up', async () => (await agentState('agent2'))?.status === 'wrap-up');
  const endedAt = Date.now();
  // This caller stays on past the 2 s wrap-up.
  const second = call('5002', '15550432', { hangupAfterMs: 4000 });
  await waitFor('the second call queued', async () => (await events(/ENTERQUEUE/)).length === 2);
  expect([p2.invites(), (await agentState('agent2'))?.status]).toEqual([1, 'wrap-up']);
  await p2.waitForInvite(2, 10_000);
  expect(Date.now() - endedAt).toBeGreaterThanOrEqual(1500); // wrap-up is 2 s
  ok(await second);
});

test('an unregistered agent is never rung; it is rung once its phone registers', async () => {
  const observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
  try {
    // Logged in by hand while the phone is not registered: available but unreachable.
    await t.service.acd.agentCommand('agent3', 'login');
    expect(await agentState('agent3')).toMatchObject({ status: 'available', reachable: false });
    const caller = call('5003', '15550441', { byeTimeoutMs: 30_000, hangupAfterMs: 1000 });
    await waitFor('the call queued', async () => (await events(/ENTERQUEUE/)).length === 1);
    await t.service.acd.sweep();
    expect(observer.events.filter((e) => e.type === 'ChannelCreated' && String((e.channel as { id: string }).id).includes('-leg-'))).toEqual([]);
    const p3 = await phone('agent3', { kind: 'answer', afterMs: 100 });
    await p3.waitForInvite(1, 10_000);
    ok(await caller);
    expect(await events(/CONNECT/)).toEqual(['CONNECT agent3']);
  } finally {
    observer.close();
  }
});

test('a waiting caller hears hold music and announcements', async () => {
  const observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
  const ear = await RtpSink.open();
  try {
    ok(await call('5001', '15550451', { hangupAfterMs: 4500, rtpPort: ear.port }));
    const played = observer.events.filter((e) => e.type === 'PlaybackStarted').map((e) => (e.playback as { media_uri: string }).media_uri);
    // Nobody is staffed, so there is a position ("you are next") and no wait estimate.
    expect(played).toEqual(['sound:queue-youarenext']);
    // Hold music from the start: the announcement comes 2 s after the caller queued, and in the
    // 1.5 s before it Asterisk already streams sound. A channel with nothing playing sends no RTP,
    // so packets there are the music. Judged by presence, not loudness: a randomly chosen track
    // may open with a quiet fade-in.
    const announced = observer.events.find((e) => e.type === 'PlaybackStarted');
    const at = Date.parse(String(announced?.timestamp));
    const before = ear.packetsBetweenTimes(at - 1500, at);
    expect(before.packets).toBeGreaterThan(50); // 75 at 20 ms a packet
    expect(before.nonSilent).toBeGreaterThan(25);
    expect(ear.seconds).toBeGreaterThan(4);
  } finally {
    await ear.close();
    observer.close();
  }
});
