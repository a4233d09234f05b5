// Reservation commit latency and snapshot cost of the ACD store, against a running Redis.
//   npm run build && node bench/redis-reserve.js [redis://127.0.0.1:6379/0]
// Plain JS on dist/ (bench/ is not part of the build). Also measures the alternative document
// encoding (a hash with fields v and d) that AcdStore does not use, to justify the choice.
/* eslint-disable */
'use strict';
const { randomUUID } = require('node:crypto');
const Redis = require('ioredis').default ?? require('ioredis');
const { AcdStore } = require('../dist/acd/store/acd-store.js');
const { LuaScript } = require('../dist/platform/redis/lua.js');
const { Keys } = require('../dist/platform/redis/keys.js');

const url = process.argv[2] ?? process.env.SB_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const N = Number(process.env.SB_BENCH_N ?? 20000);

function pct(samples, p) {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const fmt = (ns) => `${(ns / 1000).toFixed(0)} µs`;
function report(name, samples) {
  console.log(`${name.padEnd(58)} p50 ${fmt(pct(samples, 50)).padStart(7)}  p99 ${fmt(pct(samples, 99)).padStart(7)}  max ${fmt(pct(samples, 100)).padStart(8)}  (n=${samples.length})`);
}
const now = () => process.hrtime.bigint();

const agent = (id, over = {}) => ({ id, status: 'available', since: 1, idleSince: 1, missed: 0, callsTaken: 0, talkTimeMs: 0, reachable: true, ...over });
const entry = (callId) => ({ callId, queue: 'sales', priority: 0, enqueuedAt: 100, queuedAt: 100, attributes: { language: 'en', vip: false } });

/** The reservation transaction, and the release that undoes it (same shape: 2 docs + lease + waiting). */
function reservePair(store, a, av, c, cv, expiry) {
  return {
    expect: [{ key: store.agentKey(a), v: av }, { key: store.entryKey(c), v: cv }],
    put: [
      { key: store.agentKey(a), v: av + 1, doc: agent(a, { status: 'reserved', callId: c, lease: { owner: 'bench', id: `r${av}`, expiresAt: expiry } }) },
      { key: store.entryKey(c), v: cv + 1, doc: { ...entry(c), offeredTo: a } },
    ],
    zrem: [{ key: store.queueWaitingKey('sales'), member: c }],
    zadd: [{ key: store.leasesKey(), score: expiry, member: a }],
  };
}
function releasePair(store, a, av, c, cv) {
  return {
    expect: [{ key: store.agentKey(a), v: av }, { key: store.entryKey(c), v: cv }],
    put: [{ key: store.agentKey(a), v: av + 1, doc: agent(a) }, { key: store.entryKey(c), v: cv + 1, doc: entry(c) }],
    zrem: [{ key: store.leasesKey(), member: a }],
    zadd: [{ key: store.queueWaitingKey('sales'), score: 100, member: c }],
  };
}

// The same commit over hash documents (fields v, d): only the GET/SET lines differ.
const HASH_COMMIT = new LuaScript(`
local n = {} for i = 1, 7 do n[i] = tonumber(ARGV[i]) end
local k, a = 0, 7
for i = 1, n[1] do
  local have = redis.call('HGET', KEYS[k + i], 'v') or '0'
  if have ~= ARGV[a + i] then return {0, KEYS[k + i], have} end
end
k = k + n[1]; a = a + n[1]
for i = 1, n[2] do redis.call('HSET', KEYS[k + i], 'v', ARGV[a + 2 * i - 1], 'd', ARGV[a + 2 * i]) end
k = k + n[2]; a = a + 2 * n[2]
for i = 1, n[3] do redis.call('DEL', KEYS[k + i]) end
k = k + n[3]
for i = 1, n[4] do redis.call('ZADD', KEYS[k + i], ARGV[a + 2 * i - 1], ARGV[a + 2 * i]) end
k = k + n[4]; a = a + 2 * n[4]
for i = 1, n[5] do redis.call('ZREM', KEYS[k + i], ARGV[a + i]) end
return 1`);
function hashArgs(tx) {
  const keys = [];
  const args = [tx.expect.length, tx.put.length, 0, tx.zadd.length, tx.zrem.length, 0, 0].map(String);
  for (const e of tx.expect) { keys.push(e.key); args.push(String(e.v)); }
  for (const p of tx.put) { keys.push(p.key); args.push(String(p.v), JSON.stringify(p.doc)); }
  for (const z of tx.zadd) { keys.push(z.key); args.push(String(z.score), z.member); }
  for (const z of tx.zrem) { keys.push(z.key); args.push(z.member); }
  return [keys, args];
}

async function main() {
  const redis = new Redis(url);
  const keys = new Keys(`sbbench-${randomUUID().slice(0, 8)}`);
  const store = new AcdStore(redis, keys);
  const cleanup = async () => {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.acdAgents().split(':')[0]}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  };
  try {
    const info = await redis.info('server');
    console.log(`Redis ${/redis_version:(\S+)/.exec(info)?.[1]} at ${url}; node ${process.version}; ${N} samples each`);

    // ---- 1. reservation commit (2 docs + waiting ZREM + lease ZADD), one at a time ----
    const A = 'agent-1';
    const C = 'call-1';
    await store.commit({ expect: [{ key: store.agentKey(A), v: 0 }, { key: store.entryKey(C), v: 0 }], put: [{ key: store.agentKey(A), v: 1, doc: agent(A) }, { key: store.entryKey(C), v: 1, doc: entry(C) }], zadd: [{ key: store.queueWaitingKey('sales'), score: 100, member: C }] });
    let v = 1;
    const reserve = [];
    const release = [];
    for (let i = 0; i < N + 2000; i++) {
      let t = now();
      let r = await store.commit(reservePair(store, A, v, C, v, 1e12 + i));
      const dr = Number(now() - t);
      if (!r.ok) throw new Error('unexpected conflict');
      v++;
      t = now();
      r = await store.commit(releasePair(store, A, v, C, v));
      const dl = Number(now() - t);
      if (!r.ok) throw new Error('unexpected conflict');
      v++;
      if (i >= 2000) { reserve.push(dr); release.push(dl); }
    }
    report('reserve commit (string docs), sequential', reserve);
    report('release commit (string docs), sequential', release);

    // ---- 2. a commit that conflicts (stale agent version): the cost of losing a race ----
    const lose = [];
    for (let i = 0; i < N; i++) {
      const t = now();
      const r = await store.commit(reservePair(store, A, v - 1, C, v, 1e12));
      lose.push(Number(now() - t));
      if (r.ok) throw new Error('expected a conflict');
    }
    report('conflicting commit (rejected, nothing written)', lose);

    // ---- 3. throughput: 32 pairs, 32 commits in flight on one connection ----
    const P = 32;
    const vs = new Array(P).fill(1);
    for (let p = 0; p < P; p++) {
      await store.commit({ expect: [{ key: store.agentKey(`pa${p}`), v: 0 }, { key: store.entryKey(`pc${p}`), v: 0 }], put: [{ key: store.agentKey(`pa${p}`), v: 1, doc: agent(`pa${p}`) }, { key: store.entryKey(`pc${p}`), v: 1, doc: entry(`pc${p}`) }] });
    }
    const inflight = [];
    const t0 = now();
    await Promise.all(
      Array.from({ length: P }, async (_, p) => {
        for (let i = 0; i < N / P; i++) {
          const t = now();
          const tx = i % 2 === 0 ? reservePair(store, `pa${p}`, vs[p], `pc${p}`, vs[p], 1e12) : releasePair(store, `pa${p}`, vs[p], `pc${p}`, vs[p]);
          const r = await store.commit(tx);
          inflight.push(Number(now() - t));
          if (!r.ok) throw new Error('unexpected conflict');
          vs[p]++;
        }
      }),
    );
    const secs = Number(now() - t0) / 1e9;
    report(`commit with ${P} in flight (one connection)`, inflight);
    console.log(`${''.padEnd(58)} throughput ${Math.round(inflight.length / secs)} commits/s`);

    // ---- 4. the hash encoding, same transaction ----
    const HA = 'hagent-1';
    const HC = 'hcall-1';
    const hk = (t) => ({ ...t, expect: t.expect.map((e) => ({ ...e, key: e.key.replace(':acd:', ':acdh:') })), put: t.put.map((p) => ({ ...p, key: p.key.replace(':acd:', ':acdh:') })) });
    let hv = 0;
    const hashReserve = [];
    for (let i = 0; i < N + 2000; i++) {
      const tx = hk(i % 2 === 0 ? reservePair(store, HA, hv, HC, hv, 1e12) : releasePair(store, HA, hv, HC, hv));
      const [kk, aa] = hashArgs(tx);
      const t = now();
      const r = await HASH_COMMIT.run(redis, kk, aa);
      const d = Number(now() - t);
      if (r !== 1) throw new Error(`hash commit: ${JSON.stringify(r)}`);
      hv++;
      if (i >= 2000) hashReserve.push(d);
    }
    report('reserve/release commit (hash docs, for comparison)', hashReserve);

    // ---- 5. snapshot of 10,000 agents: strings via MGET vs hashes via pipelined HMGET ----
    const M = 10_000;
    const pipe = redis.pipeline();
    for (let i = 0; i < M; i++) {
      const d = JSON.stringify(agent(`s${i}`));
      pipe.set(store.agentKey(`s${i}`), `{"v":1,"d":${d}}`);
      pipe.sadd(store.agentsKey(), `s${i}`);
      pipe.hset(keys.acdAgent(`s${i}`).replace(':acd:', ':acdh:'), 'v', '1', 'd', d);
    }
    await pipe.exec();
    // Leave only the 10k snapshot agents in the index.
    await redis.srem(store.agentsKey(), A, 'pa0');
    const ids = await redis.smembers(store.agentsKey());
    const snapS = [];
    const snapH = [];
    for (let i = 0; i < 60; i++) {
      let t = now();
      const all = await store.allAgents();
      if (i >= 10) snapS.push(Number(now() - t));
      if (all.length < M) throw new Error(`snapshot: ${all.length}`);
      t = now();
      const hp = redis.pipeline();
      for (const id of ids) hp.hmget(keys.acdAgent(id).replace(':acd:', ':acdh:'), 'v', 'd');
      const rows = await hp.exec();
      const parsed = rows.filter(([, r]) => r && r[0] !== null).map(([, r]) => ({ v: Number(r[0]), d: JSON.parse(r[1]) }));
      if (i >= 10) snapH.push(Number(now() - t));
      if (parsed.length < M) throw new Error(`hash snapshot: ${parsed.length}`);
    }
    report(`allAgents() of ${M} (SMEMBERS + 10 MGET, JSON.parse)`, snapS);
    report(`same snapshot as hashes (SMEMBERS ids + ${M} pipelined HMGET)`, snapH);
    const memS = await redis.memory('USAGE', store.agentKey('s1'));
    const memH = await redis.memory('USAGE', keys.acdAgent('s1').replace(':acd:', ':acdh:'));
    console.log(`memory per agent document: string ${memS} B, hash ${memH} B`);
  } finally {
    await cleanup();
    redis.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
