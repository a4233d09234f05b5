// Statistics end to end (issue 12): a scripted sequence of real SIP calls through Asterisk 22 and
// Switchboard gives exactly the figures computed by hand below, per 15-minute interval and per
// day, in JSON and in CSV; `switchboard stats rebuild` recounts the same figures from the
// journal; a restart of Switchboard changes nothing; GET /metrics parses as Prometheus text and
// its counters agree with the day's figures. (Longer than most files: one scenario, written out
// with the hand count of every figure next to the call that makes it.)
//
// Queues: test/fixtures/stats. sales: threshold 3 s, short abandon < 3 s, headline sl2, agents
// rung 7 s, a caller still waiting after 12 s overflows to backup. backup: headline sl3, callbacks
// through the "carrier" trunk. Agents (SIPp phones): agent1 (sales) answers after 0.3 s and hangs
// up 1 s later; agent2 (sales) never answers; agent3 (backup) answers after 0.3 s and hangs up
// 2.5 s later; the customer of the callback (on CARRIER_PORT) answers after 0.2 s.
//
// Waits are whole seconds in the events (rounded), so a wait is "within 3 s" when it was under
// 3.5 s and a "short abandon" when under 2.5 s. Every case is kept 1.5 s or more away from those
// limits, from the 7 s ring and from the 12 s overflow:
//   phase 1 (no sales agent free: agent1 and agent2 paused)
//     C  hangs up after 0.3 s                      → abandoned, short, within threshold
//     D  hangs up after 6 s                        → abandoned, not short, outside (wait ≈ 6)
//     E  waits 12 s, overflows to backup, agent3 answers at once → sales: overflowed;
//        backup: offered, answered within threshold
//   phase 2 (agent1 ready)
//     A  agent1 answers after 0.3 s                → answered within threshold (hold ≈ 0-1)
//   phase 3 (agent1 paused, agent2 ready)
//     B  agent2 rings 7 s and misses; then agent1 is made ready and answers
//                                                   → answered outside threshold (hold ≈ 7-8); agent2 missed 1
//     a callback scheduled on backup 1 s ahead: agent3 then the customer answer at once
//                                                   → backup: offered, answered within, requested, connected
//   phase 4 (agent1 paused, agent2 ready, never answers)
//     F  hangs up after 5 s while agent2's phone rings → abandoned while ringing, outside threshold (wait ≈ 5)
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ok } from '../support/acd-e2e';
import { AgentPhone, type Behaviour } from '../support/agent-phone';
import { clearAsterisk, expectNothingLeftBehind } from '../support/leftovers';
import { waitFor } from '../support/net';
import { startTestService, testServiceEnv, waitReady, type JournalEvent, type TestService } from '../support/service';
import { callerScenario, placeCall, type SippResult } from '../support/sipp';
import { ROOT, TEST } from '../support/stack';

jest.setTimeout(240_000);

const target = `127.0.0.1:${TEST.SIP_PORT}`;
const AGENTS = ['agent1', 'agent2', 'agent3'];
const password = (agent: string) => `demo-${agent}`;
const ADMIN = 'admin-token-for-statistics-tests';
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'stats');
// Not UTC: the date and interval labels are local (UTC+05:45, a whole number of quarter hours).
const TZ = 'Asia/Kathmandu';
const SERVICE_ENV = {
  SWITCHBOARD_CONFIG_DIR: FIXTURE,
  SWITCHBOARD_API_TOKENS: `admin:${ADMIN}`,
  SWITCHBOARD_STATS_TIMEZONE: TZ,
  // Admission control is overload.test.ts's subject: here a busy machine must not turn a scripted caller away.
  SWITCHBOARD_OVERLOAD_LOOP_DELAY_MS: '2000',
  SWITCHBOARD_OVERLOAD_ARI_MS: '2000',
  SWITCHBOARD_OVERLOAD_REDIS_MS: '2000',
};
/** What the scenario takes, from the first phone to the projector caught up, with room to spare on a loaded machine. */
const SCENARIO_BUDGET_MS = 80_000;

// The callers, by their number (queue.entered carries it as callerId).
const CALLER = { A: '15550304', B: '15550305', C: '15550301', D: '15550302', E: '15550303', F: '15550306' } as const;
const CALLBACK_NUMBER = '15550307';

// ---- the figures computed by hand from the scenario above ----
const EXPECTED_QUEUES = {
  sales: {
    offered: 6, // A B C D E F entered sales
    answered: 2, // A, B
    abandoned: 3, // C, D, F
    shortAbandoned: 1, // C (wait 0-1 < 3)
    abandonedRinging: 1, // F (agent2's phone rang)
    answeredWithinThreshold: 1, // A (B waited ~7-8 s)
    abandonedWithinThreshold: 1, // C (D ~6 s, F ~5 s)
    overflowed: 1, // E, after 12 s
    timedOut: 0,
    leftForCallback: 0,
    withdrawn: 0,
    movedOut: 0,
    callbackAttemptsFailed: 0,
    callbacksRequested: 0,
    callbacksConnected: 0,
    callbacksFailed: 0,
    handled: 2, // A, B ended
    surveyResponses: 0,
    surveyScoreAvg: null,
    dispositions: 0, // none recorded in this scenario (test/e2e/dispositions.test.ts has them)
    resolved: 0,
    fcrDisposition: null,
    repeatContacts: 0, // each caller called once
    fcrRepeat: 1,
    sl1: 0.5, // 1 within / 2 answered
    sl2: 0.4, // (1 + 1 within) / (2 answered + 3 abandoned)
    sl3: 0.2, // 1 within / (6 offered - 1 short)
    serviceLevel: 0.4, // sales' formula is sl2
  },
  backup: {
    offered: 2, // E (overflow from sales), the callback joining the line
    answered: 2, // both, by agent3
    abandoned: 0,
    shortAbandoned: 0,
    abandonedRinging: 0,
    answeredWithinThreshold: 2, // E waited ~0-1 s in backup, the callback ~1 s
    abandonedWithinThreshold: 0,
    overflowed: 0,
    timedOut: 0,
    leftForCallback: 0,
    withdrawn: 0,
    movedOut: 0,
    callbackAttemptsFailed: 0,
    callbacksRequested: 1, // POST /api/v1/callbacks
    callbacksConnected: 1, // the customer answered
    callbacksFailed: 0,
    handled: 2,
    surveyResponses: 0,
    surveyScoreAvg: null,
    dispositions: 0, // none recorded in this scenario (test/e2e/dispositions.test.ts has them)
    resolved: 0,
    fcrDisposition: null,
    repeatContacts: 0, // each caller called once
    fcrRepeat: 1,
    avgWaitAbandonedSeconds: null, // nobody abandoned
    maxWaitAbandonedSeconds: null,
    sl1: 1, // 2 / 2
    sl2: 1, // (2 + 0) / (2 + 0)
    sl3: 1, // 2 / (2 - 0)
    serviceLevel: 1, // backup's formula is sl3
  },
} as const;
const EXPECTED_AGENTS = {
  agent1: { offered: 2, answered: 2, missed: 0, handled: 2 }, // A; B after agent2 missed it
  agent2: { offered: 2, answered: 0, missed: 1, handled: 0 }, // B (no answer in 7 s: missed); F (the caller left while it rang: not a miss)
  agent3: { offered: 2, answered: 2, missed: 0, handled: 2 }, // the callback; E in backup
} as const;

type Row = Record<string, unknown>;

let t: TestService;
let prefix: string;
let phones: AgentPhone[] = [];
let date: string;
let slot: string;
let journal: JournalEvent[];
/** Every figure after the scenario: queues and agents, by day and by interval (JSON). */
let figures: Snapshot;

// ---- local time in TZ ----
const local = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
function localTime(ms: number): { date: string; h: number; m: number; s: number } {
  const p = Object.fromEntries(local.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, h: Number(p.hour), m: Number(p.minute), s: Number(p.second) };
}
/** The local date and the HH:MM start of the 15-minute interval `ms` falls in. */
function intervalAt(ms: number): { date: string; slot: string } {
  const l = localTime(ms);
  const m = l.m - (l.m % 15);
  return { date: l.date, slot: `${String(l.h).padStart(2, '0')}:${String(m).padStart(2, '0')}` };
}
/** Milliseconds until the next local quarter hour. */
function untilNextInterval(ms: number): number {
  const l = localTime(ms);
  return ((15 - (l.m % 15)) * 60 - l.s) * 1000 - (ms % 1000);
}

/**
 * Every call must land in one interval: when the next boundary is nearer than the scenario's
 * budget, wait until it has passed (a wall-clock requirement, polled with a deadline).
 */
async function roomInOneInterval(budgetMs: number): Promise<void> {
  const left = untilNextInterval(Date.now());
  if (left >= budgetMs) return;
  const before = intervalAt(Date.now()).slot;
  await waitFor(`the next ${TZ} quarter hour (${left} ms away)`, () => intervalAt(Date.now()).slot !== before, left + 5_000, 200);
}

// ---- the service, phones and calls ----
async function api(pathAndQuery: string, init: { method?: string; body?: unknown; accept?: string } = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${t.service.httpPort}${pathAndQuery}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${ADMIN}`, ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(init.accept ? { Accept: init.accept } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
}

async function rows(scope: 'queues' | 'agents', interval: boolean): Promise<Row[]> {
  const res = await api(`/api/v1/stats/${scope}?date=${date}${interval ? '&interval=15m' : ''}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: Row[] }).rows;
}

interface Snapshot {
  queuesDay: Row[];
  queuesInterval: Row[];
  agentsDay: Row[];
  agentsInterval: Row[];
}
async function snapshot(): Promise<Snapshot> {
  const byId = (key: string) => (a: Row, b: Row) => String(a[key]).localeCompare(String(b[key])) || String(a.interval).localeCompare(String(b.interval));
  return {
    queuesDay: (await rows('queues', false)).sort(byId('queue')),
    queuesInterval: (await rows('queues', true)).sort(byId('queue')),
    agentsDay: (await rows('agents', false)).sort(byId('agent')),
    agentsInterval: (await rows('agents', true)).sort(byId('agent')),
  };
}

async function readJournal(): Promise<JournalEvent[]> {
  const entries = await t.redis.xrange(`${prefix}:journal`, '-', '+');
  return entries.map(([, f]) => JSON.parse(f[f.indexOf('event') + 1] ?? '{}') as JournalEvent);
}

/** The statistics projector has applied everything in the journal (its cursor is at the last entry). */
async function projectorCaughtUp(): Promise<void> {
  await waitFor('the statistics projector at the end of the journal', async () => {
    const last = (await t.redis.xrevrange(`${prefix}:journal`, '+', '-', 'COUNT', 1))[0]?.[0];
    const cursor = await t.redis.hget(`${prefix}:stats:cursor`, 'id');
    return last !== undefined && cursor === last;
  }, 15_000, 100);
}

async function agentState(id: string): Promise<Record<string, unknown> | undefined> {
  const raw = await t.redis.get(`${prefix}:acd:agent:${id}`);
  return raw ? (JSON.parse(raw) as { d: Record<string, unknown> }).d : undefined;
}
const status = async (id: string) => (await agentState(id))?.status;

async function phone(agent: string, behaviour: Behaviour): Promise<AgentPhone> {
  const p = await AgentPhone.start({ agent, password: password(agent), target, behaviour });
  phones.push(p);
  await waitFor(`${agent} available`, async () => {
    const s = await agentState(agent);
    return s?.status === 'available' && s.reachable === true;
  });
  return p;
}

function call(caller: string, opts: { hangupAfterMs?: number } = {}): Promise<SippResult> {
  return placeCall(target, '5001', callerScenario({ callerNumber: caller, hangupAfterMs: opts.hangupAfterMs, byeTimeoutMs: 60_000 }), { rtpPort: 9, timeoutS: 90 });
}

const callIdOf = (caller: string): string => {
  const e = journal.find((x) => x.type === 'queue.entered' && x.callerId === caller);
  if (!e?.callId) throw new Error(`no queue.entered from ${caller}`);
  return e.callId;
};
const eventOf = (type: string, callId: string, queue?: string): JournalEvent => {
  const e = journal.find((x) => x.type === type && x.callId === callId && (queue === undefined || x.queue === queue));
  if (!e) throw new Error(`no ${type} for ${callId}${queue ? ` in ${queue}` : ''}`);
  return e;
};
const num = (e: JournalEvent, field: string): number => e[field] as number;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const round2 = (x: number): number => Math.round(x * 100) / 100;

async function ready(agent: string): Promise<void> {
  await t.service.acd.agentCommand(agent, 'ready');
}
async function pause(agent: string): Promise<void> {
  await t.service.acd.agentCommand(agent, 'pause', 'break');
}

// ---- CSV (RFC 4180) ----
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      out.push(row);
      (row = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('CSV does not end with CRLF');
  return out;
}
/** CSV rows as objects keyed by the header; numbers as numbers, empty fields as null. */
function csvRows(text: string): Row[] {
  const [header, ...lines] = parseCsv(text);
  return lines.map((l) => Object.fromEntries(header!.map((h, i) => [h, l[i] === '' ? null : /^-?\d+(\.\d+)?$/.test(l[i]!) ? Number(l[i]) : l[i]])));
}
/** JSON rows as CSV shows them: an absent field (the day rows' interval) is empty. */
const asCsv = (rs: Row[], header: string[]): Row[] => rs.map((r) => Object.fromEntries(header.map((h) => [h, r[h] ?? null])));

// ---- Prometheus ----
interface Sample {
  value?: string;
  labels?: Record<string, string>;
}
interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}
// The package ships no types; this is the shape its README documents.
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

// ---- the scenario ----
beforeAll(async () => {
  await clearAsterisk(); // what an earlier failed test left must not steer this one
  for (const agent of AGENTS) await AgentPhone.clearRegistrations({ agent, password: password(agent), target });
  await roomInOneInterval(SCENARIO_BUDGET_MS);
  const startedAt = Date.now();
  ({ date, slot } = intervalAt(startedAt));
  t = await startTestService(SERVICE_ENV);
  prefix = t.prefix;
  await waitReady(t);

  const customer = await AgentPhone.start({ agent: 'customer', password: '-', target, behaviour: { kind: 'answer', afterMs: 200, hangupAfterMs: 5000 }, register: false, port: Number(TEST.CARRIER_PORT) });
  phones.push(customer);
  await phone('agent1', { kind: 'answer', afterMs: 300, hangupAfterMs: 1000 });
  await pause('agent1');
  const p2 = await phone('agent2', { kind: 'no-answer' });
  await pause('agent2');
  const p3 = await phone('agent3', { kind: 'answer', afterMs: 300, hangupAfterMs: 2500 });

  // Phase 1: nobody in sales is free.
  const [c, d, e] = await Promise.all([call(CALLER.C, { hangupAfterMs: 300 }), call(CALLER.D, { hangupAfterMs: 6000 }), call(CALLER.E)]);
  ok(c);
  ok(d);
  ok(e); // agent3 hung up after 2.5 s in backup
  expect(p3.answered()).toBe(1);
  await waitFor('agent3 back from wrap-up', async () => (await status('agent3')) === 'available');

  // Phase 2: A, answered at once by agent1.
  await ready('agent1');
  ok(await call(CALLER.A));
  await waitFor('agent1 back from wrap-up', async () => (await status('agent1')) === 'available');
  await pause('agent1');

  // Phase 3: B rings agent2, who never answers; once that offer is missed, agent1 takes it. Meanwhile a callback on backup.
  await ready('agent2');
  const b = call(CALLER.B);
  const created = await api('/api/v1/callbacks', { method: 'POST', body: { number: CALLBACK_NUMBER, queue: 'backup', at: new Date(Date.now() + 1000).toISOString() } });
  expect(created.status).toBe(201);
  const callbackId = ((await created.json()) as { id: string }).id;
  await waitFor('agent2 missed B', async () => {
    journal = await readJournal();
    const entered = journal.find((x) => x.type === 'queue.entered' && x.callerId === CALLER.B);
    return entered !== undefined && journal.some((x) => x.type === 'queue.ring-no-answer' && x.callId === entered.callId && x.agentId === 'agent2');
  }, 20_000, 50);
  await ready('agent1');
  ok(await b);
  await waitFor('callback connected', async () => {
    const r = await api(`/api/v1/callbacks/${callbackId}`);
    return ((await r.json()) as { callback?: { state?: string } }).callback?.state === 'connected';
  }, 20_000);
  await customer.waitForCallEnd(1, 15_000);
  await waitFor('agent1 back from wrap-up', async () => (await status('agent1')) === 'available');
  await pause('agent1');

  // Phase 4: F gives up while agent2's phone rings.
  ok(await call(CALLER.F, { hangupAfterMs: 5000 }));
  await p2.waitForCallEnd(2, 10_000);
  expect(p2.calls().map((x) => x.end)).toEqual(['cancel-received', 'cancel-received']);

  // Every call is over; the phones unregister (the agents log out, so their status times are final).
  await expectNothingLeftBehind(t.redis, prefix);
  for (const p of phones) await p.stop();
  phones = [];
  await waitFor('agents logged out', async () => (await Promise.all(AGENTS.map(status))).every((s) => s === 'logged-out'));
  // The projector is asynchronous: wait until the figures show every call, and it has read the whole journal.
  await waitFor('the statistics count every call', async () => {
    const day = await rows('queues', false);
    return day.find((r) => r.queue === 'sales')?.offered === 6 && day.find((r) => r.queue === 'backup')?.offered === 2;
  }, 15_000, 100);
  await projectorCaughtUp();
  journal = await readJournal();
  figures = await snapshot();
  // Still one interval for everything (the budget above held).
  expect(intervalAt(Date.now())).toEqual({ date, slot });
  process.stdout.write(`statistics scenario: ${Date.now() - startedAt} ms, interval ${date} ${slot} (${TZ})\n`);
});

afterAll(async () => {
  try {
    // SB_TEST_DUMP_LOGS=<folder>: keep the service's log and the journal there (JSON lines) for debugging.
    if (process.env.SB_TEST_DUMP_LOGS && t) {
      await writeFile(path.join(process.env.SB_TEST_DUMP_LOGS, 'statistics.log'), t.logs.map((l) => JSON.stringify(l)).join('\n'));
      await writeFile(path.join(process.env.SB_TEST_DUMP_LOGS, 'statistics-journal.log'), (await readJournal()).map((e) => JSON.stringify(e)).join('\n'));
    }
    if (t) await expectNothingLeftBehind(t.redis, prefix);
  } finally {
    for (const p of phones) await p.stop();
    phones = [];
    await t?.stop();
  }
});

test('every case waited as scripted (the waits the hand-computed figures rely on)', () => {
  const [A, B, C, D, E, F] = (['A', 'B', 'C', 'D', 'E', 'F'] as const).map((k) => callIdOf(CALLER[k]));
  const cb = journal.find((x) => x.type === 'queue.entered' && x.queue === 'backup' && String(x.callId).startsWith('cb-'))!.callId!;
  const waits = {
    A: num(eventOf('queue.connected', A!), 'holdS'),
    B: num(eventOf('queue.connected', B!), 'holdS'),
    C: num(eventOf('queue.abandoned', C!), 'waitS'),
    D: num(eventOf('queue.abandoned', D!), 'waitS'),
    E: num(eventOf('queue.connected', E!, 'backup'), 'holdS'),
    F: num(eventOf('queue.abandoned', F!), 'waitS'),
    callback: num(eventOf('queue.connected', cb), 'holdS'),
  };
  process.stdout.write(`statistics scenario waits (s): ${JSON.stringify(waits)}\n`);
  // Each case away from the limits it must not cross: inside ≤ 1 (threshold 3), short ≤ 1 (< 3),
  // outside ≥ 4 (threshold 3; B rang 7 s first). F still rang when it gave up: ringing below.
  expect({
    A: waits.A <= 1,
    B: waits.B >= 6,
    C: waits.C <= 1,
    D: waits.D >= 5,
    E: waits.E <= 1,
    F: waits.F >= 4,
    callback: waits.callback <= 2,
  }).toEqual({ A: true, B: true, C: true, D: true, E: true, F: true, callback: true });
  expect(eventOf('queue.abandoned', C!)).toMatchObject({ queue: 'sales', ringing: false });
  expect(eventOf('queue.abandoned', D!)).toMatchObject({ queue: 'sales', ringing: false });
  expect(eventOf('queue.abandoned', F!)).toMatchObject({ queue: 'sales', ringing: true });
  expect(eventOf('queue.exited', E!)).toMatchObject({ queue: 'sales', reason: 'overflow', to: 'backup' });
  expect(eventOf('queue.entered', E!, 'backup')).toMatchObject({ from: 'sales' });
  expect(eventOf('queue.connected', A!)).toMatchObject({ queue: 'sales', agentId: 'agent1' });
  expect(eventOf('queue.connected', B!)).toMatchObject({ queue: 'sales', agentId: 'agent1' });
  expect(eventOf('queue.ring-no-answer', B!)).toMatchObject({ agentId: 'agent2', cause: 'no-answer' });
});

test("queues: one row per queue for the interval, the same for the day, with the hand-computed figures, in JSON and CSV", async () => {
  // Durations come from real timing: exact, from the journal's own events.
  const timing = (queue: string) => {
    const connected = journal.filter((e) => e.type === 'queue.connected' && e.queue === queue).map((e) => num(e, 'holdS'));
    const abandoned = journal.filter((e) => e.type === 'queue.abandoned' && e.queue === queue).map((e) => num(e, 'waitS'));
    const completed = journal.filter((e) => e.type === 'queue.completed' && e.queue === queue);
    const calls = new Set(completed.map((e) => e.callId));
    const started = new Map(journal.filter((e) => e.type === 'agent.wrap-up-started').map((e) => [e.callId, num(e, 'at')]));
    const wrapUpMs = sum(journal.filter((e) => e.type === 'agent.wrap-up-ended' && calls.has(e.callId)).map((e) => num(e, 'at') - started.get(e.callId)!));
    const talkS = sum(completed.map((e) => num(e, 'talkS')));
    return {
      asaSeconds: round2(sum(connected) / connected.length),
      maxWaitAnsweredSeconds: Math.max(...connected),
      longestWaitSeconds: Math.max(...connected, ...abandoned),
      ...(abandoned.length ? { avgWaitAbandonedSeconds: round2(sum(abandoned) / abandoned.length), maxWaitAbandonedSeconds: Math.max(...abandoned) } : {}),
      talkSeconds: talkS,
      holdSeconds: 0, // nobody put a call on hold
      transferred: 0,
      wrapUpSeconds: wrapUpMs / 1000,
      ahtSeconds: round2((talkS + wrapUpMs / 1000) / completed.length),
    };
  };
  expect(journal.filter((e) => e.type === 'agent.wrap-up-ended')).toHaveLength(4); // A, B, E, the callback
  const expected = (queue: 'sales' | 'backup') => ({ queue, date, ...EXPECTED_QUEUES[queue], ...timing(queue) });

  const { queuesDay, queuesInterval } = figures;
  expect(queuesInterval).toEqual([
    { ...expected('backup'), interval: slot },
    { ...expected('sales'), interval: slot },
  ]);
  expect(queuesDay).toEqual([expected('backup'), expected('sales')]);

  // CSV: format=csv and Accept: text/csv give the same rows, the header being the JSON field names.
  for (const interval of [false, true]) {
    const q = `/api/v1/stats/queues?date=${date}${interval ? '&interval=15m' : ''}`;
    const json = interval ? queuesInterval : queuesDay;
    for (const res of [await api(`${q}&format=csv`), await api(q, { accept: 'text/csv' })]) {
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
      const text = await res.text();
      const header = parseCsv(text)[0]!;
      expect([...header].sort()).toEqual([...new Set([...Object.keys(json[0]!), 'interval'])].sort());
      expect(csvRows(text).sort((a, b) => String(a.queue).localeCompare(String(b.queue)))).toEqual(asCsv(json, header));
    }
  }
});

test('agents: offered, answered and missed per agent, the interval row equal to the day row, in JSON and CSV', async () => {
  const { agentsDay, agentsInterval } = figures;
  const talk = (agent: string) => sum(journal.filter((e) => e.type === 'queue.completed' && e.agentId === agent).map((e) => num(e, 'talkS')));
  for (const [agent, want] of Object.entries(EXPECTED_AGENTS)) {
    expect(agentsDay.find((r) => r.agent === agent)).toMatchObject({ date, ...want, talkSeconds: talk(agent) });
  }
  expect(agentsDay.map((r) => r.agent)).toEqual(AGENTS);
  // All of it in one interval: each interval row is the day row.
  expect(agentsInterval).toEqual(agentsDay.map((r) => ({ ...r, interval: slot })));
  for (const r of agentsDay) {
    // Logged in, then logged out at the end: time in statuses adds up to the staffed time.
    const parts = ['availableSeconds', 'reservedSeconds', 'onCallSeconds', 'wrapUpStateSeconds', 'pausedSeconds'].map((k) => r[k] as number);
    expect(Math.abs(sum(parts) - (r.staffedSeconds as number))).toBeLessThan(0.002);
    expect(r.staffedSeconds as number).toBeGreaterThan(10);
  }
  const res = await api(`/api/v1/stats/agents?date=${date}&interval=15m&format=csv`);
  const text = await res.text();
  expect(csvRows(text).sort((a, b) => String(a.agent).localeCompare(String(b.agent)))).toEqual(asCsv(agentsInterval, parseCsv(text)[0]!));
});

test('/metrics parses as Prometheus text, and its counters are the day figures (this process counted every event)', async () => {
  const res = await api('/metrics');
  expect(res.status).toBe(200);
  const text = await res.text();
  const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
  const value = (name: string, labels: Record<string, string>): number | undefined => {
    const found = families.get(name)?.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)) ?? [];
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
    return found[0] ? Number(found[0].value) : undefined;
  };
  // parse-prometheus-text-format merges a histogram's labelled series and drops their labels; read
  // as untyped, each _count line keeps its labels (a name may come back in several families).
  const untyped = new Map<string, Sample[]>();
  for (const f of parsePrometheus(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'))) untyped.set(f.name, [...(untyped.get(f.name) ?? []), ...f.metrics]);
  const count = (name: string, labels: Record<string, string>) => Number(untyped.get(`${name}_count`)?.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);

  for (const day of figures.queuesDay) {
    const queue = String(day.queue);
    const got = {
      offered: value('switchboard_calls_offered_total', { queue }),
      answered: value('switchboard_calls_answered_total', { queue }),
      abandoned: value('switchboard_calls_abandoned_total', { queue }),
      shortAbandoned: value('switchboard_calls_abandoned_short_total', { queue }),
      overflowed: value('switchboard_queue_exited_total', { queue, reason: 'overflow' }),
      callbacksRequested: value('switchboard_callbacks_total', { queue, outcome: 'requested' }),
      callbacksConnected: value('switchboard_callbacks_total', { queue, outcome: 'connected' }),
      callbacksFailed: value('switchboard_callbacks_total', { queue, outcome: 'failed' }),
      waitsAnswered: count('switchboard_queue_wait_seconds', { queue, outcome: 'answered' }),
      waitsAbandoned: count('switchboard_queue_wait_seconds', { queue, outcome: 'abandoned' }),
    };
    expect({ queue, ...got }).toEqual({
      queue,
      offered: day.offered,
      answered: day.answered,
      abandoned: day.abandoned,
      shortAbandoned: day.shortAbandoned,
      overflowed: day.overflowed,
      callbacksRequested: day.callbacksRequested,
      callbacksConnected: day.callbacksConnected,
      callbacksFailed: day.callbacksFailed,
      waitsAnswered: day.answered,
      waitsAbandoned: day.abandoned,
    });
  }
  expect(families.get('switchboard_calls_offered_total')?.type).toBe('COUNTER');
  // The metrics counted every event without the event bus calling them a failed subscriber.
  expect(t.logs.filter((l) => l.msg === 'event subscriber failed' && l.subscriber === 'metrics')).toEqual([]);
});

test('a rebuild from the journal (switchboard stats rebuild, the service running) gives the same figures', async () => {
  const before = Number(await t.redis.hget(`${prefix}:stats:cursor`, 'gen'));
  const env = { PATH: process.env.PATH ?? '', ...testServiceEnv(prefix, 'stats'), ...SERVICE_ENV };
  const run = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'stats', 'rebuild'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? 1, out, err }));
  });
  expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toEqual({ code: 0, err: '' });
  const [, projected, generation] = /statistics rebuilt: (\d+) event\(s\) projected \(generation (\d+)/.exec(run.out) ?? [];
  // Every journal entry recounted, in a new generation; the old generation's counters are gone.
  expect({ projected: Number(projected), generation: Number(generation) }).toEqual({ projected: await t.redis.xlen(`${prefix}:journal`), generation: before + 1 });
  expect(await t.redis.keys(`${prefix}:stats:g${before}:*`)).toEqual([]);
  await projectorCaughtUp();
  expect(await snapshot()).toEqual(figures);
});

test('a restart of Switchboard on the same keys changes nothing', async () => {
  await t.stop();
  const next = await startTestService({ ...SERVICE_ENV, SWITCHBOARD_KEY_PREFIX: prefix });
  t = { ...next, prefix };
  await waitReady(t);
  await projectorCaughtUp();
  expect(await snapshot()).toEqual(figures);
});
