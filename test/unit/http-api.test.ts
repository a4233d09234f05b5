// The HTTP API's platform: authentication and roles, problem details for every refusal, the
// first release's paths redirected, unknown routes and methods, bodies, and request logging.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { agentRoutes } from '../../src/acd/http';
import { PauseReasonRefused } from '../../src/acd/service/acd-service';
import { ApiKeys, keysFromEnv, sha256 } from '../../src/platform/http/auth';
import { createHttpApp } from '../../src/platform/http/app';
import { fakeAcd, profile, queueConfig } from '../support/http-fakes';

const ADMIN = 'admin-token-0123456789';
const SUPER = 'super-token-0123456789';
const TEAM_SUPER = 'teamsuper-token-0123456789';
const AGENT1 = 'agent1-token-0123456789';
const keys = new ApiKeys(keysFromEnv(`admin:${ADMIN},agent:${AGENT1}:agent1,supervisor:${SUPER}`), () => [
  { keyId: 'care-lead', role: 'supervisor', sha256: sha256(TEAM_SUPER), teams: ['care'] },
]);
const acd = fakeAcd({
  agents: [profile('agent1', 'Ana', { sales: 8 }), profile('agent2', 'Bo', { billing: 5 }), profile('agent3', 'Cy', { internet: 5 })],
  queues: [queueConfig('sales', 'skill.sales >= 1'), queueConfig('billing', 'skill.billing >= 1'), queueConfig('support', 'skill.internet >= 1')],
  teams: [{ id: 'care', name: 'Care', agents: ['agent2'] }],
});
class RedisDown extends Error {}
const logLines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

let server: Server;
let base: string;
beforeAll(async () => {
  server = createHttpApp({
    readiness: () => ({ ready: true, checks: {} }),
    keys,
    routes: [agentRoutes(acd)],
    logger,
    checkResponses: true,
    unavailable: (err) => (err instanceof RedisDown ? 'redis is unreachable' : undefined),
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  logLines.length = 0;
  acd.failNext = undefined;
});

async function send(method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string>; redirect?: 'follow' | 'manual' } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    redirect: o.redirect ?? 'follow',
    headers: { ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}), 'Content-Type': 'application/json', ...o.headers },
    body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

/** A problem-details answer: status, code and detail (and the content type). */
async function problemOf(method: string, path: string, o: Parameters<typeof send>[2] = {}) {
  const r = await send(method, path, o);
  expect(r.type).toMatch(/^application\/problem\+json/);
  expect(r.body).toMatchObject({ type: `urn:switchboard:problem:${String(r.body.code)}`, status: r.status, title: expect.any(String) });
  return { status: r.status, code: r.body.code, detail: r.body.detail };
}

const names = (r: { body: Record<string, unknown> }, key = 'agents') => (r.body[key] as Array<{ id: string }>).map((a) => a.id);

test('no token or a wrong token: 401 problem with WWW-Authenticate', async () => {
  expect(await problemOf('GET', '/api/v1/agents')).toEqual({ status: 401, code: 'unauthenticated', detail: 'a valid bearer token is required' });
  expect((await problemOf('GET', '/api/v1/agents', { token: 'nope-nope-nope-nope' })).status).toBe(401);
  expect((await send('GET', '/api/v1/agents')).headers.get('www-authenticate')).toBe('Bearer realm="switchboard"');
});

test('keys from the routing files are found by their hash; the key id, never the token, is logged', async () => {
  expect((await send('GET', '/api/v1/agents', { token: TEAM_SUPER })).status).toBe(200);
  const line = logLines.find((l) => l.msg === 'HTTP request');
  expect(line).toMatchObject({ method: 'GET', path: '/api/v1/agents', status: 200, key: 'care-lead', role: 'supervisor' });
  expect(JSON.stringify(logLines)).not.toContain(TEAM_SUPER);
});

test('an agent key acts for its own agent only and sees only itself', async () => {
  const forbidden = { status: 403, code: 'forbidden', detail: 'an agent key acts only for its own agent' };
  expect(await problemOf('POST', '/api/v1/agents/agent2/login', { token: AGENT1 })).toEqual(forbidden);
  // Same answer for an id that does not exist: an agent key cannot probe which agents exist.
  expect(await problemOf('POST', '/api/v1/agents/zed/login', { token: AGENT1 })).toEqual(forbidden);
  expect((await send('POST', '/api/v1/agents/agent1/login', { token: AGENT1 })).status).toBe(200);
  expect(names(await send('GET', '/api/v1/agents', { token: AGENT1 }))).toEqual(['agent1']);
  expect((await problemOf('GET', '/api/v1/agents/agent2', { token: AGENT1 })).status).toBe(404);
  expect(names(await send('GET', '/api/v1/queues', { token: AGENT1 }), 'queues')).toEqual(['sales']);
});

test('a supervisor with teams sees and acts on their teams only; one without teams on everyone', async () => {
  expect(names(await send('GET', '/api/v1/agents', { token: TEAM_SUPER }))).toEqual(['agent2']);
  expect(names(await send('GET', '/api/v1/queues', { token: TEAM_SUPER }), 'queues')).toEqual(['billing']);
  expect(await problemOf('POST', '/api/v1/agents/agent1/pause', { token: TEAM_SUPER, body: { reason: 'break' } })).toEqual({ status: 403, code: 'forbidden', detail: 'agent "agent1" is not in the teams this key supervises' });
  expect((await send('POST', '/api/v1/agents/agent2/login', { token: TEAM_SUPER })).status).toBe(200);
  expect(names(await send('GET', '/api/v1/agents', { token: SUPER }))).toEqual(['agent1', 'agent2', 'agent3']);
});

test('the live views: agents with state, reason and time in state; queues with agents by state', async () => {
  await send('POST', '/api/v1/agents/agent3/login', { token: ADMIN });
  const paused = await send('POST', '/api/v1/agents/agent3/pause', { token: ADMIN, body: { reason: 'lunch' } });
  expect(paused.body.agent).toMatchObject({ id: 'agent3', status: 'paused', reason: 'lunch', queues: ['support'], timeInStateSeconds: 0 });
  const q = (await send('GET', '/api/v1/queues', { token: ADMIN })).body.queues as Array<{ id: string; agents: Record<string, number>; serviceLevel: object }>;
  expect(q.find((x) => x.id === 'support')).toMatchObject({ waiting: 0, longestWaitSeconds: 0, overThreshold: 0, agents: { paused: 1, available: 0 }, serviceLevel: { thresholdSeconds: 20, target: 0.8, today: null, interval: null } });
});

test('bad bodies and unknown agents get 4xx problems naming the field', async () => {
  const bad = await send('POST', '/api/v1/agents/agent1/pause', { token: SUPER, body: { reason: 'Lunch Break!' } });
  expect(bad.status).toBe(400);
  expect(bad.body.invalid).toEqual([{ name: 'reason', reason: 'must be a code of lowercase letters, digits, "-" and "_"' }]);
  expect((await problemOf('POST', '/api/v1/agents/agent1/pause', { token: SUPER, body: { reason: 'x', extra: 1 } })).status).toBe(400);
  expect(await problemOf('POST', '/api/v1/agents/agent1/pause', { token: SUPER, body: '{not json' })).toEqual({ status: 400, code: 'bad_request', detail: 'body is not valid JSON' });
  expect(await problemOf('POST', '/api/v1/agents/zed/login', { token: SUPER })).toEqual({ status: 404, code: 'not_found', detail: 'no agent "zed"' });
  expect((await problemOf('GET', '/api/v1/agents?x=1', { token: SUPER })).status).toBe(400);
});

test('unknown routes are 404, known paths with another method 405 with Allow', async () => {
  expect(await problemOf('POST', '/api/v1/agents/agent1/dance', { token: SUPER })).toEqual({ status: 404, code: 'not_found', detail: 'no such route' });
  const r = await send('DELETE', '/api/v1/agents/agent1/login', { token: SUPER });
  expect([r.status, r.headers.get('allow'), r.body.code]).toEqual([405, 'POST', 'method_not_allowed']);
  expect((await problemOf('GET', '/nothing-here')).status).toBe(404);
});

test("the first release's paths answer 308 to /api/v1, which a client following redirects uses as before", async () => {
  const r = await send('POST', '/api/agents/agent1/login?x=1', { token: ADMIN, redirect: 'manual' });
  expect([r.status, r.headers.get('location'), r.headers.get('deprecation')]).toEqual([308, '/api/v1/agents/agent1/login?x=1', 'true']);
  expect((await send('POST', '/api/agents/agent1/pause', { token: ADMIN, body: { reason: 'lunch' } })).body.agent).toMatchObject({ status: 'paused', reason: 'lunch' });
});

test('a refused transition is a 409, a pause reason nobody may choose a 422, that say why', async () => {
  acd.states.set('agent1', { ...acd.states.get('agent1')!, status: 'reserved', callId: 'c' });
  expect(await problemOf('POST', '/api/v1/agents/agent1/pause', { token: ADMIN, body: { reason: 'break' } })).toEqual({ status: 409, code: 'conflict', detail: 'agent agent1: cannot pause while reserved (pause after the call)' });
  acd.failNext = new PauseReasonRefused('no-answer', 'reserved');
  expect((await problemOf('POST', '/api/v1/agents/agent1/pause', { token: AGENT1, body: { reason: 'no-answer' } })).status).toBe(422);
  acd.states.delete('agent1');
});

test('oversized bodies are 413, other content types 415, unknown charsets 415, bad percent-encoding 400', async () => {
  expect(await problemOf('POST', '/api/v1/agents/agent1/pause', { token: SUPER, body: { reason: 'a'.repeat(20_000) } })).toEqual({ status: 413, code: 'payload_too_large', detail: 'body is larger than the 16384-byte limit' });
  expect((await problemOf('POST', '/api/v1/agents/agent1/pause', { token: SUPER, body: 'reason=lunch', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
  expect(await problemOf('POST', '/api/v1/agents/agent1/pause', { token: SUPER, body: { reason: 'lunch' }, headers: { 'Content-Type': 'application/json; charset=klingon' } })).toEqual({ status: 415, code: 'unsupported_media_type', detail: 'unsupported charset "KLINGON"' });
  expect(await problemOf('POST', '/api/v1/agents/%zz/login', { token: SUPER })).toEqual({ status: 400, code: 'bad_request', detail: 'the path has malformed percent-encoding' });
});

test('an error with a 4xx status keeps its status; its internal message stays out of the answer', async () => {
  acd.failNext = Object.assign(new Error('quota table at /srv/x.ts:12 is full'), { statusCode: 429 });
  expect(await problemOf('POST', '/api/v1/agents/agent1/login', { token: ADMIN })).toEqual({ status: 429, code: 'too_many_requests', detail: 'request refused' });
});

test('an unknown error is a 500 "internal", logged once with the error, method and path but no headers, body or token', async () => {
  acd.failNext = Object.assign(new Error('boom'), { status: 502 }); // a 5xx status is not trusted either
  const r = await send('POST', '/api/v1/agents/agent1/pause?trace=secret-query', { token: ADMIN, body: { reason: 'secret_reason' } });
  expect(r.status).toBe(400); // a query the route does not take is refused before anything runs
  acd.failNext = Object.assign(new Error('boom'), { status: 502 });
  expect(await problemOf('POST', '/api/v1/agents/agent1/pause', { token: ADMIN, body: { reason: 'secret_reason' } })).toEqual({ status: 500, code: 'internal', detail: 'internal error' });
  const errors = logLines.filter((l) => l.level === 50);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ method: 'POST', path: '/api/v1/agents/agent1/pause', status: 500, err: { message: 'boom' } });
  expect(JSON.stringify(logLines)).not.toMatch(/admin-token|authorization|secret_reason|secret-query|content-type/i);
});

test('a dependency being away is a 503 "unavailable" with the reason and Retry-After: 2, and is logged', async () => {
  acd.failNext = new RedisDown('connect ECONNREFUSED 127.0.0.1:6379');
  const r = await send('POST', '/api/v1/agents/agent1/login', { token: ADMIN });
  expect([r.status, r.body.detail, r.headers.get('retry-after')]).toEqual([503, 'redis is unreachable', '2']);
  expect(logLines.filter((l) => l.level === 40)[0]).toMatchObject({ method: 'POST', path: '/api/v1/agents/agent1/login', status: 503, err: { message: 'connect ECONNREFUSED 127.0.0.1:6379' } });
});

test('/openapi.json is served without a key and lists the routes', async () => {
  const r = await send('GET', '/openapi.json');
  expect(r.status).toBe(200);
  expect(Object.keys(r.body.paths as object)).toContain('/api/v1/agents/{id}/pause');
});

test('token list errors name the item', () => {
  expect(() => ApiKeys.parse('root:abcdefghijklmnopq')).toThrow(/item 1: expected role:token/);
  expect(() => ApiKeys.parse('admin:short')).toThrow(/at least 16 characters/);
  expect(() => ApiKeys.parse('admin:abcdefghijklmnopq,agent:abcdefghijklmnopqr')).toThrow(/item 2: an agent token names its agent/);
});
