// The Redis adapters against a real Redis (the test stack's).
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { CallStore } from '../../src/calls/call-store';
import { RedisJournal } from '../../src/events/journal';
import { Keys } from '../../src/platform/redis/keys';
import type { CallState } from '../../src/calls/domain/greeting-flow';
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

const call = (id: string, phase: CallState['phase'] = 'greeting'): CallState => ({
  callId: id,
  channelId: id,
  number: '5000',
  callerId: '100',
  phase,
  arrivedAt: 1,
  remaining: ['hello-world'],
  playbackSeq: 0,
  digits: '',
});

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

test('journal entries are appended in order to a stream', async () => {
  const journal = new RedisJournal(redis, keys);
  await journal.append({ type: 'CALL_ARRIVED', callId: 'a', number: '5000', callerId: '100', at: 1 });
  await journal.append({ type: 'DIGIT', callId: 'a', digit: '7', at: 2 });
  const rows = await redis.xrange(keys.journal(), '-', '+');
  expect(rows.map(([, f]) => f)).toEqual([
    ['type', 'CALL_ARRIVED', 'callId', 'a', 'number', '5000', 'callerId', '100', 'at', '1'],
    ['type', 'DIGIT', 'callId', 'a', 'digit', '7', 'at', '2'],
  ]);
});
