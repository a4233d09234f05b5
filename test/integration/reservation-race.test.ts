// THE concurrency proof for the ACD store: independent routers, each with its own Redis
// connection, race to reserve (agent, call) pairs from snapshots; reservations are confirmed and
// ended (now or later) or left to expire and be released by two competing sweepers. Every
// successful commit goes into a ground-truth log; the test checks, while the race runs and at the
// end, that no agent ever had two calls, no call two agents, every call ended exactly once and
// nothing stays reserved once the leases are gone.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { AcdStore } from '../../src/acd/store/acd-store';
import type { Tx } from '../../src/acd/store/operations';
import type { Versioned } from '../../src/acd/ports';
import { Keys } from '../../src/platform/redis/keys';
import type { AgentState, QueueEntry } from '../../src/acd/domain/model';
import { redisUrl } from '../support/stack';

const ROUTERS = 4;
const SWEEPERS = 2;
const AGENTS = 20;
const WAITING = 50; // calls waiting at any time (a new call arrives when one ends)
const TOTAL_CALLS = 2000;
const QUEUES = ['sales', 'support'];
const LEASE_MS = 20;
const SWEEP_EVERY_MS = 3;
const MONITOR_EVERY_MS = 10;
const DEADLINE_MS = 40_000;

// ---------------------------------------------------------------------------------------------
// TEST DOUBLES of the domain transitions (the real ones are in src/acd/domain/).
// Pure: (state, input, now) → new state, or undefined when the transition does not apply.
// The reservation's lease (owner instance and a reservation id) rides on the agent document,
// and the offered call's entry records the agent it is offered to.
type AgentDoc = AgentState & { readonly lease?: { readonly owner: string; readonly id: string; readonly expiresAt: number } };
type EntryDoc = QueueEntry & { readonly offeredTo?: string };

function reserveT(agent: AgentDoc, entry: EntryDoc, owner: string, id: string, now: number): { agent: AgentDoc; entry: EntryDoc } | undefined {
  if (agent.status !== 'available' || !agent.reachable || entry.offeredTo !== undefined) return undefined;
  return {
    agent: { ...agent, status: 'reserved', since: now, callId: entry.callId, lease: { owner, id, expiresAt: now + LEASE_MS } },
    entry: { ...entry, offeredTo: agent.id },
  };
}
/** The agent answered: only the reservation it was offered (same reservation id). */
function confirmT(agent: AgentDoc, reservationId: string, now: number): AgentDoc | undefined {
  if (agent.status !== 'reserved' || agent.lease?.id !== reservationId) return undefined;
  const { lease: _lease, ...rest } = agent;
  return { ...rest, status: 'on-call', since: now };
}
/** The call ended: the agent is available again, the entry is gone. */
function endT(agent: AgentDoc, entry: EntryDoc, now: number): AgentDoc | undefined {
  if (agent.status !== 'on-call' || agent.callId !== entry.callId || entry.offeredTo !== agent.id) return undefined;
  const { callId: _c, ...rest } = agent;
  return { ...rest, status: 'available', since: now, idleSince: now, callsTaken: agent.callsTaken + 1, talkTimeMs: agent.talkTimeMs + (now - agent.since) };
}
/** The lease expired unanswered: the agent is available (one more missed offer), the call waits again. */
function releaseT(agent: AgentDoc, entry: EntryDoc, now: number): { agent: AgentDoc; entry: EntryDoc } | undefined {
  if (agent.status !== 'reserved' || !agent.lease || now < agent.lease.expiresAt) return undefined;
  if (agent.callId !== entry.callId || entry.offeredTo !== agent.id) return undefined;
  const { lease: _l, callId: _c, ...a } = agent;
  const { offeredTo: _o, ...e } = entry;
  return { agent: { ...a, status: 'available', since: now, missed: agent.missed + 1 }, entry: e };
}
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded RNG, one per router. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Kind = 'create' | 'reserve' | 'confirm' | 'end' | 'release';
/** One successful commit, as the ground truth. */
interface Rec {
  kind: Kind;
  by: string;
  agent?: string;
  call: string;
  reservation?: string;
  agentFrom?: number;
  entryFrom?: number;
}

jest.setTimeout(60_000);

test(`${ROUTERS} routers and ${SWEEPERS} sweepers race over ${AGENTS} agents and ${TOTAL_CALLS} calls without double reservation`, async () => {
  const keys = new Keys(`sbrace-${randomUUID().slice(0, 8)}`);
  const clients: Redis[] = [];
  const connect = (): AcdStore => {
    const r = new Redis(redisUrl());
    clients.push(r);
    return new AcdStore(r, keys);
  };
  const admin = connect();
  const adminRedis = clients[0]!;
  const agentIds = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
  const callId = (n: number) => `call-${n}`;

  const log: Rec[] = [];
  const violations: string[] = [];
  const claimed = new Set<string>(); // `${key}@${fromVersion}` of every successful commit
  const conflicts: Record<Kind, number> = { create: 0, reserve: 0, confirm: 0, end: 0, release: 0 };
  const stats = { rounds: 0, idle: 0, reservations: 0, immediate: 0, later: 0, abandoned: 0, confirmLost: 0, releases: 0, monitorScans: 0 };
  let created = 0;
  let ended = 0;
  const endedCalls = new Map<string, number>();

  function record(rec: Rec, keysFrom: Array<[string, number]>): void {
    for (const [key, from] of keysFrom) {
      const id = `${key}@${from}`;
      if (claimed.has(id)) violations.push(`two successful commits from ${id} (second: ${JSON.stringify(rec)})`);
      claimed.add(id);
    }
    log.push(rec);
  }

  /** Read, decide, commit; on a conflict read again and decide again. */
  async function attempt(store: AcdStore, kind: Kind, decide: () => Promise<{ tx: Tx; rec: Rec } | undefined>): Promise<boolean> {
    for (;;) {
      const d = await decide();
      if (!d) return false;
      const res = await store.commit(d.tx);
      if (res.ok) {
        record(
          d.rec,
          d.tx.expect.map((e) => [e.key, e.v]),
        );
        return true;
      }
      conflicts[kind]++;
    }
  }

  async function createCall(store: AcdStore, by: string, n: number): Promise<void> {
    const now = Date.now();
    const queue = QUEUES[n % QUEUES.length]!;
    const entry: EntryDoc = { callId: callId(n), queue, priority: 0, enqueuedAt: now, queuedAt: now, attributes: { language: 'en' } };
    const key = store.entryKey(entry.callId);
    const ok = await attempt(store, 'create', async () => ({
      tx: {
        expect: [{ key, v: 0 }],
        put: [{ key, v: 1, doc: entry }],
        zadd: [{ key: store.queueWaitingKey(queue), score: now, member: entry.callId }],
        sadd: [{ key: store.queuesKey(), member: queue }],
      },
      rec: { kind: 'create', by, call: entry.callId, entryFrom: 0 },
    }));
    if (!ok) violations.push(`could not create ${entry.callId}`);
  }

  const done = () => ended >= TOTAL_CALLS || violations.length > 0;

  // ---- seed: agents and the first waiting calls ----
  for (const id of agentIds) {
    const doc: AgentDoc = { id, status: 'available', since: 0, idleSince: 0, missed: 0, callsTaken: 0, talkTimeMs: 0, reachable: true };
    const key = admin.agentKey(id);
    expect(await admin.commit({ expect: [{ key, v: 0 }], put: [{ key, v: 1, doc }], sadd: [{ key: admin.agentsKey(), member: id }] })).toEqual({ ok: true });
    record({ kind: 'create', by: 'seed', agent: id, call: '', agentFrom: 0 }, [[key, 0]]);
  }
  while (created < WAITING) await createCall(admin, 'seed', created++);

  // ---- confirm and end: by the router that holds the reservation ----
  async function confirmAndEnd(store: AcdStore, by: string, agentId: string, call: string, reservation: string, r: () => number): Promise<void> {
    const ak = store.agentKey(agentId);
    const ek = store.entryKey(call);
    const confirmed = await attempt(store, 'confirm', async () => {
      const a = (await store.getAgent(agentId)) as Versioned<AgentDoc> | undefined;
      if (!a) return undefined;
      const next = confirmT(a.d, reservation, Date.now());
      if (!next) return undefined;
      return {
        tx: { expect: [{ key: ak, v: a.v }], put: [{ key: ak, v: a.v + 1, doc: next }], zrem: [{ key: store.leasesKey(), member: agentId }] },
        rec: { kind: 'confirm', by, agent: agentId, call, reservation, agentFrom: a.v },
      };
    });
    if (!confirmed) {
      stats.confirmLost++; // the lease expired and a sweeper released the offer first
      return;
    }
    if (r() < 0.5) await sleep(Math.floor(r() * 4)); // talk time
    const endsBefore = conflicts.end;
    const didEnd = await attempt(store, 'end', async () => {
      const [a, e] = await Promise.all([store.getAgent(agentId) as Promise<Versioned<AgentDoc> | undefined>, store.getEntry(call) as Promise<Versioned<EntryDoc> | undefined>]);
      if (!a || !e) return undefined;
      const next = endT(a.d, e.d, Date.now());
      if (!next) return undefined;
      return {
        tx: {
          expect: [
            { key: ak, v: a.v },
            { key: ek, v: e.v },
          ],
          put: [{ key: ak, v: a.v + 1, doc: next }],
          del: [ek],
        },
        rec: { kind: 'end', by, agent: agentId, call, agentFrom: a.v, entryFrom: e.v },
      };
    });
    if (!didEnd) {
      violations.push(`${by} could not end ${call} on ${agentId} after confirming it`);
      return;
    }
    if (conflicts.end !== endsBefore) violations.push(`an on-call agent (${agentId}) was written by someone else`);
    endedCalls.set(call, (endedCalls.get(call) ?? 0) + 1);
    ended++;
    if (created < TOTAL_CALLS) await createCall(store, by, created++);
  }

  // ---- routers ----
  async function router(i: number): Promise<void> {
    const by = `router-${i}`;
    const store = connect();
    const r = rng(0x5eed + i * 7919);
    const pending = new Set<Promise<void>>();
    let seq = 0;
    while (!done()) {
      stats.rounds++;
      const [agents, waiting] = await Promise.all([store.allAgents() as Promise<Array<Versioned<AgentDoc>>>, store.waitingEntries() as Promise<Array<Versioned<EntryDoc>>>]);
      const free = agents.filter((a) => a.d.status === 'available');
      const calls = waiting.filter((e) => e.d.offeredTo === undefined);
      if (free.length === 0 || calls.length === 0) {
        stats.idle++;
        await sleep(1);
        continue;
      }
      const a = free[Math.floor(r() * free.length)]!;
      const e = calls[Math.floor(r() * calls.length)]!;
      const now = Date.now();
      const reservation = `${by}#${seq++}`;
      const next = reserveT(a.d, e.d, by, reservation, now);
      if (!next) {
        violations.push(`snapshot offered an agent or call that cannot be reserved: ${a.d.id}, ${e.d.callId}`);
        break;
      }
      const ak = store.agentKey(a.d.id);
      const ek = store.entryKey(e.d.callId);
      const res = await store.commit({
        expect: [
          { key: ak, v: a.v },
          { key: ek, v: e.v },
        ],
        put: [
          { key: ak, v: a.v + 1, doc: next.agent },
          { key: ek, v: e.v + 1, doc: next.entry },
        ],
        zrem: [{ key: store.queueWaitingKey(e.d.queue), member: e.d.callId }],
        zadd: [{ key: store.leasesKey(), score: next.agent.lease!.expiresAt, member: a.d.id }],
      });
      if (!res.ok) {
        conflicts.reserve++;
        continue;
      }
      record({ kind: 'reserve', by, agent: a.d.id, call: e.d.callId, reservation, agentFrom: a.v, entryFrom: e.v }, [
        [ak, a.v],
        [ek, e.v],
      ]);
      stats.reservations++;
      const dice = r();
      if (dice < 0.55) {
        stats.immediate++;
        await confirmAndEnd(store, by, a.d.id, e.d.callId, reservation, r);
      } else if (dice < 0.8) {
        // Later: up to twice the lease, so about half of these race a sweeper for the agent.
        stats.later++;
        const delay = Math.floor(r() * 2 * LEASE_MS);
        const p: Promise<void> = sleep(delay)
          .then(() => confirmAndEnd(store, by, a.d.id, e.d.callId, reservation, r))
          .catch((err: unknown) => {
            violations.push(`${by}: ${String(err)}`);
          })
          .finally(() => pending.delete(p));
        pending.add(p);
      } else {
        stats.abandoned++; // never answered: the lease runs out
      }
    }
    await Promise.all(pending);
  }

  // ---- sweepers: release expired leases through the same commit path ----
  async function sweeper(i: number): Promise<void> {
    const by = `sweeper-${i}`;
    const store = connect();
    while (!done()) {
      for (const agentId of await store.expiredLeases(Date.now())) {
        const ak = store.agentKey(agentId);
        const released = await attempt(store, 'release', async () => {
          const a = (await store.getAgent(agentId)) as Versioned<AgentDoc> | undefined;
          if (!a || a.d.status !== 'reserved' || a.d.callId === undefined) return undefined; // confirmed or released meanwhile
          const e = (await store.getEntry(a.d.callId)) as Versioned<EntryDoc> | undefined;
          if (!e) return undefined;
          const next = releaseT(a.d, e.d, Date.now());
          if (!next) return undefined;
          const ek = store.entryKey(e.d.callId);
          return {
            tx: {
              expect: [
                { key: ak, v: a.v },
                { key: ek, v: e.v },
              ],
              put: [
                { key: ak, v: a.v + 1, doc: next.agent },
                { key: ek, v: e.v + 1, doc: next.entry },
              ],
              zrem: [{ key: store.leasesKey(), member: agentId }],
              zadd: [{ key: store.queueWaitingKey(e.d.queue), score: e.d.enqueuedAt, member: e.d.callId }],
            },
            rec: { kind: 'release', by, agent: agentId, call: e.d.callId, reservation: a.d.lease?.id ?? '', agentFrom: a.v, entryFrom: e.v },
          };
        });
        if (released) stats.releases++;
      }
      await sleep(SWEEP_EVERY_MS);
    }
  }

  // ---- monitor: atomic snapshots of Redis while the race runs (MULTI = one consistent view) ----
  function checkSnapshot(agents: Array<AgentDoc | undefined>, leases: Map<string, number>, waiting: Set<string>, entries: Map<string, EntryDoc>, known: (call: string) => boolean): void {
    const holder = new Map<string, string>();
    for (const a of agents) {
      if (!a) continue;
      const holds = a.status === 'reserved' || a.status === 'on-call';
      if (holds !== (a.callId !== undefined)) violations.push(`agent ${a.id} is ${a.status} with callId ${a.callId}`);
      if ((a.status === 'reserved') !== leases.has(a.id)) violations.push(`agent ${a.id} is ${a.status} but its lease is ${leases.has(a.id) ? 'present' : 'absent'}`);
      if (a.status === 'reserved' && leases.get(a.id) !== a.lease?.expiresAt) violations.push(`agent ${a.id}: lease score ${leases.get(a.id)} ≠ ${a.lease?.expiresAt}`);
      if (a.callId === undefined) continue;
      const other = holder.get(a.callId);
      if (other) violations.push(`call ${a.callId} is held by both ${other} and ${a.id}`);
      holder.set(a.callId, a.id);
      if (!known(a.callId)) continue;
      const e = entries.get(a.callId);
      if (!e || e.offeredTo !== a.id) violations.push(`agent ${a.id} holds ${a.callId} but its entry is offered to ${e?.offeredTo}`);
      if (waiting.has(a.callId)) violations.push(`call ${a.callId} is held by ${a.id} and waiting`);
    }
    const offeredTo = new Map<string, string>();
    for (const [call, e] of entries) {
      if (e.offeredTo === undefined) {
        if (!waiting.has(call)) violations.push(`call ${call} is neither offered nor waiting`);
        continue;
      }
      const prev = offeredTo.get(e.offeredTo);
      if (prev) violations.push(`agent ${e.offeredTo} has two calls: ${prev} and ${call}`);
      offeredTo.set(e.offeredTo, call);
      if (holder.get(call) !== e.offeredTo) violations.push(`entry ${call} is offered to ${e.offeredTo}, who holds ${agents.find((a) => a?.id === e.offeredTo)?.callId}`);
    }
  }

  async function scan(r: Redis): Promise<void> {
    const upTo = created;
    const callKeys = Array.from({ length: upTo }, (_, n) => keys.acdEntry(callId(n)));
    const m = r.multi().mget(...agentIds.map((id) => keys.acdAgent(id))).zrange(keys.leases(), '0', '-1', 'WITHSCORES');
    for (const q of QUEUES) m.zrange(keys.acdQueueWaiting(q), '0', '-1');
    m.mget(...callKeys);
    const out = (await m.exec())!.map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    const agents = (out[0] as Array<string | null>).map((raw) => (raw ? (JSON.parse(raw) as Versioned<AgentDoc>).d : undefined));
    const flat = out[1] as string[];
    const leases = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) leases.set(flat[i]!, Number(flat[i + 1]));
    const waiting = new Set<string>(QUEUES.flatMap((_, i) => out[2 + i] as string[]));
    const entries = new Map<string, EntryDoc>();
    for (const raw of out[2 + QUEUES.length] as Array<string | null>) {
      if (raw) {
        const e = (JSON.parse(raw) as Versioned<EntryDoc>).d;
        entries.set(e.callId, e);
      }
    }
    for (const w of waiting) if (Number(w.slice('call-'.length)) < upTo && !entries.has(w)) violations.push(`waiting call ${w} has no entry`);
    checkSnapshot(agents, leases, waiting, entries, (call) => Number(call.slice('call-'.length)) < upTo);
    stats.monitorScans++;
  }

  async function monitor(): Promise<void> {
    connect();
    const r = clients[clients.length - 1]!;
    while (!done()) {
      await scan(r);
      await sleep(MONITOR_EVERY_MS);
    }
  }

  // ---- run ----
  const t0 = Date.now();
  const deadline = setTimeout(() => violations.push(`deadline: only ${ended}/${TOTAL_CALLS} calls ended in ${DEADLINE_MS} ms`), DEADLINE_MS);
  try {
    await Promise.all([...Array.from({ length: ROUTERS }, (_, i) => router(i)), ...Array.from({ length: SWEEPERS }, (_, i) => sweeper(i)), monitor()]);
    const elapsed = Date.now() - t0;
    // Leases still out (offers abandoned at the very end, if any) expire; release them the same way.
    clearTimeout(deadline);
    expect(violations).toEqual([]);

    // ---- ground truth: replay each key's commits in version order ----
    const byAgent = new Map<string, Rec[]>();
    const byCall = new Map<string, Rec[]>();
    for (const rec of log) {
      if (rec.agent !== undefined && rec.agentFrom !== undefined) byAgent.set(rec.agent, [...(byAgent.get(rec.agent) ?? []), rec]);
      if (rec.call && rec.entryFrom !== undefined) byCall.set(rec.call, [...(byCall.get(rec.call) ?? []), rec]);
    }
    for (const [agent, recs] of byAgent) {
      recs.sort((x, y) => x.agentFrom! - y.agentFrom!);
      let state: { s: 'available' } | { s: 'reserved' | 'on-call'; call: string; reservation?: string } = { s: 'available' };
      for (const [i, rec] of recs.entries()) {
        if (rec.agentFrom !== i) violations.push(`${agent}: commit #${i} was from version ${rec.agentFrom}`);
        if (rec.kind === 'create') continue;
        if (rec.kind === 'reserve') {
          if (state.s !== 'available') violations.push(`${agent} reserved for ${rec.call} while ${state.s} with ${state.call}`);
          state = { s: 'reserved', call: rec.call, reservation: rec.reservation! };
        } else if (rec.kind === 'confirm' || rec.kind === 'release') {
          if (state.s !== 'reserved' || state.call !== rec.call || state.reservation !== rec.reservation)
            violations.push(`${agent}: ${rec.kind} of ${rec.call}/${rec.reservation} while ${JSON.stringify(state)}`);
          state = rec.kind === 'confirm' ? { s: 'on-call', call: rec.call } : { s: 'available' };
        } else if (rec.kind === 'end') {
          if (state.s !== 'on-call' || state.call !== rec.call) violations.push(`${agent}: end of ${rec.call} while ${JSON.stringify(state)}`);
          state = { s: 'available' };
        }
      }
      if (state.s === 'on-call') violations.push(`${agent} ends the run on a call`);
    }
    let reservationsAfterRun = 0;
    for (const [call, recs] of byCall) {
      recs.sort((x, y) => x.entryFrom! - y.entryFrom!);
      let offeredTo: string | undefined;
      let endedHere = 0;
      recs.forEach((rec, i) => {
        if (rec.entryFrom !== i) violations.push(`${call}: commit #${i} was from version ${rec.entryFrom}`);
        if (rec.kind === 'reserve') {
          if (offeredTo !== undefined) violations.push(`${call} reserved by ${rec.agent} while offered to ${offeredTo}`);
          offeredTo = rec.agent;
        } else if (rec.kind === 'release') {
          if (offeredTo !== rec.agent) violations.push(`${call} released by ${rec.agent} while offered to ${offeredTo}`);
          offeredTo = undefined;
        } else if (rec.kind === 'end') {
          if (offeredTo !== rec.agent) violations.push(`${call} ended by ${rec.agent} while offered to ${offeredTo}`);
          if (i !== recs.length - 1) violations.push(`${call} has commits after its end`);
          endedHere++;
        }
      });
      if (endedHere !== 1) violations.push(`${call} ended ${endedHere} times`);
      if (offeredTo !== undefined && endedHere === 0) reservationsAfterRun++;
    }
    expect(byCall.size).toBe(TOTAL_CALLS);
    expect(endedCalls.size).toBe(TOTAL_CALLS);
    expect([...endedCalls.values()].every((n) => n === 1)).toBe(true);
    expect(reservationsAfterRun).toBe(0);
    expect(violations).toEqual([]);

    // ---- final state in Redis: nothing reserved, no lease, no entry, nothing waiting ----
    await scan(adminRedis);
    expect(violations).toEqual([]);
    expect(await adminRedis.zcard(keys.leases())).toBe(0);
    for (const q of QUEUES) expect(await adminRedis.zcard(keys.acdQueueWaiting(q))).toBe(0);
    const final = (await admin.allAgents()) as Array<Versioned<AgentDoc>>;
    expect(final).toHaveLength(AGENTS);
    for (const a of final) {
      expect(a.d.status).toBe('available');
      expect(a.d.callId).toBeUndefined();
      expect(a.d.lease).toBeUndefined();
      expect(a.v).toBe(byAgent.get(a.d.id)!.length); // every write to it is in the log
    }
    expect(final.reduce((n, a) => n + a.d.callsTaken, 0)).toBe(TOTAL_CALLS);
    const leftover: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await adminRedis.scan(cursor, 'MATCH', keys.acdEntry('*'), 'COUNT', 1000);
      cursor = next;
      leftover.push(...found);
    } while (cursor !== '0');
    expect(leftover).toEqual([]);

    const commits = log.length;
    const conflictTotal = Object.values(conflicts).reduce((a, b) => a + b, 0);
    console.log(
      [
        `reservation race: ${ROUTERS} routers + ${SWEEPERS} sweepers, ${AGENTS} agents, ${WAITING} waiting, ${TOTAL_CALLS} calls in ${elapsed} ms`,
        `  rounds ${stats.rounds} (idle ${stats.idle}), reservations ${stats.reservations} (confirmed at once ${stats.immediate}, later ${stats.later}, abandoned ${stats.abandoned})`,
        `  late confirms that lost to a sweeper ${stats.confirmLost}, releases ${stats.releases}, monitor scans ${stats.monitorScans}`,
        `  successful commits ${commits} (${Math.round((commits / elapsed) * 1000)}/s), conflicts ${conflictTotal}: ${JSON.stringify(conflicts)}`,
        `  reserve conflict rate ${((conflicts.reserve / (conflicts.reserve + stats.reservations)) * 100).toFixed(1)}%`,
      ].join('\n'),
    );
  } finally {
    clearTimeout(deadline);
    let cursor = '0';
    do {
      const [next, found] = await adminRedis.scan(cursor, 'MATCH', `${keys.acdAgents().split(':')[0]}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await adminRedis.del(...found);
    } while (cursor !== '0');
    for (const c of clients) c.disconnect();
  }
});
