// IVR end to end: SIPp callers press keys (RFC 4733) through Asterisk 22; flows from
// test/fixtures/ivr route them to queues and agents, look customers up in a fake CRM the test
// runs, take voicemail when closed, and keep a card number collected as sensitive out of every
// record.
import { ok } from '../support/acd-e2e';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AgentPhone } from '../support/agent-phone';
import { AriObserver } from '../support/ari-observer';
import { expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { startTestService, waitReady, type JournalEvent, type TestService } from '../support/service';
import { callerScenario, placeCall, type CallerOptions, type SippResult } from '../support/sipp';
import { ariUrl, ROOT, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
let t: TestService;
let crm: Server;
let crmMode: 'ok' | 'slow' | 'down' = 'ok';
let queueLog: string;
const phones: AgentPhone[] = [];

/** The fake CRM: account 123456 is a VIP, anything else a regular customer; can be slow or refuse. */
async function startCrm(): Promise<Server> {
  const server = createServer((req, res) => {
    const account = new URL(req.url ?? '/', 'http://x').searchParams.get('account');
    const answer = () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ customer: { account, vip: account === '123456' } }));
    };
    if (crmMode === 'down') req.socket.destroy();
    else if (crmMode === 'slow') setTimeout(answer, 3000); // past the lookup's 1 s timeout
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

beforeAll(async () => {
  for (const agent of ['agent1', 'agent2', 'agent3', 'agent4']) await AgentPhone.clearRegistrations({ agent, password: `demo-${agent}`, target });
  crm = await startCrm();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sb-ivr-'));
  await cp(path.join(ROOT, 'test', 'fixtures', 'ivr'), dir, { recursive: true });
  const flows = path.join(dir, 'flows.yaml');
  await writeFile(flows, (await readFile(flows, 'utf8')).replace('127.0.0.1:18081', `127.0.0.1:${(crm.address() as AddressInfo).port}`));
  queueLog = path.join(dir, 'queue_log');
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: dir, SWITCHBOARD_QUEUE_LOG: queueLog });
  await waitReady(t);
});

// Phones belong to the test that started them: later tests expect no agent to answer.
afterEach(async () => {
  for (const p of phones.splice(0)) await p.stop();
});

afterAll(async () => {
  // SB_TEST_DUMP_LOGS=<folder>: keep the service log (JSON lines) for debugging.
  if (process.env.SB_TEST_DUMP_LOGS && t) await writeFile(path.join(process.env.SB_TEST_DUMP_LOGS, 'ivr.log'), t.logs.map((l) => JSON.stringify(l)).join('\n'));
  for (const p of phones) await p.stop();
  await t?.stop();
  crm?.close();
});

function call(number: string, caller: string, o: CallerOptions): Promise<SippResult> {
  return placeCall(target, number, callerScenario({ callerNumber: caller, byeTimeoutMs: 30_000, ...o }), { rtpPort: 9, timeoutS: 90 });
}

/** The journal lines of the call from `caller`. */
async function journalOf(caller: string): Promise<JournalEvent[]> {
  const all = await t.journal();
  const callId = all.find((r) => r.type === 'call.arrived' && r.callerId === caller)?.callId;
  return all.filter((r) => r.callId === callId);
}

async function enteredQueue(caller: string): Promise<string | undefined> {
  const j = await journalOf(caller);
  const q = j.find((r) => r.type === 'ivr.queued');
  return q ? String(q.queue) : undefined;
}

async function phone(agent: string): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: `demo-${agent}`, target, behaviour: { kind: 'answer', afterMs: 100, hangupAfterMs: 300 } });
  phones.push(p);
  return p;
}

test('each branch reaches its queue and an agent: 1 sales, 3 + account (VIP lookup) billing, 0 sales, three wrong keys sales', async () => {
  const sales = await phone('agent1');
  const billing = await phone('agent3');
  await waitFor('agents in', async () => (await t.redis.get(`${t.prefix}:acd:agent:agent3`))?.includes('"available"'));

  ok(await call('5000', '15551001', { script: [{ pauseMs: 300 }, { keys: '1' }] }));
  expect(await enteredQueue('15551001')).toBe('sales');
  await sales.waitForInvite(1);

  ok(await call('5000', '15551002', { script: [{ pauseMs: 300 }, { keys: '3' }, { pauseMs: 300 }, { keys: '123456#' }] }));
  expect(await enteredQueue('15551002')).toBe('billing');
  await billing.waitForInvite(1);
  const lookup = (await journalOf('15551002')).find((r) => r.type === 'ivr.lookup');
  expect(lookup).toMatchObject({ ok: true });
  expect((await journalOf('15551002')).some((r) => r.type === 'ivr.step' && r.step === 'vip')).toBe(true);

  ok(await call('5000', '15551003', { script: [{ pauseMs: 300 }, { keys: '0' }] }));
  expect(await enteredQueue('15551003')).toBe('sales');

  // Wrong keys: the retry prompt each time, then the fallback to sales after the last try.
  ok(await call('5000', '15551004', { script: [{ pauseMs: 300 }, { keys: '7' }, { pauseMs: 1500 }, { keys: '2' }, { pauseMs: 1500 }, { keys: '6' }] }));
  expect(await enteredQueue('15551004')).toBe('sales');
  expect((await journalOf('15551004')).filter((r) => r.type === 'ivr.retry' && r.why === 'invalid')).toHaveLength(3);
});

test('silence: the menu times out three times, then the call goes to sales', async () => {
  ok(await call('5000', '15551005', { hangupAfterMs: 14_000 }));
  const j = await journalOf('15551005');
  expect(j.filter((r) => r.type === 'ivr.retry' && r.why === 'no-input')).toHaveLength(3);
  expect(await enteredQueue('15551005')).toBe('sales');
});

test('9 switches the call to Spanish: the menu is played in es', async () => {
  const observer = await AriObserver.connect(ariUrl(), TEST.ARI_USER, TEST.ARI_PASSWORD);
  try {
    ok(await call('5000', '15551006', { script: [{ pauseMs: 300 }, { keys: '9' }, { pauseMs: 500 }], hangupAfterMs: 500 }));
    const langs = observer.events.filter((e) => e.type === 'PlaybackStarted').map((e) => (e.playback as { language?: string }).language);
    expect(langs).toContain('es');
  } finally {
    observer.close();
  }
});

test('a lookup whose server is down or slow takes the failure branch within its timeout', async () => {
  for (const mode of ['down', 'slow'] as const) {
    crmMode = mode;
    const caller = mode === 'down' ? '15551007' : '15551008';
    ok(await call('5000', caller, { script: [{ pauseMs: 300 }, { keys: '3' }, { pauseMs: 300 }, { keys: '123456#' }, { pauseMs: 2500 }], hangupAfterMs: 500 }));
    const j = await journalOf(caller);
    const collected = j.find((r) => r.type === 'ivr.collected');
    const looked = j.find((r) => r.type === 'ivr.lookup');
    expect(looked).toMatchObject({ ok: false });
    expect(Number(looked!.at) - Number(collected!.at)).toBeLessThan(1500); // the lookup's timeout is 1 s
    expect(await enteredQueue(caller)).toBe('billing');
    expect(j.some((r) => r.type === 'ivr.step' && r.step === 'vip')).toBe(false);
  }
  crmMode = 'ok';
});

test('closed hours: the closed message, a beep, and a stored voicemail file', async () => {
  ok(await call('5099', '15551009', { codec: 'pcma', script: [{ pauseMs: 3500 }, { speech: true }], hangupAfterMs: 200 }));
  const ids = await waitFor('the voicemail', async () => {
    const v = await t.redis.zrange(`${t.prefix}:voicemails`, '0', '-1');
    return v.length > 0 ? v : undefined;
  }, 15_000);
  const meta = JSON.parse((await t.redis.get(`${t.prefix}:voicemail:${ids[0]}`))!) as { mailbox: string; callerId: string; durationS: number; file: string };
  expect(meta).toMatchObject({ mailbox: 'general', callerId: '15551009' });
  expect(meta.durationS).toBeGreaterThan(3);
  const root = process.env.SWITCHBOARD_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'switchboard');
  const file = path.join(root, 'asterisk22-sid-root', 'srv', 'switchboard', 'test', 'spool', 'recording', meta.file);
  expect(existsSync(file)).toBe(true);
  expect(statSync(file).size).toBeGreaterThan(16_000); // > 1 s of 8 kHz 16-bit audio
});

test('a card number collected as sensitive is found nowhere afterwards; hanging up mid-flow leaves no timer', async () => {
  const card = '4111111111111111';
  ok(await call('5000', '15551010', { script: [{ pauseMs: 300 }, { keys: '4' }, { pauseMs: 300 }, { keys: card }] }));
  const j = await journalOf('15551010');
  expect(j.some((r) => r.type === 'ivr.step' && r.step === 'thanks')).toBe(true); // it was valid
  const needles = [card, card.slice(0, 8), card.slice(4, 12)];
  const haystacks: Array<[string, string]> = [['logs', JSON.stringify(t.logs)], ['queue_log file', existsSync(queueLog) ? await readFile(queueLog, 'utf8') : '']];
  for (const key of await t.redis.keys(`${t.prefix}:*`)) {
    const type = await t.redis.type(key);
    const value =
      type === 'string' ? await t.redis.get(key)
      : type === 'hash' ? JSON.stringify(await t.redis.hgetall(key))
      : type === 'zset' ? JSON.stringify(await t.redis.zrange(key, '0', '-1'))
      : type === 'set' ? JSON.stringify(await t.redis.smembers(key))
      : type === 'stream' ? JSON.stringify(await t.redis.xrange(key, '-', '+'))
      : type === 'list' ? JSON.stringify(await t.redis.lrange(key, 0, -1))
      : '';
    haystacks.push([`redis ${key}`, value ?? '']);
  }
  for (const [where, text] of haystacks) for (const n of needles) expect({ where, found: text.includes(n) }).toEqual({ where, found: false });
  // What the flow derived is kept: valid, and the last four digits.
  const callId = j[0]!.callId!;
  expect(JSON.parse((await t.redis.get(`${t.prefix}:call:${callId}`))!).ivr.vars).toEqual({ card_valid: 'yes', card_last4: '1111' });

  // A caller who hangs up while the menu waits leaves no timer behind.
  ok(await call('5000', '15551011', { hangupAfterMs: 1500 }));
  const gone = (await journalOf('15551011'))[0]!.callId!;
  await waitFor('the call to end', async () => (await journalOf('15551011')).some((r) => r.type === 'call.ended'));
  const timers = await t.redis.zrange(`${t.prefix}:timers`, '0', '-1');
  expect(timers.filter((id) => id.startsWith(gone))).toEqual([]);
});

test('post-call survey: after the agent hangs up, the caller rates the call by keypad and the rating is kept', async () => {
  const sales = await phone('agent1');
  await waitFor('agent1 in', async () => (await t.redis.get(`${t.prefix}:acd:agent:agent1`))?.includes('"available"'));
  // 5 → sales with a survey; the agent answers and hangs up after 0.3 s; the survey asks; the caller presses 4.
  ok(await call('5000', '15551012', { script: [{ pauseMs: 300 }, { keys: '5' }, { pauseMs: 2500 }, { keys: '4' }] }));
  await sales.waitForCallEnd(1);
  const j = await journalOf('15551012');
  expect(j.some((r) => r.type === 'ivr.started' && r.flow === 'survey')).toBe(true);
  expect(j.some((r) => r.type === 'survey.started' && r.flow === 'survey')).toBe(true);
  const rating = j.find((r) => r.type === 'ivr.collected');
  expect(rating).toMatchObject({ flow: 'survey', step: 'rate', variable: 'rating', input: { sensitive: false, value: '4' } });
  expect(JSON.parse((await t.redis.get(`${t.prefix}:call:${j[0]!.callId}`))!).ivr.vars.rating).toBe('4');
});

test('dial: 8 rings the configured operator desk and connects the caller; no answer falls back to voicemail', async () => {
  const desk = await AgentPhone.start({ agent: 'agent2', password: 'demo-agent2', target, behaviour: { kind: 'answer', afterMs: 200, hangupAfterMs: 1000 } });
  phones.push(desk);
  ok(await call('5000', '15551013', { script: [{ pauseMs: 300 }, { keys: '8' }] })); // the desk hangs up after 1 s: BYE to the caller
  expect(desk.answered()).toBe(1);
  expect((await journalOf('15551013')).filter((r) => r.type === 'ivr.dial').map((r) => r.outcome)).toEqual(['ringing', 'answered']);
  await desk.stop();
  // Nobody there (not registered): the dial fails and the flow goes to its failure step.
  ok(await call('5000', '15551014', { script: [{ pauseMs: 300 }, { keys: '8' }, { pauseMs: 1500 }], hangupAfterMs: 500 }));
  const j = await journalOf('15551014');
  expect(j.some((r) => r.type === 'ivr.dial' && r.outcome === 'failed')).toBe(true);
  expect(j.some((r) => r.type === 'ivr.step' && r.step === 'closed')).toBe(true);
  await expectNothingLeftBehind(t.redis, t.prefix); // the dial's bridge went with the call
});

