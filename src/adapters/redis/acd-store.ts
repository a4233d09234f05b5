// The ACD's state in Redis: versioned JSON documents (agents, queue entries) plus indexes, and
// one atomic primitive, commit(). The pure domain decides every transition from a snapshot;
// commit() applies the decision only if every document it read is still at the version read
// (optimistic concurrency), so two routers can never both act on the same agent or call.
//
// Key layout (all in keys.ts):
//   <prefix>:acd:agent:<agentId>          string  {"v":<version>,"d":<AgentState>}
//   <prefix>:acd:agents                   SET     agent ids that have a document
//   <prefix>:acd:entry:<callId>           string  {"v":<version>,"d":<QueueEntry>}
//   <prefix>:acd:queue:<queue>:waiting    ZSET    call ids waiting, score = enqueuedAt
//   <prefix>:acd:queues                   SET     queue ids with a waiting ZSET
//   <prefix>:leases                       ZSET    agent ids holding a reservation, score = expiry (ms)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import type { AgentState, QueueEntry } from '../../domain/acd/model';
import type { Keys } from './keys';

/** A document as stored: its version (1 on creation, +1 on every write) and its data. */
export interface Versioned<T> {
  readonly v: number;
  readonly d: T;
}

export interface Tx {
  /** Every document read to take the decision, at the version read (0 = must not exist). */
  readonly expect: ReadonlyArray<{ readonly key: string; readonly v: number }>;
  /** Documents to write; each must be in `expect`, with v = expected version + 1. */
  readonly put?: ReadonlyArray<{ readonly key: string; readonly doc: unknown; readonly v: number }>;
  /** Documents to delete; each must be in `expect`. */
  readonly del?: readonly string[];
  readonly zadd?: ReadonlyArray<{ readonly key: string; readonly score: number; readonly member: string }>;
  readonly zrem?: ReadonlyArray<{ readonly key: string; readonly member: string }>;
  readonly sadd?: ReadonlyArray<{ readonly key: string; readonly member: string }>;
  readonly srem?: ReadonlyArray<{ readonly key: string; readonly member: string }>;
}

/** Applied, or not applied at all because `conflict` was at version `actual`, not the expected one. */
export type CommitResult = { readonly ok: true } | { readonly ok: false; readonly conflict: string; readonly actual: number };

/** MGET batch size: bounds the time Redis spends on one command; batches go out back to back. */
const MGET_CHUNK = 1000;

const COMMIT_LUA = readFileSync(path.join(__dirname, 'scripts', 'commit.lua'), 'utf8');

/** The subset of ioredis the script runner needs (a fake can stand in for it in tests). */
export interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/** A Lua script run by EVALSHA, falling back to EVAL (which also caches it) on NOSCRIPT. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }
  async run(client: ScriptClient, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

export const COMMIT_SCRIPT = new LuaScript(COMMIT_LUA);

function isVersion(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/** Throws on a transaction that breaks the rules (a programming error, not a conflict). */
export function checkTx(tx: Tx): void {
  const expected = new Map<string, number>();
  for (const { key, v } of tx.expect) {
    if (!isVersion(v)) throw new Error(`commit: expected version of ${key} must be an integer >= 0, got ${v}`);
    if (expected.has(key)) throw new Error(`commit: ${key} is expected twice`);
    expected.set(key, v);
  }
  const written = new Set<string>();
  for (const { key, v } of tx.put ?? []) {
    const was = expected.get(key);
    if (was === undefined) throw new Error(`commit: ${key} is written but not in expect`);
    if (v !== was + 1) throw new Error(`commit: ${key} is expected at version ${was}, so its new version must be ${was + 1}, not ${v}`);
    if (written.has(key)) throw new Error(`commit: ${key} is written twice`);
    written.add(key);
  }
  for (const key of tx.del ?? []) {
    if (!expected.has(key)) throw new Error(`commit: ${key} is deleted but not in expect`);
    if (written.has(key)) throw new Error(`commit: ${key} is both written and deleted`);
    written.add(key);
  }
}

export class AcdStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  // ---- key helpers (names live in keys.ts) ----
  agentKey(agentId: string): string {
    return this.keys.acdAgent(agentId);
  }
  agentsKey(): string {
    return this.keys.acdAgents();
  }
  entryKey(callId: string): string {
    return this.keys.acdEntry(callId);
  }
  queueWaitingKey(queue: string): string {
    return this.keys.acdQueueWaiting(queue);
  }
  queuesKey(): string {
    return this.keys.acdQueues();
  }
  leasesKey(): string {
    return this.keys.leases();
  }

  // ---- reads ----
  /** Any versioned documents by key, in order; undefined where absent. One round trip. */
  async getDocs<T>(keys: readonly string[]): Promise<Array<Versioned<T> | undefined>> {
    if (keys.length === 0) return [];
    const chunks: Array<Promise<Array<string | null>>> = [];
    for (let i = 0; i < keys.length; i += MGET_CHUNK) chunks.push(this.redis.mget(...keys.slice(i, i + MGET_CHUNK)));
    const raws = (await Promise.all(chunks)).flat();
    return raws.map((raw) => (raw === null ? undefined : (JSON.parse(raw) as Versioned<T>)));
  }

  async getAgent(agentId: string): Promise<Versioned<AgentState> | undefined> {
    return (await this.getDocs<AgentState>([this.agentKey(agentId)]))[0];
  }

  /** Aligned with `agentIds`; undefined for an agent without a document. */
  async getAgents(agentIds: readonly string[]): Promise<Array<Versioned<AgentState> | undefined>> {
    return this.getDocs<AgentState>(agentIds.map((id) => this.agentKey(id)));
  }

  async getEntry(callId: string): Promise<Versioned<QueueEntry> | undefined> {
    return (await this.getDocs<QueueEntry>([this.entryKey(callId)]))[0];
  }

  /** Aligned with `callIds`; undefined for a call without an entry. */
  async getEntries(callIds: readonly string[]): Promise<Array<Versioned<QueueEntry> | undefined>> {
    return this.getDocs<QueueEntry>(callIds.map((id) => this.entryKey(id)));
  }

  /** Every agent in the index SET (SMEMBERS, then MGET): two round trips for any number of agents. */
  async allAgents(): Promise<Array<Versioned<AgentState>>> {
    const ids = await this.redis.smembers(this.agentsKey());
    return present(await this.getAgents(ids));
  }

  /**
   * Waiting entries of one queue (or of every queue in the queues SET), each queue's in enqueuedAt
   * order: ZRANGE(s) in one round trip, then one MGET round trip.
   */
  async waitingEntries(queue?: string): Promise<Array<Versioned<QueueEntry>>> {
    const queues = queue === undefined ? await this.redis.smembers(this.queuesKey()) : [queue];
    if (queues.length === 0) return [];
    const ids = (await Promise.all(queues.map((q) => this.redis.zrange(this.queueWaitingKey(q), '0', '-1')))).flat();
    return present(await this.getEntries(ids));
  }

  /** Agent ids whose lease expired at or before `now` (epoch ms), earliest first. */
  async expiredLeases(now: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.leasesKey(), '-inf', String(now));
  }

  // ---- the one write primitive ----
  /**
   * Applies every write of `tx` if every document in `tx.expect` is at its expected version,
   * else nothing. One round trip (EVALSHA), atomic in Redis.
   */
  async commit(tx: Tx): Promise<CommitResult> {
    checkTx(tx);
    const put = tx.put ?? [];
    const del = tx.del ?? [];
    const zadd = tx.zadd ?? [];
    const zrem = tx.zrem ?? [];
    const sadd = tx.sadd ?? [];
    const srem = tx.srem ?? [];
    const keys: string[] = [];
    const args: string[] = [tx.expect.length, put.length, del.length, zadd.length, zrem.length, sadd.length, srem.length].map(String);
    for (const e of tx.expect) {
      keys.push(e.key);
      args.push(String(e.v));
    }
    for (const p of put) {
      const json = JSON.stringify(p.doc);
      if (json === undefined) throw new Error(`commit: the document for ${p.key} does not serialise to JSON`);
      keys.push(p.key);
      args.push(String(p.v), json);
    }
    for (const key of del) keys.push(key);
    for (const z of zadd) {
      if (!Number.isFinite(z.score)) throw new Error(`commit: score for ${z.member} in ${z.key} must be finite`);
      keys.push(z.key);
      args.push(String(z.score), z.member);
    }
    for (const ops of [zrem, sadd, srem]) {
      for (const o of ops) {
        keys.push(o.key);
        args.push(o.member);
      }
    }
    const reply = await COMMIT_SCRIPT.run(this.redis, keys, args);
    if (reply === 1) return { ok: true };
    if (Array.isArray(reply) && reply[0] === 0) return { ok: false, conflict: String(reply[1]), actual: Number(reply[2]) };
    throw new Error(`commit: unexpected reply ${JSON.stringify(reply)}`);
  }
}

function present<T>(docs: Array<T | undefined>): T[] {
  return docs.filter((d): d is T => d !== undefined);
}
