// Deadlines in Redis: claimed by one instance at a time; a claim is a lease, so a timer whose
// handler never finished fires again; a timer set again while being handled survives the ack.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import { Keys } from '../../src/platform/redis/keys';
import { RedisTimers } from '../../src/platform/timers/redis-timers';
import { redisUrl } from '../support/stack';

let redis: Redis;
let other: Redis;
let now = 1_000_000;
const clock = { now: () => now };
let prefix: string;

beforeAll(() => {
  redis = new Redis(redisUrl());
  other = new Redis(redisUrl());
});
beforeEach(() => {
  prefix = `sbtimers-${randomUUID().slice(0, 8)}`;
});
afterEach(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
});
afterAll(() => {
  redis.disconnect();
  other.disconnect();
});

test('due timers are claimed once, in due order, by one of two instances', async () => {
  const a = new RedisTimers<{ n: number }>(redis, new Keys(prefix), clock, pino({ level: 'silent' }));
  const b = new RedisTimers<{ n: number }>(other, new Keys(prefix), clock, pino({ level: 'silent' }));
  await a.set('t2', now + 20, { n: 2 });
  await a.set('t1', now + 10, { n: 1 });
  await a.set('t3', now + 1000, { n: 3 });
  now += 20;
  const [ca, cb] = await Promise.all([a.claimDue(), b.claimDue()]);
  const claimed = [...ca, ...cb].map((c) => c.payload.n);
  expect(claimed.sort()).toEqual([1, 2]);
  expect((ca.length === 0 ? cb : ca).map((c) => c.id)).toEqual(['t1', 't2']);
});

test('a claimed timer that is never acknowledged fires again after its lease; an acknowledged one is gone', async () => {
  const t = new RedisTimers<{ n: number }>(redis, new Keys(prefix), clock, pino({ level: 'silent' }));
  await t.set('crash', now, { n: 1 });
  await t.set('fine', now, { n: 2 });
  const first = await t.claimDue();
  expect(first.map((c) => c.id)).toEqual(['crash', 'fine']);
  await t.ack('fine', first[1]!.lease);
  expect(await t.claimDue()).toEqual([]); // leased, not due yet
  now += 30_000;
  expect((await t.claimDue()).map((c) => c.id)).toEqual(['crash']);
});

test('a timer set again by its own handler survives the acknowledgement', async () => {
  const t = new RedisTimers<{ n: number }>(redis, new Keys(prefix), clock, pino({ level: 'silent' }));
  await t.set('announce', now, { n: 1 });
  const [claim] = await t.claimDue();
  await t.set('announce', now + 4000, { n: 2 }); // the announcement handler arms the next one
  await t.ack('announce', claim!.lease);
  expect(await t.due('announce')).toBe(now + 4000);
});
