// Restart without loss: `kill -9` of the service while one call is bridged and two callers wait;
// a new process with the same Redis carries on: the bridged call continues and completes, the
// waiting callers keep their order and get an agent, and no agent is left reserved. A restart
// during an announcement keeps the announcements' schedule, with hold music in between.
import { ok } from '../support/acd-e2e';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { AgentPhone } from '../support/agent-phone';
import { AriObserver, type ObservedEvent } from '../support/ari-observer';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { RtpSink } from '../support/rtp';
import { waitFor } from '../support/net';
import { testServiceEnv } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ariUrl, redisUrl, ROOT, TEST } from '../support/stack';

jest.setTimeout(150_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const prefix = `sbrestart-${randomUUID().slice(0, 8)}`;
let redis: Redis;
const children: ChildProcess[] = [];
const phones: AgentPhone[] = [];

function startService(logFile: { out: string }, fixture = 'acd', keyPrefix = prefix): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { PATH: process.env.PATH ?? '', ...testServiceEnv(keyPrefix, fixture) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (logFile.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logFile.out += d.toString()));
  children.push(child);
  return child;
}

async function events(): Promise<string[]> {
  const rows = await redis.xrange(`${prefix}:queue_log`, '-', '+');
  return rows.map(([, f]) => f[1]!.split('|')).map((l) => `${l[4]} ${l[3]}${l[4] === 'ENTERQUEUE' ? ` ${l[6]}` : ''}`);
}

async function agentDoc(id: string): Promise<{ status: string; callId?: string } | undefined> {
  const raw = await redis.get(`${prefix}:acd:agent:${id}`);
  return raw ? (JSON.parse(raw) as { d: { status: string; callId?: string } }).d : undefined;
}

beforeAll(async () => {
  redis = new Redis(redisUrl());
  for (const agent of ['agent1', 'agent2', 'agent3', 'agent4']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
});

beforeEach(() => clearAsterisk());

afterEach(async () => {
  for (const p of phones.splice(0)) await p.stop();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

afterAll(() => {
  redis.disconnect();
});

test('kill -9 while a call is bridged and two callers wait: nothing is lost', async () => {
  const log1 = { out: '' };
  const first = startService(log1);
  await waitFor('first instance ready', () => /"msg":"ready"/.test(log1.out), 20_000);

  // A support call, bridged with agent2, who hangs up 12 s after answering.
  const agent2 = await AgentPhone.start({ agent: 'agent2', password: 'demo-agent2', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 12_000 } });
  phones.push(agent2);
  await waitFor('agent2 available', async () => (await agentDoc('agent2'))?.status === 'available');
  const bridged = placeCall(target, '5002', callerScenario({ callerNumber: '15550501', byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
  await agent2.waitForInvite(1, 10_000);
  await waitFor('agent2 on the call', async () => (await agentDoc('agent2'))?.status === 'on-call');

  // Two billing callers wait: nobody can take billing calls yet.
  const firstWaiting = placeCall(target, '5003', callerScenario({ callerNumber: '15550502', byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
  await waitFor('first billing caller queued', async () => (await events()).filter((e) => e.startsWith('ENTERQUEUE')).length === 2);
  const secondWaiting = placeCall(target, '5003', callerScenario({ callerNumber: '15550503', byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
  await waitFor('second billing caller queued', async () => (await events()).filter((e) => e.startsWith('ENTERQUEUE')).length === 3);

  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  const log2 = { out: '' };
  startService(log2);
  await waitFor('second instance ready', () => /"msg":"ready"/.test(log2.out), 20_000);
  const reconciled = log2.out.split('\n').find((l) => l.includes('"msg":"ACD reconciled"'));
  expect(JSON.parse(reconciled ?? '{}')).toMatchObject({ waiting: 2, offered: 0, connected: 1, ended: 0 });

  // agent3 arrives: takes the two billing callers in their order, hanging up each after 1 s.
  const agent3 = await AgentPhone.start({ agent: 'agent3', password: 'demo-agent3', target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 1000 } });
  phones.push(agent3);
  ok(await firstWaiting);
  ok(await secondWaiting);
  // The bridged call carried on across the restart and ends when agent2 hangs up.
  ok(await bridged);
  await waitFor('every call completed', async () => (await events()).filter((e) => e.startsWith('COMPLETE')).length === 3, 20_000);
  const ev = await events();
  expect(ev.filter((e) => /^(CONNECT|COMPLETE)/.test(e))).toEqual(['CONNECT agent2', 'CONNECT agent3', 'COMPLETEAGENT agent3', 'CONNECT agent3', 'COMPLETEAGENT agent3', 'COMPLETEAGENT agent2']);
  // Order kept: the first billing caller was connected first.
  const connects = (await redis.xrange(`${prefix}:queue_log`, '-', '+')).map(([, f]) => f[1]!.split('|')).filter((l) => l[4] === 'CONNECT' && l[3] === 'agent3');
  const enters = (await redis.xrange(`${prefix}:queue_log`, '-', '+')).map(([, f]) => f[1]!.split('|')).filter((l) => l[4] === 'ENTERQUEUE' && l[2] === 'billing');
  expect(connects.map((l) => l[1])).toEqual(enters.map((l) => l[1]));
  // Nobody is left reserved or holding a lease.
  for (const id of ['agent2', 'agent3']) expect((await agentDoc(id))?.status).not.toMatch(/reserved|on-call/);
  expect(await redis.zcard(`${prefix}:leases`)).toBe(0);
});

test('kill -9 during an announcement: the next ones keep their schedule, with hold music in between', async () => {
  const annPrefix = `sbrestart-ann-${randomUUID().slice(0, 8)}`;
  const observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
  const ear = await RtpSink.open();
  try {
    const log1 = { out: '' };
    const first = startService(log1, 'faults', annPrefix);
    await waitFor('first instance ready', () => /"msg":"ready"/.test(log1.out), 20_000);
    // billing: nobody can take the call; "you are next" (5.4 s) 2 s after joining, then every 8 s.
    const caller = placeCall(target, '5003', callerScenario({ callerNumber: '15550901', hangupAfterMs: 24_000 }), { rtpPort: ear.port, timeoutS: 60 });
    const isAnn = (e: ObservedEvent) => /-ann-\d+$/.test(String((e.playback as { id: string } | undefined)?.id));
    await observer.waitFor('the first announcement', (e) => e.type === 'PlaybackStarted' && isAnn(e));
    await waitFor('a second into it', async () => observer.events.some((e) => e.type === 'PlaybackStarted' && isAnn(e) && Date.now() - Date.parse(String(e.timestamp)) > 1000));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const log2 = { out: '' };
    startService(log2, 'faults', annPrefix);
    await waitFor('second instance ready', () => /"msg":"ready"/.test(log2.out), 20_000);
    ok(await caller);

    const at = (e: ObservedEvent) => Date.parse(String(e.timestamp));
    const starts = observer.events.filter((e) => e.type === 'PlaybackStarted' && isAnn(e)).map(at);
    const ends = observer.events.filter((e) => e.type === 'PlaybackFinished' && isAnn(e)).map(at);
    expect(starts.length).toBeGreaterThanOrEqual(3); // at 2 s, 10 s, 18 s
    console.log(`announcements across a kill -9: ${starts.slice(1).map((s, i) => `${s - starts[i]!} ms apart, ${s - ends[i]!} ms of music before`).join('; ')}`);
    for (let i = 1; i < starts.length; i++) {
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(7_500); // every 8 s, across the restart too
      // Between two announcements the caller hears hold music (Asterisk sends no RTP while nothing plays).
      expect(starts[i]! - ends[i - 1]!).toBeGreaterThan(1_500);
      expect(ear.packetsBetweenTimes(ends[i - 1]! + 300, starts[i]! - 300).packets).toBeGreaterThan(30);
    }
    await expectNothingLeftBehind(redis, annPrefix);
  } finally {
    await ear.close();
    observer.close();
  }
});
