// The Redis adapters against a real Redis (the test stack's).
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { CallStore } from '../../src/calls/call-store';
import { RedisJournal } from '../../src/events/journal';
import { Keys } from '../../src/platform/redis/keys';
import type { CallState } from '../../src/calls/domain/call';
import { redisUrl } from '../support/stack';

let redis: Redis;
let keys: Keys;
let prefix: string;

beforeAll(() => {
  redis = new Redis(redisUrl());
});
beforeEach(() => {
  prefix = `sbit-${randomUUID().slice(0, 8)}`;
  keys = new Keys(prefix);
});
afterEach(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
});
afterAll(() => redis.disconnect());

const call = (id: string, phase: CallState['phase'] = 'ivr'): CallState => ({ callId: id, channelId: id, number: '5000', callerId: '100', phase, arrivedAt: 1 });

test('a call is listed as active until it ends, and an ended call expires', async () => {
  const store = new CallStore(redis, keys, 'app');
  await store.put(call('a'));
  await store.put(call('b'));
  expect((await store.activeIds()).sort()).toEqual(['a', 'b']);
  expect(await store.get('a')).toEqual(call('a'));
  await store.put(call('a', 'ended'));
  expect(await store.activeIds()).toEqual(['b']);
  expect((await store.get('a'))?.phase).toBe('ended');
  const ttl = await redis.ttl(keys.call('a'));
  expect(ttl).toBeGreaterThan(0);
  expect(await redis.ttl(keys.call('b'))).toBe(-1);
  expect(await store.get('nope')).toBeUndefined();
});

test('the Asterisk identity swap returns the previous identity', async () => {
  const store = new CallStore(redis, keys, 'app');
  expect(await store.swapAsteriskIdentity('ast@1')).toBeNull();
  expect(await store.swapAsteriskIdentity('ast@2')).toBe('ast@1');
});

test('the journal appends events in order, each with its type and the event as JSON', async () => {
  const journal = new RedisJournal(redis, keys, { now: () => Date.now() }, 1);
  const a = await journal.append({ v: 1, type: 'call.arrived', callId: 'a', number: '5000', callerId: '100', at: 1 });
  const b = await journal.append({ v: 1, type: 'call.answered', callId: 'a', at: 2 });
  const rows = await redis.xrange(keys.journal(), '-', '+');
  expect(rows.map(([id, f]) => [id, f[0], f[1], JSON.parse(f[3]!).type])).toEqual([
    [a, 'type', 'call.arrived', 'call.arrived'],
    [b, 'type', 'call.answered', 'call.answered'],
  ]);
  expect((await journal.read(a)).map((r) => r.id)).toEqual([b]);
  expect((await journal.read()).map((r) => r.event.type)).toEqual(['call.arrived', 'call.answered']);
});

test('the journal keeps its retention period: older events are trimmed as new ones arrive', async () => {
  let now = Date.now();
  const journal = new RedisJournal(redis, keys, { now: () => now }, 1);
  for (let i = 0; i < 250; i++) await journal.append({ v: 1, type: 'call.answered', callId: `old${i}`, at: i });
  expect(await redis.xlen(keys.journal())).toBe(250);
  now += 2 * 86_400_000; // two days on: everything so far is past the 1-day retention
  await journal.append({ v: 1, type: 'call.answered', callId: 'new', at: now });
  // Trimming is approximate (whole blocks of entries, cheap for Redis): most of the old ones are gone at once.
  expect(await redis.xlen(keys.journal())).toBeLessThan(100);
});
