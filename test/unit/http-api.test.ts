// The HTTP API's authentication, roles, validation and error envelope.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { ApiTokens } from '../../src/platform/http/auth';
import { PauseReasonRefused } from '../../src/acd/service/acd-service';
import { agentRoutes, type AgentApi } from '../../src/acd/http';
import { createHttpApp } from '../../src/platform/http/app';
import { applyAgentEvent, newAgentState } from '../../src/acd/domain/agent';
import type { AgentState } from '../../src/acd/domain/model';

const tokens = ApiTokens.parse('admin:admin-token-0123456789,agent:agent1-token-0123456789:agent1,supervisor:super-token-0123456789');
let server: Server;
let base: string;
const calls: string[] = [];
let state: AgentState = newAgentState('agent1', 0);
let failNext: unknown; // thrown by the next agent command, to exercise the error handler
const logLines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

class RedisDown extends Error {}

const agents: AgentApi = {
  exists: (id) => id === 'agent1' || id === 'agent2',
  list: async () => [
    { id: 'agent1', name: 'Ana', state },
    { id: 'agent2', name: 'Bo', state: undefined },
  ],
  command: async (id, command, reason) => {
    if (failNext !== undefined) {
      const err = failNext;
      failNext = undefined;
      throw err;
    }
    calls.push(`${id} ${command}${reason ? ` ${reason}` : ''}`);
    state = applyAgentEvent(state, command === 'pause' ? { type: 'pause', reason: reason ?? 'break', at: 1 } : { type: command, at: 1 });
    return state;
  },
};

beforeAll(async () => {
  server = createHttpApp({
    readiness: () => ({ ready: true, checks: {} }),
    tokens,
    routes: [agentRoutes(agents)],
    reloadConfig: async () => ({ ok: false, detail: 'a.yaml:1:1: bad' }),
    logger,
    unavailable: (err) => (err instanceof RedisDown ? 'redis is unreachable' : undefined),
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  logLines.length = 0;
  failNext = undefined;
});

async function send(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), 'Content-Type': 'application/json', ...opts.headers },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function req(method: string, path: string, token?: string, body?: unknown) {
  const { status, body: json } = await send(method, path, { token, body });
  return { status, body: json };
}

const envelope = (status: number, code: string, message: unknown) => ({ status, body: { error: { code, message } } });

test('no token or a wrong token: 401 with the error envelope', async () => {
  expect(await req('GET', '/api/agents')).toEqual({ status: 401, body: { error: { code: 'unauthenticated', message: 'a valid bearer token is required' } } });
  expect((await req('GET', '/api/agents', 'nope-nope-nope-nope')).status).toBe(401);
});

test('an agent token acts for its own agent only and sees only itself', async () => {
  const forbidden = envelope(403, 'forbidden', 'an agent token acts only for its own agent');
  expect(await req('POST', '/api/agents/agent2/login', 'agent1-token-0123456789')).toEqual(forbidden);
  // Same answer for an id that does not exist: an agent token cannot probe which agents exist.
  expect(await req('POST', '/api/agents/zed/login', 'agent1-token-0123456789')).toEqual(forbidden);
  expect(await req('POST', '/api/agents/zed/dance', 'agent1-token-0123456789')).toEqual(forbidden);
  expect((await req('POST', '/api/agents/agent1/login', 'agent1-token-0123456789')).status).toBe(200);
  const list = await req('GET', '/api/agents', 'agent1-token-0123456789');
  expect((list.body.agents as Array<{ id: string }>).map((a) => a.id)).toEqual(['agent1']);
  expect(calls).toEqual(['agent1 login']);
});

test('supervisor pauses with a reason; bad bodies and unknown agents get 4xx with a reason', async () => {
  const ok = await req('POST', '/api/agents/agent1/pause', 'super-token-0123456789', { reason: 'lunch' });
  expect(ok.status).toBe(200);
  expect(ok.body.agent).toMatchObject({ status: 'paused', pauseReason: 'lunch' });
  expect((await req('POST', '/api/agents/agent1/pause', 'super-token-0123456789', { reason: 'Lunch Break!' })).body).toEqual({
    error: { code: 'bad_request', message: expect.stringMatching(/^body: reason: /) },
  });
  expect((await req('POST', '/api/agents/agent1/pause', 'super-token-0123456789', '{not json')).status).toBe(400);
  expect((await req('POST', '/api/agents/agent1/dance', 'super-token-0123456789')).status).toBe(404);
  expect((await req('POST', '/api/agents/zed/login', 'super-token-0123456789')).body).toEqual({ error: { code: 'not_found', message: 'no agent "zed"' } });
});

test('a refused transition is a 409 that says why', async () => {
  state = applyAgentEvent(applyAgentEvent(applyAgentEvent(newAgentState('agent1', 0), { type: 'reachability', reachable: true, at: 0 }), { type: 'login', at: 0 }), { type: 'reserve', callId: 'c', at: 0 });
  const r = await req('POST', '/api/agents/agent1/pause', 'admin-token-0123456789', { reason: 'break' });
  expect(r).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'agent agent1: cannot pause while reserved (pause after the call)' } } });
});

test('a pause reason nobody may choose (the system\'s no-answer) is a 400 that says why', async () => {
  failNext = new PauseReasonRefused('no-answer', 'reserved');
  const r = await req('POST', '/api/agents/agent1/pause', 'agent1-token-0123456789', { reason: 'no-answer' });
  expect(r).toEqual({ status: 400, body: { error: { code: 'bad_request', message: 'pause reason "no-answer" is reserved for the automatic pause after missed offers' } } });
});

test('only admins reload the configuration; a refused reload is a 422 with the problems', async () => {
  expect((await req('POST', '/api/config/reload', 'super-token-0123456789')).status).toBe(403);
  expect(await req('POST', '/api/config/reload', 'admin-token-0123456789')).toEqual({ status: 422, body: { ok: false, detail: 'a.yaml:1:1: bad' } });
});

test('an oversized body is a 413, not a 500', async () => {
  const r = await req('POST', '/api/agents/agent1/pause', 'super-token-0123456789', { reason: 'a'.repeat(20_000) });
  expect(r).toEqual(envelope(413, 'payload_too_large', 'body is larger than the 16384-byte limit'));
});

test('an unknown charset is a 415, not a 500', async () => {
  const r = await send('POST', '/api/agents/agent1/pause', { token: 'super-token-0123456789', body: { reason: 'lunch' }, headers: { 'Content-Type': 'application/json; charset=klingon' } });
  expect({ status: r.status, body: r.body }).toEqual(envelope(415, 'unsupported_media_type', 'unsupported charset "KLINGON"'));
});

test('malformed percent-encoding in the path is a 400, not a 500', async () => {
  const bad = envelope(400, 'bad_request', 'the path has malformed percent-encoding');
  expect(await req('GET', '/api/agents/%E0%A4%A/login', 'super-token-0123456789')).toEqual(bad);
  expect(await req('POST', '/api/agents/%zz/login', 'super-token-0123456789')).toEqual(bad);
  expect(await req('POST', '/api/agents/%zz/login', 'agent1-token-0123456789')).toEqual(bad);
});

test('4xx answers are not logged', async () => {
  expect((await req('POST', '/api/agents/%zz/login', 'super-token-0123456789')).status).toBe(400);
  expect(await req('POST', '/api/agents/agent1/pause', 'super-token-0123456789', '{not json')).toEqual(envelope(400, 'bad_request', 'body is not valid JSON'));
  expect((await req('GET', '/api/agents')).status).toBe(401);
  expect(logLines).toEqual([]);
});

test('an error with a 4xx status keeps its status; its internal message and stack stay out of the answer', async () => {
  failNext = Object.assign(new Error('quota table at /srv/x.ts:12 is full'), { statusCode: 429 });
  expect(await req('POST', '/api/agents/agent1/login', 'admin-token-0123456789')).toEqual(envelope(429, 'too_many_requests', 'Too Many Requests'));
  expect(logLines).toEqual([]);
});

test('an unknown error is a 500 "internal", logged once with the error, method and path but no headers, body or token', async () => {
  failNext = Object.assign(new Error('boom'), { status: 502 }); // a 5xx status is not trusted either
  const r = await req('POST', '/api/agents/agent1/pause?trace=secret-query', 'admin-token-0123456789', { reason: 'secret_reason' });
  expect(r).toEqual(envelope(500, 'internal', 'internal error'));
  expect(JSON.stringify(r)).not.toMatch(/boom|stack/);
  expect(logLines).toHaveLength(1);
  const [line] = logLines;
  expect(line).toMatchObject({ level: 50, method: 'POST', path: '/api/agents/agent1/pause', status: 500, err: { message: 'boom', stack: expect.stringMatching(/^Error: boom/) } });
  expect(JSON.stringify(line)).not.toMatch(/admin-token|authorization|secret_reason|secret-query|content-type/i);
});

test('a dependency being away is a 503 "unavailable" with the reason and Retry-After: 2, and is logged', async () => {
  failNext = new RedisDown('connect ECONNREFUSED 127.0.0.1:6379');
  const r = await send('POST', '/api/agents/agent1/login', { token: 'admin-token-0123456789' });
  expect({ status: r.status, body: r.body }).toEqual(envelope(503, 'unavailable', 'redis is unreachable'));
  expect(r.headers.get('retry-after')).toBe('2');
  expect(logLines).toHaveLength(1);
  expect(logLines[0]).toMatchObject({ level: 40, method: 'POST', path: '/api/agents/agent1/login', status: 503, err: { message: 'connect ECONNREFUSED 127.0.0.1:6379' } });
});

test('token list errors name the item', () => {
  expect(() => ApiTokens.parse('root:abcdefghijklmnopq')).toThrow(/item 1: expected role:token/);
  expect(() => ApiTokens.parse('admin:short')).toThrow(/at least 16 characters/);
  expect(() => ApiTokens.parse('admin:abcdefghijklmnopq,agent:abcdefghijklmnopqr')).toThrow(/item 2: an agent token names its agent/);
});
