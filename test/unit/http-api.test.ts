// The HTTP API's authentication, roles, validation and error envelope.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiTokens } from '../../src/adapters/http/auth';
import { createHttpApp, type AgentApi } from '../../src/adapters/http/app';
import { applyAgentEvent, newAgentState } from '../../src/domain/acd/agent';
import type { AgentState } from '../../src/domain/acd/model';

const tokens = ApiTokens.parse('admin:admin-token-0123456789,agent:agent1-token-0123456789:agent1,supervisor:super-token-0123456789');
let server: Server;
let base: string;
const calls: string[] = [];
let state: AgentState = newAgentState('agent1', 0);

const agents: AgentApi = {
  exists: (id) => id === 'agent1' || id === 'agent2',
  list: async () => [
    { id: 'agent1', name: 'Ana', state },
    { id: 'agent2', name: 'Bo', state: undefined },
  ],
  command: async (id, command, reason) => {
    calls.push(`${id} ${command}${reason ? ` ${reason}` : ''}`);
    state = applyAgentEvent(state, command === 'pause' ? { type: 'pause', reason: reason ?? 'break', at: 1 } : { type: command, at: 1 });
    return state;
  },
};

beforeAll(async () => {
  server = createHttpApp({ readiness: () => ({ ready: true, checks: {} }), tokens, agents, reloadConfig: async () => ({ ok: false, detail: 'a.yaml:1:1: bad' }) }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function req(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('no token or a wrong token: 401 with the error envelope', async () => {
  expect(await req('GET', '/api/agents')).toEqual({ status: 401, body: { error: { code: 'unauthenticated', message: 'a valid bearer token is required' } } });
  expect((await req('GET', '/api/agents', 'nope-nope-nope-nope')).status).toBe(401);
});

test('an agent token acts for its own agent only and sees only itself', async () => {
  expect((await req('POST', '/api/agents/agent2/login', 'agent1-token-0123456789')).status).toBe(403);
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

test('only admins reload the configuration; a refused reload is a 422 with the problems', async () => {
  expect((await req('POST', '/api/config/reload', 'super-token-0123456789')).status).toBe(403);
  expect(await req('POST', '/api/config/reload', 'admin-token-0123456789')).toEqual({ status: 422, body: { ok: false, detail: 'a.yaml:1:1: bad' } });
});

test('token list errors name the item', () => {
  expect(() => ApiTokens.parse('root:abcdefghijklmnopq')).toThrow(/item 1: expected role:token/);
  expect(() => ApiTokens.parse('admin:short')).toThrow(/at least 16 characters/);
  expect(() => ApiTokens.parse('admin:abcdefghijklmnopq,agent:abcdefghijklmnopqr')).toThrow(/item 2: an agent token names its agent/);
});
