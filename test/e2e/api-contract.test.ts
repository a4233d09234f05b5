// The API against its OpenAPI document, on a running Switchboard (real Redis and Asterisk):
// - the document served is the committed one, and every operation in it is exercised here;
// - every answer's status is one the operation declares, JSON answers match their schemas (the
//   service runs with checkResponses: an answer outside its schema would be a 500, which no
//   operation declares), and every error is problem details;
// - generated bad input on every route (fast-check) gets a 4xx problem, never a 5xx, and the
//   service stays up.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ProblemSchema } from '../../src/platform/http/problem';
import { startTestService, waitReady, type TestService } from '../support/service';

jest.setTimeout(120_000);

const ADMIN = 'contract-admin-token-0001';
const SUPER = 'contract-super-token-0001';
const AGENT = 'contract-agent1-token-001';
type Op = { method: string; path: string; operationId: string; responses: Record<string, { content?: Record<string, unknown> }>; requestBody?: unknown };
const doc = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')) as { paths: Record<string, Record<string, Op>> };
const OPS: Op[] = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path: p })));

let t: TestService;
let base: string;
let callbackId = '';
beforeAll(async () => {
  t = await startTestService({ SWITCHBOARD_CONFIG_DIR: path.join(__dirname, '..', 'fixtures', 'callbacks'), SWITCHBOARD_API_TOKENS: `admin:${ADMIN},supervisor:${SUPER},agent:${AGENT}:agent1`, SWITCHBOARD_API_RATE_PER_MINUTE: '0' });
  await waitReady(t);
  base = `http://127.0.0.1:${t.service.httpPort}`;
});
afterAll(async () => {
  await t?.stop();
});

interface Sent {
  status: number;
  type: string;
  body: unknown;
}

async function send(method: string, url: string, o: { token?: string; body?: string; contentType?: string } = {}): Promise<Sent> {
  const ac = new AbortController();
  const res = await fetch(`${base}${url}`, {
    method,
    redirect: 'manual',
    signal: ac.signal,
    headers: { ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'Content-Type': o.contentType ?? 'application/json' } : {}) },
    body: o.body,
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    ac.abort(); // a stream: its head is the answer
    return { status: res.status, type, body: undefined };
  }
  const text = await res.text();
  return { status: res.status, type, body: type.includes('json') && text ? (JSON.parse(text) as unknown) : text };
}

/** A valid request for each operation (the test fails for an operation it does not know: add one). */
function example(op: Op): { url: string; body?: unknown } {
  const fill = (p: string, values: Record<string, string>) => p.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(values[k] ?? 'none'));
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const table: Record<string, { params?: Record<string, string>; query?: string; body?: unknown }> = {
    listAgents: {},
    getAgent: { params: { id: 'agent1' } },
    agentLogin: { params: { id: 'agent2' } },
    agentLogout: { params: { id: 'agent2' } },
    agentPause: { params: { id: 'agent2' }, body: { reason: 'break' } },
    agentReady: { params: { id: 'agent2' } },
    listQueues: {},
    placeAgentCall: { params: { id: 'agent2' }, body: { number: '15550199' } },
    listAgentCalls: { params: { id: 'agent2' } },
    endAgentCall: { params: { id: 'agent2', callId: 'none' } },
    listCalls: {},
    getCall: { params: { id: 'no-such-call' } },
    withdrawWaitingCall: { params: { id: 'no-such-call' }, body: { destination: 'nowhere' } },
    updateWaitingCall: { params: { id: 'no-such-call' }, body: { priority: 5 } },
    holdCall: { params: { id: 'no-such-call' } },
    completeTransfer: { params: { id: 'no-such-call' } },
    cancelTransfer: { params: { id: 'no-such-call' } },
    transferCall: { params: { id: 'no-such-call' }, body: { mode: 'blind', queue: 'sales' } },
    assistCall: { params: { id: 'no-such-call' }, body: { flow: 'payment' } },
    listRecordings: { query: '?limit=5' },
    getRecording: { params: { id: 'none' } },
    downloadRecording: { params: { id: 'none' } },
    deleteRecording: { params: { id: 'none' } },
    pauseRecording: { params: { id: 'no-such-call' } },
    resumeRecording: { params: { id: 'no-such-call' } },
    monitorCall: { params: { id: 'no-such-call' }, body: { mode: 'listen', supervisor: 'supervisor1' } },
    listMonitors: {},
    changeMonitorMode: { params: { id: 'none' }, body: { mode: 'whisper' } },
    endMonitor: { params: { id: 'none' } },
    resumeCall: { params: { id: 'no-such-call' } },
    recordDisposition: { params: { id: 'no-such-call' }, body: { resolved: true, reason: 'sale' } },
    getDisposition: { params: { id: 'no-such-call' } },
    createCallback: { body: { number: '15550199', queue: 'support', at: future, note: 'contract' } },
    listCallbacks: { query: '?queue=support' },
    getCallback: { params: { id: callbackId } },
    updateCallback: { params: { id: callbackId }, body: { note: 'moved' } },
    cancelCallback: { params: { id: callbackId } },
    listVoicemails: { query: '?limit=5' },
    getVoicemail: { params: { id: 'none' } },
    downloadVoicemail: { params: { id: 'none' } },
    deleteVoicemail: { params: { id: 'none' } },
    getConfig: {},
    validateConfig: {},
    reloadConfig: {},
    queueStats: { query: `?date=${new Date().toISOString().slice(0, 10)}` },
    agentStats: { query: `?date=${new Date().toISOString().slice(0, 10)}&interval=15m` },
    events: {},
  };
  const e = table[op.operationId];
  if (!e) throw new Error(`no example for operation ${op.operationId}: add one to this test`);
  return { url: fill(op.path, e.params ?? {}) + (e.query ?? ''), body: e.body };
}

function expectWithin(op: Op, r: Sent): void {
  const declared = op.responses[String(r.status)];
  expect({ op: op.operationId, status: r.status, declared: declared !== undefined }).toEqual({ op: op.operationId, status: r.status, declared: true });
  if (r.status >= 400) {
    expect({ op: op.operationId, type: r.type.split(';')[0] }).toEqual({ op: op.operationId, type: 'application/problem+json' });
    expect(ProblemSchema.safeParse(r.body).success).toBe(true);
  } else if (declared?.content) {
    expect({ op: op.operationId, type: Object.keys(declared.content).some((c) => r.type.startsWith(c)) }).toEqual({ op: op.operationId, type: true });
  }
}

test('the document served is the committed one', async () => {
  const served = await fetch(`${base}/openapi.json`);
  expect(await served.json()).toEqual(doc);
});

test('every operation answers within its document (admin, then an agent key)', async () => {
  // Operations in an order where ids exist when they are needed: create the callback first, cancel it last.
  const order = (op: Op) => (op.operationId === 'createCallback' ? 0 : op.operationId === 'cancelCallback' ? 2 : 1);
  for (const op of [...OPS].sort((a, b) => order(a) - order(b))) {
    const ex = example(op);
    const r = await send(op.method, ex.url, { token: ADMIN, ...(ex.body !== undefined ? { body: JSON.stringify(ex.body) } : {}) });
    expectWithin(op, r);
    if (op.operationId === 'createCallback') callbackId = (r.body as { id: string }).id;
    expect({ op: op.operationId, status: r.status < 500 }).toEqual({ op: op.operationId, status: true });
  }
  for (const op of OPS) {
    const ex = example(op);
    expectWithin(op, await send(op.method, ex.url, { token: AGENT, ...(ex.body !== undefined ? { body: JSON.stringify(ex.body) } : {}) }));
  }
  expect(t.logs.filter((l) => l.msg === 'HTTP request failed')).toEqual([]);
});

/** One certainly-bad change to a valid request. */
const badInput = fc.oneof(
  fc.record({ kind: fc.constant('query' as const), name: fc.stringMatching(/^[a-z_]{1,12}$/).map((n) => `zz${n}`), value: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)) }),
  fc.record({ kind: fc.constant('extra' as const), value: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/).map((k) => `zz${k}`), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 }) }),
  fc.record({ kind: fc.constant('malformed' as const), value: fc.constantFrom('{', '{"a":', '[1,', 'nul', '{"a":1}}', '\u0000') }),
  fc.record({ kind: fc.constant('type' as const), value: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x') }),
  fc.record({ kind: fc.constant('huge' as const), value: fc.integer({ min: 17_000, max: 40_000 }) }),
  fc.record({ kind: fc.constant('param' as const), value: fc.string({ minLength: 65, maxLength: 200 }) }),
  fc.record({ kind: fc.constant('token' as const), value: fc.constantFrom('', 'Bearer ', 'Bearer x', 'Basic YWRtaW46YWRtaW4=', `Bearer ${ADMIN}x`) }),
  fc.record({ kind: fc.constant('method' as const), value: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'POST') }),
);

test('generated bad input on every route: a 4xx problem, never a 5xx, and the service stays up', async () => {
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...OPS), badInput, fc.constantFrom(ADMIN, SUPER, AGENT), async (op, bad, token) => {
      const ex = example(op);
      let url = ex.url;
      let method = op.method;
      let body: string | undefined = ex.body !== undefined ? JSON.stringify(ex.body) : undefined;
      let contentType: string | undefined;
      let auth: string | undefined = token;
      switch (bad.kind) {
        case 'query':
          url += `${url.includes('?') ? '&' : '?'}${encodeURIComponent(bad.name)}=${encodeURIComponent(bad.value)}`;
          break;
        case 'json':
          body = JSON.stringify(bad.value);
          break;
        case 'extra':
          body = JSON.stringify({ ...(typeof ex.body === 'object' && ex.body ? ex.body : {}), ...bad.value });
          break;
        case 'malformed':
          body = bad.value;
          break;
        case 'type':
          body = body ?? '{}';
          contentType = bad.value;
          break;
        case 'huge':
          body = JSON.stringify({ reason: 'x'.repeat(bad.value) });
          break;
        case 'param':
          if (!op.path.includes('{')) url = `${url.split('?')[0]}/${encodeURIComponent(bad.value)}`;
          else url = op.path.replace(/\{\w+\}/, encodeURIComponent(bad.value)).replace(/\{\w+\}/g, 'x');
          break;
        case 'token':
          auth = undefined;
          break;
        case 'method':
          if (bad.value === op.method) method = 'PUT';
          else method = bad.value;
          break;
      }
      if (method === 'GET' && body !== undefined) {
        // GET carries no body: the bad part goes in the query instead.
        url += `${url.includes('?') ? '&' : '?'}zzbody=${encodeURIComponent(body.slice(0, 200))}`;
        body = undefined;
      }
      const res = await fetch(`${base}${url}`, {
        method,
        redirect: 'manual',
        headers: { ...(auth ? { Authorization: `Bearer ${auth}` } : bad.kind === 'token' && bad.value ? { Authorization: bad.value } : {}), ...(body !== undefined ? { 'Content-Type': contentType ?? 'application/json' } : {}) },
        body,
      });
      const text = await res.text();
      tried++;
      const where = `${method} ${url.slice(0, 80)} [${bad.kind}]`;
      expect({ where, status: res.status >= 400 && res.status < 500 }).toEqual({ where, status: true });
      expect({ where, type: res.headers.get('content-type')?.split(';')[0] }).toEqual({ where, type: 'application/problem+json' });
      expect(ProblemSchema.safeParse(JSON.parse(text)).success).toBe(true);
    }),
    { numRuns: 400, seed: Number(process.env.SB_FUZZ_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
  );
  expect(tried).toBe(400);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect(t.logs.filter((l) => l.msg === 'HTTP request failed')).toEqual([]);
});
