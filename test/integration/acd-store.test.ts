// AcdStore against a real Redis: the commit primitive's all-or-nothing semantics, the indexes,
// leases, and the cost of a snapshot read.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { AcdStore, COMMIT_SCRIPT } from '../../src/acd/store/acd-store';
import { LuaScript, type ScriptClient } from '../../src/platform/redis/lua';
import { Keys } from '../../src/platform/redis/keys';
import type { AgentState, QueueEntry } from '../../src/acd/domain/model';
import { redisUrl } from '../support/stack';

let redis: Redis;
let keys: Keys;
let prefix: string;
let store: AcdStore;

beforeAll(() => {
  redis = new Redis(redisUrl());
});
beforeEach(() => {
  prefix = `sbit-${randomUUID().slice(0, 8)}`;
  keys = new Keys(prefix);
  store = new AcdStore(redis, keys);
});
afterEach(async () => {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
});
afterAll(() => redis.disconnect());

const agent = (id: string, over: Partial<AgentState> = {}): AgentState => ({
  id,
  status: 'available',
  since: 1,
  idleSince: 1,
  missed: 0,
  callsTaken: 0,
  talkTimeMs: 0,
  reachable: true,
  ...over,
});
const entry = (callId: string, queue = 'sales', enqueuedAt = 100): QueueEntry => ({
  callId,
  queue,
  priority: 0,
  enqueuedAt,
  queuedAt: enqueuedAt,
  attributes: { language: 'en' },
});

/** Everything under the test prefix, as a comparable picture. */
async function dump(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await redis.keys(`${prefix}:*`)).sort()) {
    const type = await redis.type(key);
    if (type === 'string') out[key] = await redis.get(key);
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else if (type === 'zset') out[key] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else out[key] = type;
  }
  return out;
}

/** Creates agents and waiting entries through commit. */
async function seed(agentIds: string[], entries: QueueEntry[] = []): Promise<void> {
  for (const id of agentIds) {
    expect(await store.commit({ expect: [{ key: store.agentKey(id), v: 0 }], put: [{ key: store.agentKey(id), v: 1, doc: agent(id) }], sadd: [{ key: store.agentsKey(), member: id }] })).toEqual({ ok: true });
  }
  for (const e of entries) {
    const r = await store.commit({
      expect: [{ key: store.entryKey(e.callId), v: 0 }],
      put: [{ key: store.entryKey(e.callId), v: 1, doc: e }],
      zadd: [{ key: store.queueWaitingKey(e.queue), score: e.enqueuedAt, member: e.callId }],
      sadd: [{ key: store.queuesKey(), member: e.queue }],
    });
    expect(r).toEqual({ ok: true });
  }
}

describe('commit', () => {
  test('creates a document only if it is absent (expected version 0), at version 1', async () => {
    const key = store.agentKey('a1');
    expect(await store.commit({ expect: [{ key, v: 0 }], put: [{ key, v: 1, doc: agent('a1') }] })).toEqual({ ok: true });
    expect(await store.getAgent('a1')).toEqual({ v: 1, d: agent('a1') });
    expect(await redis.get(key)).toBe(`{"v":1,"d":${JSON.stringify(agent('a1'))}}`);
    // A second create loses: the document exists at version 1.
    expect(await store.commit({ expect: [{ key, v: 0 }], put: [{ key, v: 1, doc: agent('a1', { missed: 9 }) }] })).toEqual({ ok: false, conflict: key, actual: 1 });
    expect((await store.getAgent('a1'))?.d.missed).toBe(0);
  });

  test('when every version matches, applies every write and bumps each written version by one', async () => {
    await seed(['a1'], [entry('c1')]);
    const ak = store.agentKey('a1');
    const ek = store.entryKey('c1');
    const reserved = agent('a1', { status: 'reserved', callId: 'c1', since: 200 });
    const r = await store.commit({
      expect: [
        { key: ak, v: 1 },
        { key: ek, v: 1 },
      ],
      put: [
        { key: ak, v: 2, doc: reserved },
        { key: ek, v: 2, doc: entry('c1') },
      ],
      zrem: [{ key: store.queueWaitingKey('sales'), member: 'c1' }],
      zadd: [{ key: store.leasesKey(), score: 5000, member: 'a1' }],
    });
    expect(r).toEqual({ ok: true });
    expect(await store.getAgent('a1')).toEqual({ v: 2, d: reserved });
    expect((await store.getEntry('c1'))?.v).toBe(2);
    expect(await store.waitingEntries('sales')).toEqual([]);
    expect(await redis.zscore(store.leasesKey(), 'a1')).toBe('5000');
  });

  test('a single mismatched version applies nothing', async () => {
    await seed(['a1', 'a2'], [entry('c1'), entry('c2', 'sales', 101)]);
    const before = await dump();
    const r = await store.commit({
      expect: [
        { key: store.agentKey('a1'), v: 1 },
        { key: store.agentKey('a2'), v: 1 },
        { key: store.entryKey('c1'), v: 2 }, // stale: it is at 1
        { key: store.entryKey('c9'), v: 0 },
      ],
      put: [
        { key: store.agentKey('a1'), v: 2, doc: agent('a1', { status: 'paused' }) },
        { key: store.entryKey('c9'), v: 1, doc: entry('c9') },
      ],
      del: [store.agentKey('a2')],
      zadd: [{ key: store.leasesKey(), score: 1, member: 'a1' }],
      zrem: [{ key: store.queueWaitingKey('sales'), member: 'c2' }],
      sadd: [{ key: store.queuesKey(), member: 'support' }],
      srem: [{ key: store.agentsKey(), member: 'a2' }],
    });
    expect(r).toEqual({ ok: false, conflict: store.entryKey('c1'), actual: 1 });
    expect(await dump()).toEqual(before);
    // A document expected absent that exists is a conflict too.
    const r2 = await store.commit({ expect: [{ key: store.agentKey('a1'), v: 0 }], put: [{ key: store.agentKey('a1'), v: 1, doc: agent('a1') }] });
    expect(r2).toEqual({ ok: false, conflict: store.agentKey('a1'), actual: 1 });
    // And one expected present that is absent.
    const r3 = await store.commit({ expect: [{ key: store.entryKey('nope'), v: 3 }], del: [store.entryKey('nope')] });
    expect(r3).toEqual({ ok: false, conflict: store.entryKey('nope'), actual: 0 });
    expect(await dump()).toEqual(before);
  });

  test('deletes documents; a deleted document can be created again from version 0', async () => {
    await seed(['a1'], [entry('c1')]);
    const ek = store.entryKey('c1');
    const r = await store.commit({ expect: [{ key: ek, v: 1 }], del: [ek], zrem: [{ key: store.queueWaitingKey('sales'), member: 'c1' }] });
    expect(r).toEqual({ ok: true });
    expect(await store.getEntry('c1')).toBeUndefined();
    expect(await redis.exists(ek)).toBe(0);
    expect(await store.commit({ expect: [{ key: ek, v: 1 }], del: [ek] })).toEqual({ ok: false, conflict: ek, actual: 0 });
    expect(await store.commit({ expect: [{ key: ek, v: 0 }], put: [{ key: ek, v: 1, doc: entry('c1') }] })).toEqual({ ok: true });
  });

  test('index-only operations with an empty expect always apply', async () => {
    const r = await store.commit({
      expect: [],
      zadd: [
        { key: store.queueWaitingKey('q'), score: 3, member: 'x' },
        { key: store.queueWaitingKey('q'), score: 1, member: 'y' },
      ],
      sadd: [{ key: store.queuesKey(), member: 'q' }],
    });
    expect(r).toEqual({ ok: true });
    expect(await redis.zrange(store.queueWaitingKey('q'), '0', '-1')).toEqual(['y', 'x']);
    expect(await store.commit({ expect: [], zrem: [{ key: store.queueWaitingKey('q'), member: 'y' }], srem: [{ key: store.queuesKey(), member: 'q' }] })).toEqual({ ok: true });
    expect(await redis.zrange(store.queueWaitingKey('q'), '0', '-1')).toEqual(['x']);
    expect(await redis.smembers(store.queuesKey())).toEqual([]);
  });

  test('rejects transactions that write what they did not read, or skip a version', async () => {
    const ak = store.agentKey('a1');
    await expect(store.commit({ expect: [], put: [{ key: ak, v: 1, doc: agent('a1') }] })).rejects.toThrow(/not in expect/);
    await expect(store.commit({ expect: [{ key: ak, v: 0 }], put: [{ key: ak, v: 2, doc: agent('a1') }] })).rejects.toThrow(/must be 1, not 2/);
    await expect(store.commit({ expect: [], del: [ak] })).rejects.toThrow(/not in expect/);
    await expect(
      store.commit({
        expect: [
          { key: ak, v: 0 },
          { key: ak, v: 0 },
        ],
      }),
    ).rejects.toThrow(/twice/);
    await expect(store.commit({ expect: [{ key: ak, v: -1 }] })).rejects.toThrow(/integer >= 0/);
    expect(await redis.exists(ak)).toBe(0);
  });

  test('refuses to treat a foreign value as a document', async () => {
    const ak = store.agentKey('a1');
    await redis.set(ak, 'not json');
    await expect(store.commit({ expect: [{ key: ak, v: 1 }] })).rejects.toThrow(/not a versioned document/);
  });

  test('falls back to EVAL when the script cache does not hold the script (NOSCRIPT)', async () => {
    const calls: string[] = [];
    const fake: ScriptClient = {
      evalsha: async () => {
        calls.push('evalsha');
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
      eval: async (lua, numKeys, ...args) => {
        calls.push('eval');
        return redis.eval(lua, numKeys, ...args);
      },
    };
    const script = new LuaScript(`return ARGV[1]`);
    expect(await script.run(fake, [], ['hi'])).toBe('hi');
    expect(calls).toEqual(['evalsha', 'eval']);
    // And against Redis itself: after EVAL the script is cached under its SHA-1.
    await COMMIT_SCRIPT.run(redis, [], Array.from({ length: 11 }, () => '0'));
    expect(await redis.script('EXISTS', COMMIT_SCRIPT.sha)).toEqual([1]);
  });
});

describe('reads', () => {
  test('allAgents reads the index; getAgents is aligned with the ids asked for', async () => {
    await seed(['a1', 'a2', 'a3']);
    const all = await store.allAgents();
    expect(all.map((a) => a.d.id).sort()).toEqual(['a1', 'a2', 'a3']);
    expect(all.every((a) => a.v === 1)).toBe(true);
    const some = await store.getAgents(['a3', 'zz', 'a1']);
    expect(some.map((a) => a?.d.id)).toEqual(['a3', undefined, 'a1']);
    expect(await store.getAgents([])).toEqual([]);
    expect(await store.getAgent('zz')).toBeUndefined();
  });

  test('waitingEntries: one queue in enqueuedAt order, or every queue in the queues set; waitingCount counts them', async () => {
    await seed([], [entry('c3', 'sales', 300), entry('c1', 'sales', 100), entry('s1', 'support', 50), entry('c2', 'sales', 200)]);
    expect((await store.waitingEntries('sales')).map((e) => e.d.callId)).toEqual(['c1', 'c2', 'c3']);
    expect((await store.waitingEntries('support')).map((e) => e.d.callId)).toEqual(['s1']);
    expect((await store.waitingEntries()).map((e) => e.d.callId).sort()).toEqual(['c1', 'c2', 'c3', 's1']);
    expect(await store.waitingEntries('none')).toEqual([]);
    expect([await store.waitingCount('sales'), await store.waitingCount('support'), await store.waitingCount('none')]).toEqual([3, 1, 0]);
    expect(await store.getEntry('c2')).toEqual({ v: 1, d: entry('c2', 'sales', 200) });
  });

  test('a snapshot of 10,000 agents takes a handful of commands, not one per agent', async () => {
    const n = 10_000;
    const pipe = redis.pipeline();
    for (let i = 0; i < n; i++) {
      pipe.set(store.agentKey(`a${i}`), JSON.stringify({ v: 1, d: agent(`a${i}`) }));
      pipe.sadd(store.agentsKey(), `a${i}`);
    }
    await pipe.exec();
    const sent = jest.spyOn(redis, 'sendCommand');
    const t0 = performance.now();
    const all = await store.allAgents();
    const ms = performance.now() - t0;
    const commands = sent.mock.calls.length;
    sent.mockRestore();
    expect(all).toHaveLength(n);
    expect(commands).toBeLessThanOrEqual(1 + Math.ceil(n / 1000));
    console.log(`allAgents(): ${n} agents in ${ms.toFixed(1)} ms with ${commands} commands (1 SMEMBERS + MGETs of 1000, sent back to back)`);
  });
});

describe('currentAgents: the in-memory copy that follows the change feed', () => {
  /** Another instance of Switchboard: its own store (and copy) on the same Redis. */
  const other = () => new AcdStore(redis, keys);
  const bump = async (s: AcdStore, id: string, over: Partial<AgentState>): Promise<void> => {
    const cur = (await s.getAgent(id))!;
    expect(await s.commit({ expect: [{ key: s.agentKey(id), v: cur.v }], put: [{ key: s.agentKey(id), v: cur.v + 1, doc: { ...cur.d, ...over } }] })).toEqual({ ok: true });
  };
  const picture = async (s: AcdStore) => Object.fromEntries([...(await s.currentAgents()).docs.values()].map((a) => [a.d.id, [a.v, a.d.status]]));

  test("sees another instance's writes, fetching only the documents that changed", async () => {
    await seed(['a1', 'a2', 'a3']);
    const b = other();
    expect(await picture(b)).toEqual({ a1: [1, 'available'], a2: [1, 'available'], a3: [1, 'available'] });
    const rev = (await b.currentAgents()).rev;
    await bump(store, 'a2', { status: 'paused' });
    // The refresh is one script (changes-2.lua): the changed ids and their documents, nothing else.
    const mget = jest.spyOn(redis, 'mget');
    const script = jest.spyOn(redis, 'evalsha');
    const fetched = async () => {
      const replies = (await Promise.all(script.mock.results.map((r) => r.value))) as Array<[unknown, string[], unknown[]]>;
      return replies.map(([, ids, docs]) => [ids, docs.length]);
    };
    try {
      expect(await picture(b)).toEqual({ a1: [1, 'available'], a2: [2, 'paused'], a3: [1, 'available'] });
      expect(await fetched()).toEqual([[['a2'], 1]]);
      script.mockClear();
      expect(await picture(b)).toEqual({ a1: [1, 'available'], a2: [2, 'paused'], a3: [1, 'available'] });
      expect(await fetched()).toEqual([[[], 0]]); // nothing changed: no document read at all
      expect(mget).not.toHaveBeenCalled();
    } finally {
      mget.mockRestore();
      script.mockRestore();
    }
    const snap = await b.currentAgents();
    expect([snap.rev, [...snap.changedSince(rev)!]]).toEqual([rev + 1, ['a2']]);
    await seed(['a4']);
    expect(Object.keys(await picture(b)).sort()).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect([...(await b.currentAgents()).changedSince(rev)!].sort()).toEqual(['a2', 'a4']);
    // After a full reload what changed before is not known any more.
    b.forgetCopies();
    expect((await b.currentAgents()).changedSince(rev)).toBeUndefined();
  });

  test('a read asked for after a commit sees it, even while an older read is in flight', async () => {
    await seed(['a1', 'a2']);
    const b = other();
    await b.currentAgents();
    await bump(store, 'a2', { status: 'paused' });
    // b's refresh reads the feed (a2 changed) first on the connection, then needs a second round
    // trip for a2's document; the commit of a1 goes out between the two, so it is done while
    // that refresh still runs, and the refresh cannot have seen it.
    const inFlight = b.currentAgents();
    const ak = store.agentKey('a1');
    expect(await store.commit({ expect: [{ key: ak, v: 1 }], put: [{ key: ak, v: 2, doc: agent('a1', { status: 'paused' }) }] })).toEqual({ ok: true });
    const after = b.currentAgents();
    const versions = (snap: { docs: ReadonlyMap<string, { v: number }> }) => Object.fromEntries([...snap.docs].map(([id, a]) => [id, a.v]));
    expect(versions(await inFlight)).toMatchObject({ a2: 2 });
    expect(versions(await after)).toEqual({ a1: 2, a2: 2 });
  });

  test('data lost or flushed: a new feed epoch makes the copy reload in full', async () => {
    await seed(['a1', 'a2', 'a3']);
    const b = other();
    await bump(store, 'a1', { status: 'paused' });
    expect(Object.keys(await picture(b)).sort()).toEqual(['a1', 'a2', 'a3']);
    // Redis starts over (FLUSHDB for this prefix); as many writes follow as before.
    await redis.del(...(await redis.keys(`${prefix}:*`)));
    await seed(['a9']);
    await bump(store, 'a9', { status: 'paused' });
    await bump(store, 'a9', { status: 'available' });
    await bump(store, 'a9', { status: 'paused' });
    expect(await redis.hget(keys.acdFeed('agents').hash, 'seq')).toBe('4'); // the count of b's copy before
    expect(await picture(b)).toEqual({ a9: [4, 'paused'] });
  });

  test('documents written without the feed (older data) are read in full until the feed exists', async () => {
    await redis.set(store.agentKey('a1'), JSON.stringify({ v: 3, d: agent('a1') }));
    await redis.sadd(store.agentsKey(), 'a1');
    const b = other();
    expect(await picture(b)).toEqual({ a1: [3, 'available'] });
    await redis.set(store.agentKey('a1'), JSON.stringify({ v: 4, d: agent('a1', { status: 'paused' }) }));
    expect(await picture(b)).toEqual({ a1: [4, 'paused'] });
  });

  test('a conflict on an agent the feed does not list (a write Redis lost) re-reads that agent', async () => {
    await seed(['a1', 'a2']);
    await bump(store, 'a1', { status: 'paused' });
    const b = other();
    expect(await picture(b)).toEqual({ a1: [2, 'paused'], a2: [1, 'available'] });
    // As after a restart that lost the last second of AOF: a1 is back at version 1, unannounced.
    await redis.set(store.agentKey('a1'), JSON.stringify({ v: 1, d: agent('a1') }));
    expect(await picture(b)).toEqual({ a1: [2, 'paused'], a2: [1, 'available'] });
    const r = await b.commit({ expect: [{ key: b.agentKey('a1'), v: 2 }], put: [{ key: b.agentKey('a1'), v: 3, doc: agent('a1') }] });
    expect(r).toEqual({ ok: false, conflict: b.agentKey('a1'), actual: 1 });
    expect(await picture(b)).toEqual({ a1: [1, 'available'], a2: [1, 'available'] });
  });

  test('forgetCopies (after a reconnect) reads everything again', async () => {
    await seed(['a1']);
    const b = other();
    await b.currentAgents();
    await redis.set(store.agentKey('a1'), JSON.stringify({ v: 1, d: agent('a1', { status: 'paused' }) }));
    expect(await picture(b)).toEqual({ a1: [1, 'available'] });
    b.forgetCopies();
    expect(await picture(b)).toEqual({ a1: [1, 'paused'] });
  });
});

describe('currentWaiting: the in-memory copy of the waiting entries', () => {
  const other = () => new AcdStore(redis, keys);
  const waiting = async (s: AcdStore) => [...(await s.currentWaiting()).docs.keys()].sort();
  const acdEntry = (callId: string, queue = 'sales') => ({ ...entry(callId, queue), state: 'waiting' });
  /** Creates waiting entries in one commit, as enqueue does. */
  const enqueue = async (ids: string[], queue = 'sales') => {
    const r = await store.commit({
      expect: ids.map((id) => ({ key: store.entryKey(id), v: 0 })),
      put: ids.map((id) => ({ key: store.entryKey(id), v: 1, doc: acdEntry(id, queue) })),
      zadd: ids.map((id) => ({ key: store.queueWaitingKey(queue), score: 100, member: id })),
      sadd: [{ key: store.queuesKey(), member: queue }],
    });
    expect(r).toEqual({ ok: true });
  };
  /** Ends calls in one commit (entry deleted, out of its waiting set). */
  const end = async (ids: string[], queue = 'sales') => {
    const docs = await store.getEntries(ids);
    const r = await store.commit({
      expect: ids.map((id, i) => ({ key: store.entryKey(id), v: docs[i]!.v })),
      del: ids.map((id) => store.entryKey(id)),
      zrem: ids.map((id) => ({ key: store.queueWaitingKey(queue), member: id })),
    });
    expect(r).toEqual({ ok: true });
  };

  test('follows enqueue, offer (no longer waiting), back to waiting and the end of calls', async () => {
    await enqueue(['c1', 'c2']);
    await enqueue(['s1'], 'support');
    const b = other();
    expect(await waiting(b)).toEqual(['c1', 'c2', 's1']);
    // c1 is offered: its state changes and it leaves the waiting set in the same commit.
    const ek = store.entryKey('c1');
    await store.commit({ expect: [{ key: ek, v: 1 }], put: [{ key: ek, v: 2, doc: { ...acdEntry('c1'), state: 'offered' } }], zrem: [{ key: store.queueWaitingKey('sales'), member: 'c1' }] });
    expect(await waiting(b)).toEqual(['c2', 's1']);
    await store.commit({ expect: [{ key: ek, v: 2 }], put: [{ key: ek, v: 3, doc: acdEntry('c1') }], zadd: [{ key: store.queueWaitingKey('sales'), score: 100, member: 'c1' }] });
    expect(await waiting(b)).toEqual(['c1', 'c2', 's1']);
    await end(['c2']);
    expect(await waiting(b)).toEqual(['c1', 's1']);
    expect((await b.currentWaiting()).docs.get('c1')?.v).toBe(3);
    // The copy agrees with a full read.
    expect((await store.waitingEntries()).map((e) => e.d.callId).sort()).toEqual(await waiting(b));
  });

  test('deletions trimmed from the feed before a copy saw them make it reload in full', async () => {
    const early = Array.from({ length: 1100 }, (_, i) => `e${String(i).padStart(4, '0')}`);
    await enqueue(['keep', ...early]);
    const b = other();
    expect(await waiting(b)).toHaveLength(1101);
    await end(early);
    // 3,000 more calls come and go: the deleted ids pass the feed's limit (4,096) and the
    // oldest 1,024, all of them calls b's copy still holds, leave the feed.
    for (let i = 0; i < 3; i++) {
      const batch = Array.from({ length: 1000 }, (_, j) => `x${i}-${j}`);
      await enqueue(batch);
      await end(batch);
    }
    const feed = keys.acdFeed('entries');
    expect(await redis.zcard(feed.gone)).toBe(4100 - 1024);
    expect(Number(await redis.hget(feed.hash, 'floor'))).toBeGreaterThan(0);
    expect(await waiting(b)).toEqual(['keep']);
  });
});

describe('leases', () => {
  test('expiredLeases returns the agents whose lease expired at or before now, earliest first', async () => {
    const lk = store.leasesKey();
    expect(await store.expiredLeases(1000)).toEqual([]);
    await store.commit({
      expect: [],
      zadd: [
        { key: lk, score: 1500, member: 'a2' },
        { key: lk, score: 1000, member: 'a1' },
        { key: lk, score: 2000, member: 'a3' },
      ],
    });
    expect(await store.expiredLeases(999)).toEqual([]);
    expect(await store.expiredLeases(1000)).toEqual(['a1']);
    expect(await store.expiredLeases(1999)).toEqual(['a1', 'a2']);
    await store.commit({ expect: [], zrem: [{ key: lk, member: 'a1' }] });
    expect(await store.expiredLeases(5000)).toEqual(['a2', 'a3']);
  });

  test('a lease and its reservation are released together through commit, once', async () => {
    await seed(['a1'], [entry('c1')]);
    const ak = store.agentKey('a1');
    const ek = store.entryKey('c1');
    const reserve = await store.commit({
      expect: [
        { key: ak, v: 1 },
        { key: ek, v: 1 },
      ],
      put: [
        { key: ak, v: 2, doc: agent('a1', { status: 'reserved', callId: 'c1' }) },
        { key: ek, v: 2, doc: entry('c1') },
      ],
      zrem: [{ key: store.queueWaitingKey('sales'), member: 'c1' }],
      zadd: [{ key: store.leasesKey(), score: 1000, member: 'a1' }],
    });
    expect(reserve.ok).toBe(true);
    expect(await store.expiredLeases(1000)).toEqual(['a1']);
    const release = {
      expect: [
        { key: ak, v: 2 },
        { key: ek, v: 2 },
      ],
      put: [
        { key: ak, v: 3, doc: agent('a1', { missed: 1 }) },
        { key: ek, v: 3, doc: entry('c1') },
      ],
      zadd: [{ key: store.queueWaitingKey('sales'), score: 100, member: 'c1' }],
      zrem: [{ key: store.leasesKey(), member: 'a1' }],
    };
    // Two sweepers decide the same release from the same snapshot: exactly one applies.
    const results = await Promise.all([store.commit(release), store.commit(release)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await store.expiredLeases(10_000)).toEqual([]);
    expect((await store.getAgent('a1'))?.d).toEqual(agent('a1', { missed: 1 }));
    expect((await store.waitingEntries('sales')).map((e) => [e.d.callId, e.v])).toEqual([['c1', 3]]);
  });
});
