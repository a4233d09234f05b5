// Ring-all end to end: the ACD test queues (test/fixtures/acd) with billing ringing every free
// agent at once. Two SIPp agent phones ring together; the one that answers takes the call and
// the other phone gets a CANCEL; a caller who hangs up stops both.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { agentStatus, ok, queueLogEvents } from '../support/acd-e2e';
import { AgentPhone, type Behaviour } from '../support/agent-phone';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall, type SippResult } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const password = (agent: string) => `demo-${agent}`;

let t: TestService;
let phones: AgentPhone[] = [];

beforeEach(async () => {
  for (const agent of ['agent3', 'agent4']) await AgentPhone.clearRegistrations({ agent, password: password(agent), target });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-ring-all-'));
  await cp(path.join(ROOT, 'test', 'fixtures', 'acd'), dir, { recursive: true });
  const queues = path.join(dir, 'queues.yaml');
  const text = await readFile(queues, 'utf8');
  // billing (agent3 and agent4) rings everyone; its ring time is long enough to answer in.
  const ringAll = text.replace(/(billing:\n(?:.*\n)*?\s+strategy:) longest-idle\n(\s+)ringTimeout: 3/, '$1 ring-all\n$2ringTimeout: 6');
  if (ringAll === text) throw new Error('test/fixtures/acd/queues.yaml changed: billing could not be made ring-all');
  await writeFile(queues, ringAll);
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: dir });
  await waitReady(t);
});

afterEach(async () => {
  for (const p of phones) await p.stop();
  phones = [];
  await t?.stop();
});

async function phone(agent: string, behaviour: Behaviour): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: password(agent), target, behaviour });
  phones.push(p);
  await waitFor(`${agent} available`, async () => (await agentStatus(t, agent)) === 'available');
  return p;
}

function call(caller: string, hangupAfterMs: number): Promise<SippResult> {
  return placeCall(target, '5003', callerScenario({ callerNumber: caller, hangupAfterMs, byeTimeoutMs: 30_000 }), { rtpPort: 9, timeoutS: 60 });
}

test('both phones ring; the one that answers takes the call and the other stops ringing (CANCEL, no strike)', async () => {
  const p3 = await phone('agent3', { kind: 'no-answer' });
  const p4 = await phone('agent4', { kind: 'answer', afterMs: 1500 });
  const caller = call('15550601', 2000);
  await Promise.all([p3.waitForInvite(), p4.waitForInvite()]);
  // agent4 answers: agent3's phone is cancelled while its 6 s ring time has long to run.
  await p3.waitForCallEnd(1, 4_000);
  expect(p3.calls()[0]).toMatchObject({ answered: false, end: 'cancel-received' });
  expect(p4.calls()[0]).toMatchObject({ answered: true });
  ok(await caller);
  await p4.waitForCallEnd();
  const journal = await t.journal();
  const callId = String(journal.find((e) => e.type === 'queue.entered')?.callId);
  expect(journal.filter((e) => e.callId === callId && ['queue.offered', 'queue.connected', 'queue.ring-stopped', 'queue.ring-no-answer'].includes(e.type)).map((e) => `${e.type} ${String(e.agentId)}`).sort()).toEqual([
    'queue.connected agent4',
    'queue.offered agent3',
    'queue.offered agent4',
    'queue.ring-stopped agent3',
  ]);
  expect(await queueLogEvents(t)).toEqual(expect.arrayContaining(['CONNECT agent4']));
  expect((await queueLogEvents(t)).filter((e) => /RING/.test(e))).toEqual([]);
  // agent3 is free again, without a missed offer counted.
  expect(await agentStatus(t, 'agent3')).toBe('available');
  const raw = await t.redis.get(`${t.prefix}:acd:agent:agent3`);
  expect((JSON.parse(raw!) as { d: { missed: number } }).d.missed).toBe(0);
});

test('the caller hanging up while both ring stops both phones (RINGCANCELED for each)', async () => {
  const p3 = await phone('agent3', { kind: 'no-answer' });
  const p4 = await phone('agent4', { kind: 'no-answer' });
  const caller = call('15550602', 2500);
  await Promise.all([p3.waitForInvite(), p4.waitForInvite()]);
  ok(await caller);
  await Promise.all([p3.waitForCallEnd(1, 4_000), p4.waitForCallEnd(1, 4_000)]);
  expect([p3.calls()[0]?.end, p4.calls()[0]?.end]).toEqual(['cancel-received', 'cancel-received']);
  await waitFor('both agents free', async () => (await agentStatus(t, 'agent3')) === 'available' && (await agentStatus(t, 'agent4')) === 'available');
  await waitFor('the abandon in the queue_log', async () => (await queueLogEvents(t)).includes('ABANDON NONE'));
  expect((await queueLogEvents(t)).filter((e) => /RING|ABANDON/.test(e)).sort()).toEqual(['ABANDON NONE', 'RINGCANCELED agent3', 'RINGCANCELED agent4']);
});
