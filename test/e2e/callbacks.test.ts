// Callbacks end to end: scheduled through the API, the agent's phone rung first (a SIPp phone
// registered as the agent), then the customer through the "carrier" trunk (a SIPp phone on the
// test profile's CARRIER_PORT), bridged with media both ways; a busy customer retried after the
// delay with the agent free in between; a callback's place ahead of later callers; its preferred
// agent first. Queues: test/fixtures/callbacks (billing: 2 attempts 2 s apart, window 6 s).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { asteriskRtpFor, ok, queueLogEvents } from '../support/acd-e2e';
import { ariGet, clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { AgentPhone, type Behaviour } from '../support/agent-phone';
import { waitFor } from '../support/net';
import { RtpSink } from '../support/rtp';
import { startTestService, waitReady, type TestService } from '../support/service';
import { callerScenario, placeCall } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(120_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const AGENTS = ['agent1', 'agent2', 'agent3', 'agent4'];
const password = (agent: string) => `demo-${agent}`;
const ADMIN = 'admin-token-for-callback-tests';
const AGENT3 = 'agent3-token-for-callback-tests';

let t: TestService;
let phones: AgentPhone[] = [];
let ears: RtpSink[] = [];

beforeEach(async () => {
  await clearAsterisk(); // what an earlier failed test left must not steer this one
  for (const agent of AGENTS) await AgentPhone.clearRegistrations({ agent, password: password(agent), target });
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: `${__dirname}/../fixtures/callbacks`, SWITCHBOARD_API_TOKENS: `admin:${ADMIN},agent:${AGENT3}:agent3` });
  await waitReady(t);
});

afterEach(async () => {
  try {
    // Every call a test made is over, in Asterisk and in Redis, before its phones go away.
    if (t) await expectNothingLeftBehind(t.redis, t.prefix);
  } finally {
    for (const p of phones) await p.stop();
    for (const e of ears) await e.close();
    phones = [];
    ears = [];
    await t?.stop();
  }
});

async function ear(): Promise<RtpSink> {
  const e = await RtpSink.open();
  e.speak(() => asteriskRtpFor(e.port));
  ears.push(e);
  return e;
}

async function agentPhone(agent: string, behaviour: Behaviour, rtpPort?: number): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: password(agent), target, behaviour, rtpPort });
  phones.push(p);
  await waitFor(`${agent} available`, async () => (await agentState(agent))?.status === 'available' && (await agentState(agent))?.reachable === true);
  return p;
}

/** The customer's phone on the demo carrier's port (not registered: the trunk's contact points there). */
async function customerPhone(behaviour: Behaviour, rtpPort?: number): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent: 'customer', password: '-', target, behaviour, register: false, port: Number(TEST.CARRIER_PORT), rtpPort });
  phones.push(p);
  return p;
}

async function agentState(id: string): Promise<Record<string, unknown> | undefined> {
  const raw = await t.redis.get(`${t.prefix}:acd:agent:${id}`);
  return raw ? (JSON.parse(raw) as { d: Record<string, unknown> }).d : undefined;
}

async function api(method: string, path: string, body?: unknown, token = ADMIN): Promise<{ status: number; json: Record<string, unknown>; type: string }> {
  const res = await fetch(`http://127.0.0.1:${t.service.httpPort}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, type: res.headers.get('content-type') ?? '' };
}

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

async function callbackState(id: string): Promise<string | undefined> {
  const r = await api('GET', `/api/v1/callbacks/${id}`);
  return (r.json.callback as { state?: string } | undefined)?.state;
}

const journalTypes = async (prefix: string) => (await t.journal()).filter((e) => String(e.type).startsWith(prefix)).map((e) => e.type);

test('a scheduled callback rings the agent first, then the customer through the trunk; the two hear each other', async () => {
  const agentEar = await ear();
  const customerEar = await ear();
  const agent = await agentPhone('agent3', { kind: 'answer', afterMs: 200 }, agentEar.port);
  const customer = await customerPhone({ kind: 'answer', afterMs: 300, hangupAfterMs: 3000 }, customerEar.port);

  const created = await api('POST', '/api/v1/callbacks', { number: '15550100', queue: 'billing', at: inSeconds(1), note: 'invoice 42' });
  expect(created.status).toBe(201);
  const id = created.json.id as string;

  // The agent's phone sees it is a callback (screen-pop variables on the agent leg).
  await agent.waitForInvite(1, 15_000);
  const leg = `cb-${id}-leg-1`;
  const variable = async (name: string) => (await ariGet<{ value: string }>(`/channels/${leg}/variable?variable=${name}`)).value;
  expect([await variable('SWITCHBOARD_CALLBACK'), await variable('SWITCHBOARD_CALLBACK_ID'), await variable('SWITCHBOARD_CALLER')]).toEqual(['1', id, '15550100']);
  await customer.waitForCallEnd(1, 20_000);
  expect(agent.answered()).toBe(1);
  expect(customer.answered()).toBe(1);
  await waitFor('callback connected', async () => (await callbackState(id)) === 'connected');
  // Both directions through the bridge (3 s of talk): each phone's RTP reached the other's ear as the tone it spoke.
  expect(agentEar.tonePacketsBetweenTimes(0, Date.now())).toBeGreaterThan(50);
  expect(customerEar.tonePacketsBetweenTimes(0, Date.now())).toBeGreaterThan(50);

  await waitFor('call completed', async () => (await journalTypes('queue.')).includes('queue.completed'));
  expect(await journalTypes('callback.')).toEqual(['callback.requested', 'callback.offered', 'callback.dialling', 'callback.connected']);
  const lines = await queueLogEvents(t);
  expect(lines.filter((l) => /CALLBACK|ENTERQUEUE|CONNECT|COMPLETE/.test(l))).toEqual(['CALLBACKREQ NONE', 'ENTERQUEUE NONE', 'CONNECT agent3', 'CALLBACKCONNECT agent3', 'COMPLETECALLER agent3']);
  // The agent was rung before the customer: the customer leg is made only once the agent answered.
  const journal = await t.journal();
  const at = (type: string) => journal.find((e) => e.type === type)?.at as number;
  expect(at('callback.offered')).toBeLessThan(at('callback.dialling'));
  // Nothing but the record is left: no queue entry, no pending index, no job waiting.
  expect(await t.redis.exists(`${t.prefix}:acd:entry:cb-${id}`, `${t.prefix}:cb:open:billing:15550100`)).toBe(0);
  expect(await t.redis.zcard(`${t.prefix}:bull:callbacks:delayed`)).toBe(0);
});

test('a busy customer is retried after the delay; the agent is free in between and no call is counted for the failed attempt', async () => {
  const agent = await agentPhone('agent3', { kind: 'answer', afterMs: 100 });
  const customer = await customerPhone({ kind: 'busy' });
  const created = await api('POST', '/api/v1/callbacks', { number: '15550101', queue: 'billing', at: inSeconds(1) });
  const id = created.json.id as string;

  await customer.waitForCallEnd(1, 15_000);
  await waitFor('retry scheduled', async () => (await callbackState(id)) === 'retry-wait');
  await waitFor('agent3 free again', async () => (await agentState('agent3'))?.status === 'available');
  expect(await agentState('agent3')).toMatchObject({ callsTaken: 0 });
  await customer.setBehaviour({ kind: 'answer', afterMs: 100, hangupAfterMs: 1000 });

  await waitFor('callback connected on the second attempt', async () => (await callbackState(id)) === 'connected', 20_000);
  expect([agent.invites(), customer.invites()]).toEqual([2, 2]);
  const journal = await t.journal();
  const retry = journal.find((e) => e.type === 'callback.retry-scheduled')!;
  expect(retry).toMatchObject({ reason: 'busy', attempt: 1 });
  // The second attempt came no sooner than the configured 2 s after the first failed.
  const second = journal.filter((e) => e.type === 'callback.dialling')[1]!;
  expect((second.at as number) - (retry.at as number)).toBeGreaterThanOrEqual(2000);
  expect(journal.find((e) => e.type === 'callback.connected')).toMatchObject({ attempt: 2 });
  await customer.waitForCallEnd(2, 10_000);
});

test('a callback waiting in line survives a restart of Switchboard: the new instance rings the agent and dials the customer once', async () => {
  const customer = await customerPhone({ kind: 'answer', afterMs: 100, hangupAfterMs: 1000 });
  const agent = await agentPhone('agent3', { kind: 'answer', afterMs: 100 });
  await t.service.acd.agentCommand('agent3', 'pause', 'break');
  const id = (await api('POST', '/api/v1/callbacks', { number: '15550106', queue: 'billing', at: inSeconds(1) })).json.id as string;
  await waitFor('callback waiting in line', async () => (await callbackState(id)) === 'waiting');
  const prefix = t.prefix;
  await t.stop();
  // The same Redis keys, a new process: records, the queue entry and the agent's state are all there.
  const next = await startTestService({ SWITCHBOARD_CONFIG_DIR: `${__dirname}/../fixtures/callbacks`, SWITCHBOARD_API_TOKENS: `admin:${ADMIN}`, SWITCHBOARD_KEY_PREFIX: prefix });
  t = { ...next, prefix };
  await waitReady(t);
  await t.service.acd.agentCommand('agent3', 'ready');
  await waitFor('callback connected by the new instance', async () => (await callbackState(id)) === 'connected', 20_000);
  await customer.waitForCallEnd(1, 10_000);
  expect([agent.invites(), customer.invites()]).toEqual([1, 1]);
});

test('the customer never answers: the attempts are used up, the callback fails with its reason, nothing else is left', async () => {
  await agentPhone('agent3', { kind: 'answer', afterMs: 100 });
  const customer = await customerPhone({ kind: 'no-answer' });
  const id = (await api('POST', '/api/v1/callbacks', { number: '15550102', queue: 'billing', at: inSeconds(1) })).json.id as string;
  await waitFor('callback failed', async () => (await callbackState(id)) === 'failed', 30_000);
  expect(customer.invites()).toBe(2);
  const journal = await t.journal();
  expect(journal.find((e) => e.type === 'callback.failed')).toMatchObject({ reason: 'no-answer', attempt: 2 });
  await waitFor('agent3 available', async () => (await agentState('agent3'))?.status === 'available');
  const keys = await t.redis.keys(`${t.prefix}:cb:*`);
  expect(keys.sort()).toEqual([`${t.prefix}:cb:${id}`, `${t.prefix}:cb:all`].sort());
  expect(await t.redis.exists(`${t.prefix}:acd:entry:cb-${id}`)).toBe(0);
  // No job in BullMQ in any state (its own bookkeeping keys aside).
  const jobs = await Promise.all(['wait', 'active', 'delayed', 'completed', 'failed', 'prioritized'].map(async (s) => (await t.redis.type(`${t.prefix}:bull:callbacks:${s}`)) === 'none' ? 0 : (await t.redis.type(`${t.prefix}:bull:callbacks:${s}`)) === 'list' ? t.redis.llen(`${t.prefix}:bull:callbacks:${s}`) : t.redis.zcard(`${t.prefix}:bull:callbacks:${s}`)));
  expect(jobs).toEqual([0, 0, 0, 0, 0, 0]);
  expect(await t.redis.keys(`${t.prefix}:bull:callbacks:cb-*`)).toEqual([]);
});

test('a callback keeps its place ahead of a caller who came later, and goes to its preferred agent first', async () => {
  const customer = await customerPhone({ kind: 'answer', afterMs: 100, hangupAfterMs: 1500 });
  // agent4 would be first by longest idle; the callback names agent3, who is paused for now.
  await agentPhone('agent3', { kind: 'answer', afterMs: 100 });
  await t.service.acd.agentCommand('agent3', 'pause', 'break');
  const p4 = await agentPhone('agent4', { kind: 'answer', afterMs: 100, hangupAfterMs: 1500 });
  await t.service.acd.agentCommand('agent4', 'pause', 'break');

  const id = (await api('POST', '/api/v1/callbacks', { number: '15550103', queue: 'billing', at: inSeconds(1), agent: 'agent3' }, AGENT3)).json.id as string;
  await waitFor('callback waiting', async () => (await callbackState(id)) === 'waiting');
  const caller = placeCall(target, '5003', callerScenario({ callerNumber: '15550999', byeTimeoutMs: 30_000 }), { rtpPort: 9, timeoutS: 60 });
  await waitFor('caller queued', async () => (await journalTypes('queue.entered')).length === 2);

  // agent4 is ready first, inside agent3's window: the callback is not theirs yet, the later caller is.
  await t.service.acd.agentCommand('agent4', 'ready');
  await p4.waitForInvite(1);
  const offered = async () => (await t.journal()).filter((e) => e.type === 'queue.offered').map((e) => `${String(e.callId).startsWith('cb-') ? 'callback' : 'caller'} ${e.agentId}`);
  expect(await offered()).toEqual(['caller agent4']);
  ok(await caller);

  await t.service.acd.agentCommand('agent3', 'ready');
  await waitFor('callback connected', async () => (await callbackState(id)) === 'connected', 15_000);
  expect(await offered()).toEqual(['caller agent4', 'callback agent3']);
  expect(customer.answered()).toBe(1);
  await customer.waitForCallEnd(1, 10_000);
});

test('bad requests get problem details naming the field; an agent sees only its own callbacks', async () => {
  const bad = async (body: unknown, status: number, field: string) => {
    const r = await api('POST', '/api/v1/callbacks', body);
    expect({ status: r.status, type: r.type.split(';')[0], field: (r.json.invalid as Array<{ name: string }> | undefined)?.[0]?.name }).toEqual({ status, type: 'application/problem+json', field });
    expect(r.json).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.stringMatching(/^urn:switchboard:problem:/) });
  };
  await bad({ number: '15550100', queue: 'billing', at: new Date(Date.now() - 60_000).toISOString() }, 422, 'at');
  await bad({ number: '15550100', queue: 'nowhere', at: inSeconds(60) }, 422, 'queue');
  await bad({ number: '15550100', queue: 'sales', at: inSeconds(60) }, 422, 'queue'); // sales offers no callbacks
  await bad({ number: '15550100', queue: 'billing', at: inSeconds(60), agent: 'agent9' }, 422, 'agent');
  await bad({ number: '555-0100', queue: 'billing', at: inSeconds(60) }, 400, 'number');
  await bad({ number: '99990100', queue: 'billing', at: inSeconds(60) }, 422, 'number'); // fails the queue's pattern
  await bad({ number: '15550100', queue: 'billing', at: 'tomorrow' }, 400, 'at');

  // One pending callback per number and queue: a second request updates the first (200, same id).
  const first = await api('POST', '/api/v1/callbacks', { number: '15550104', queue: 'billing', at: inSeconds(3600) });
  const again = await api('POST', '/api/v1/callbacks', { number: '15550104', queue: 'billing', at: inSeconds(7200), note: 'again' });
  expect([first.status, again.status, again.json.id]).toEqual([201, 200, first.json.id]);
  const mine = await api('POST', '/api/v1/callbacks', { number: '15550105', queue: 'billing', at: inSeconds(3600) }, AGENT3);
  expect(mine.json.callback).toMatchObject({ preferredAgent: 'agent3', createdBy: 'agent:agent3' });
  const seen = await api('GET', '/api/v1/callbacks', undefined, AGENT3);
  expect((seen.json.callbacks as Array<{ id: string }>).map((c) => c.id)).toEqual([mine.json.id]);
  expect((await api('GET', `/api/v1/callbacks/${String(first.json.id)}`, undefined, AGENT3)).status).toBe(404);
  // Changed and cancelled through the API; a cancelled callback cannot be changed.
  const patched = await api('PATCH', `/api/v1/callbacks/${String(mine.json.id)}`, { at: inSeconds(600), note: null }, AGENT3);
  expect(patched.json.callback).toMatchObject({ state: 'requested' });
  const cancelled = await api('DELETE', `/api/v1/callbacks/${String(mine.json.id)}`, undefined, AGENT3);
  expect(cancelled.json.callback).toMatchObject({ state: 'cancelled' });
  expect((await api('PATCH', `/api/v1/callbacks/${String(mine.json.id)}`, { note: 'x' })).status).toBe(409);
  expect(await t.redis.exists(`${t.prefix}:cb:open:billing:15550105`)).toBe(0);
});

describe('in-queue callback (keep my place)', () => {
  test('a waiting caller presses 1 and 1: their own number is called back in their place, ahead of a caller who came later', async () => {
    const customer = await customerPhone({ kind: 'answer', afterMs: 100, hangupAfterMs: 1500 });
    const agent = await agentPhone('agent3', { kind: 'answer', afterMs: 100, hangupAfterMs: 1500 });
    await t.service.acd.agentCommand('agent3', 'pause', 'break');
    // A waits, is offered a callback after 5 s (no eligible agent free), presses 1, hears their number, presses 1, is thanked and hung up.
    const a = placeCall(target, '5003', callerScenario({ callerNumber: '15550200', script: [{ pauseMs: 6500 }, { keys: '1' }, { pauseMs: 2500 }, { keys: '1' }], byeTimeoutMs: 30_000 }), { rtpPort: 9, timeoutS: 60 });
    await waitFor('A queued', async () => (await t.journal()).some((e) => e.type === 'queue.entered'));
    // B comes later and just waits.
    const b = placeCall(target, '5003', callerScenario({ callerNumber: '15550201', byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
    ok(await a);
    const cb = (await api('GET', '/api/v1/callbacks')).json.callbacks as Array<{ id: string; number: string; origin: string; state: string }>;
    expect(cb.map((c) => [c.number, c.origin])).toEqual([['15550200', 'in-queue']]);
    const exit = (await t.journal()).find((e) => e.type === 'queue.exited');
    expect(exit).toMatchObject({ reason: 'callback', key: '1' });

    await t.service.acd.agentCommand('agent3', 'ready');
    await waitFor('callback connected', async () => (await callbackState(cb[0]!.id)) === 'connected', 20_000);
    ok(await b); // then B, after the callback's call and the wrap-up
    const offered = (await t.journal()).filter((e) => e.type === 'queue.offered').map((e) => (String(e.callId).startsWith('cb-') ? 'callback' : 'B'));
    expect(offered).toEqual(['callback', 'B']);
    expect([agent.answered(), customer.answered()]).toEqual([2, 1]);
    // Per call, in order (the callback's due job and the caller's exit run side by side).
    const rows = (await t.redis.xrange(`${t.prefix}:queue_log`, '-', '+')).map(([, f]) => f[1]!.split('|'));
    const of = (pred: (callId: string) => boolean) => rows.filter((l) => pred(l[1]!) && /ENTERQUEUE|EXITWITHKEY|CALLBACKREQ|CONNECT$/.test(l[4]!)).map((l) => l[4]);
    const aId = String((await t.journal()).find((e) => e.type === 'queue.exited')?.callId);
    expect(of((c) => c === aId)).toEqual(['ENTERQUEUE', 'EXITWITHKEY']);
    expect(of((c) => c.startsWith('cb-'))).toEqual(['CALLBACKREQ', 'ENTERQUEUE', 'CONNECT', 'CALLBACKCONNECT']);
  });

  test('2 keys in another number: one refused by the pattern is asked for again, the next one is called back', async () => {
    await agentPhone('agent3', { kind: 'answer', afterMs: 100 });
    await t.service.acd.agentCommand('agent3', 'pause', 'break');
    const script = [{ pauseMs: 6500 }, { keys: '1' }, { pauseMs: 1500 }, { keys: '2' }, { pauseMs: 1500 }, { keys: '12#' }, { pauseMs: 2500 }, { keys: '15550333#' }];
    ok(await placeCall(target, '5003', callerScenario({ callerNumber: '15550202', script, byeTimeoutMs: 40_000 }), { rtpPort: 9, timeoutS: 60 }));
    const cb = (await api('GET', '/api/v1/callbacks')).json.callbacks as Array<{ number: string; origin: string; state: string }>;
    expect(cb.map((c) => [c.number, c.origin, c.state])).toEqual([['15550333', 'in-queue', 'waiting']]);
    expect((await api('DELETE', `/api/v1/callbacks/${(cb[0] as unknown as { id: string }).id}`)).json.callback).toMatchObject({ state: 'cancelled' });
  });

  test('a queue that asks for the name: the caller records it after the number, and the agent hears it before the customer is dialled', async () => {
    const customer = await customerPhone({ kind: 'answer', afterMs: 100, hangupAfterMs: 1000 });
    await agentPhone('agent2', { kind: 'answer', afterMs: 100 });
    await t.service.acd.agentCommand('agent2', 'pause', 'break');
    const script = [{ pauseMs: 6500 }, { keys: '1' }, { pauseMs: 2500 }, { keys: '1' }, { pauseMs: 3000 }, { speech: true as const }, { keys: '#' }];
    ok(await placeCall(target, '5002', callerScenario({ callerNumber: '15550205', codec: 'pcma', script, byeTimeoutMs: 40_000 }), { rtpPort: 9, timeoutS: 60 }));
    const cb = ((await api('GET', '/api/v1/callbacks')).json.callbacks as Array<{ id: string; nameRecording?: string }>)[0]!;
    expect(cb.nameRecording).toMatch(/^cbname-/);
    // The recording is Asterisk's: it exists as a stored recording.
    expect(await ariGet<{ name: string }>(`/recordings/stored/${cb.nameRecording}`)).toMatchObject({ name: cb.nameRecording });
    await t.service.acd.agentCommand('agent2', 'ready');
    await waitFor('callback connected', async () => (await callbackState(cb.id)) === 'connected', 20_000);
    expect(t.logs.find((l) => l.msg === 'dialling the customer')).toMatchObject({ name: true });
    expect(t.logs.filter((l) => l.msg === 'could not tell the agent who is called back')).toEqual([]);
    await customer.waitForCallEnd(1, 10_000);
    // Heard once, then deleted: the callback is over.
    await expect(ariGet(`/recordings/stored/${cb.nameRecording}`)).rejects.toThrow(/404/);
  });

  test('no answer to the question: the caller keeps waiting in line, and no callback is made', async () => {
    await agentPhone('agent3', { kind: 'answer', afterMs: 100, hangupAfterMs: 500 });
    await t.service.acd.agentCommand('agent3', 'pause', 'break');
    const caller = placeCall(target, '5003', callerScenario({ callerNumber: '15550203', script: [{ pauseMs: 6500 }, { keys: '1' }], byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
    // The question (about 10 s) and 8 s to answer pass; the caller is still in the queue.
    await waitFor('the question asked', () => t.logs.some((l) => l.msg === 'caller asked for a callback'), 15_000);
    await waitFor('no answer: back to waiting', () => t.logs.some((l) => l.msg === 'no callback after all; the caller keeps waiting'), 30_000);
    await t.service.acd.agentCommand('agent3', 'ready');
    ok(await caller);
    expect((await api('GET', '/api/v1/callbacks')).json.callbacks).toEqual([]);
    expect((await t.journal()).filter((e) => e.type === 'queue.connected')).toHaveLength(1);
  });
});

test('a caller who calls again while their callback is pending is told so: 2 cancels it, and they wait in line', async () => {
  const agent = await agentPhone('agent3', { kind: 'answer', afterMs: 100, hangupAfterMs: 1000 });
  await t.service.acd.agentCommand('agent3', 'pause', 'break');
  const id = (await api('POST', '/api/v1/callbacks', { number: '15550204', queue: 'billing', at: inSeconds(3600) })).json.id as string;
  const caller = placeCall(target, '5003', callerScenario({ callerNumber: '15550204', script: [{ pauseMs: 2500 }, { keys: '2' }], byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
  await waitFor('the pending callback cancelled', async () => (await callbackState(id)) === 'cancelled', 20_000);
  expect((await t.journal()).find((e) => e.type === 'callback.cancelled')).toMatchObject({ by: 'caller' });
  await t.service.acd.agentCommand('agent3', 'ready');
  ok(await caller);
  expect(agent.answered()).toBe(1);
});

test('the CLI schedules, lists and cancels callbacks through the running service, and says why one is refused', async () => {
  const cli = (...args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'callback', ...args], {
        env: { PATH: process.env.PATH ?? '', SWITCHBOARD_HTTP_PORT: String(t.service.httpPort), SWITCHBOARD_API_TOKEN: ADMIN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => resolve({ code: code ?? 1, out }));
    });
  const added = await cli('add', '15550105', 'billing', inSeconds(3600), '--note', 'from the CLI');
  expect(added.code).toBe(0);
  const id = (JSON.parse(added.out) as { id: string }).id;
  const listed = await cli('list', '--queue', 'billing');
  expect((JSON.parse(listed.out) as { callbacks: Array<{ id: string; note: string }> }).callbacks).toEqual([expect.objectContaining({ id, note: 'from the CLI' })]);
  expect(JSON.parse((await cli('cancel', id)).out)).toMatchObject({ callback: { state: 'cancelled' } });
  expect(await cli('add', '15550105', 'billing', '2020-01-01T00:00:00Z')).toEqual({ code: 1, out: 'switchboard: 422: at: 2020-01-01T00:00:00Z is in the past\n' });
  expect((await cli('add', '15550105')).code).toBe(2);
});
