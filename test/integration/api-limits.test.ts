// Rate limits are shared by instances through Redis: two API instances on one Redis count one
// key's requests together, and failed authentications from one address together; over the
// limit, 429 with Retry-After and a problem body.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { agentRoutes } from '../../src/acd/http';
import { createHttpApp } from '../../src/platform/http/app';
import { ApiKeys } from '../../src/platform/http/auth';
import { RateLimits } from '../../src/platform/http/rate-limit';
import { fakeAcd, profile } from '../support/http-fakes';
import { redisUrl } from '../support/stack';

const ADMIN = 'limits-admin-token-0001';
const OTHER = 'limits-other-token-0001';
let redis: Redis;
const prefix = `t-limits-${randomUUID().slice(0, 8)}`;
const servers: Server[] = [];
const bases: string[] = [];

beforeAll(async () => {
  redis = new Redis(redisUrl());
  // Until the client is ready the limits count in each instance's memory (the fallback while Redis
  // is away), which is not what this test is about: start once it is connected.
  await redis.ping();
  for (let i = 0; i < 2; i++) {
    const app = createHttpApp({
      readiness: () => ({ ready: true, checks: {} }),
      keys: ApiKeys.parse(`admin:${ADMIN},supervisor:${OTHER}`),
      limits: new RateLimits(redis, { perKeyPerMinute: 5, authFailuresPerMinute: 3, prefix }),
      routes: [agentRoutes(fakeAcd({ agents: [profile('agent1', 'Ana', {})], queues: [] }))],
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    servers.push(server);
    bases.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const get = (i: number, token?: string) => fetch(`${bases[i]}/api/v1/agents`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

test("one key's requests are counted across instances; the sixth in a minute is a 429 with Retry-After", async () => {
  const statuses: number[] = [];
  for (let n = 0; n < 5; n++) statuses.push((await get(n % 2, ADMIN)).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200]);
  const over = await get(1, ADMIN);
  expect(over.status).toBe(429);
  expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(over.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await over.json()).toMatchObject({ status: 429, code: 'too_many_requests', detail: expect.stringMatching(/more than 5 requests in a minute/) });
  // Another key has its own budget.
  expect((await get(0, OTHER)).status).toBe(200);
});

test('failed authentications from one address are counted across instances; then even a good key is refused for the minute', async () => {
  const statuses: number[] = [];
  for (let n = 0; n < 3; n++) statuses.push((await get(n % 2, `wrong-token-${n}-0123456789`)).status);
  expect(statuses).toEqual([401, 401, 401]);
  const fourth = await get(1, 'wrong-token-x-0123456789');
  expect([fourth.status, Number(fourth.headers.get('retry-after')) >= 1]).toEqual([429, true]);
  const blocked = await get(0, OTHER);
  expect(blocked.status).toBe(429);
  expect(await blocked.json()).toMatchObject({ detail: expect.stringMatching(/too many failed authentications/) });
});
