// The ACD's state in Redis: versioned JSON documents (agents, queue entries) plus indexes, and
// one atomic primitive, commit(). The pure domain decides every transition from a snapshot;
// commit() applies the decision only if every document it read is still at the version read
// (optimistic concurrency), so two routers can never both act on the same agent or call.
//
// Key layout (all in keys.ts):
//   <prefix>:acd:agent:<agentId>          string  {"v":<version>,"d":<AgentState>}
//   <prefix>:acd:agents                   SET     agent ids that have a document
//   <prefix>:acd:agents:feed              HASH    seq: commits that wrote agent documents; epoch
//   <prefix>:acd:agents:changed           ZSET    agent ids, score = counter value of their last write
//   <prefix>:acd:entry:<callId>           string  {"v":<version>,"d":<QueueEntry>}
//   <prefix>:acd:queue:<queue>:waiting    ZSET    call ids waiting, score = enqueuedAt
//   <prefix>:acd:queues                   SET     queue ids with a waiting ZSET
//   <prefix>:leases                       ZSET    agent ids holding a reservation, score = expiry (ms)
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import type { AgentState, QueueEntry } from '../../domain/acd/model';
import type { AgentSnapshot } from '../../app/acd/ports';
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

  /**
   * Every agent document, from a copy kept in memory and brought up to date before it is returned:
   * one round trip reads the ids changed since the last refresh (the change feed commit() writes),
   * a second fetches only those. As fresh as allAgents() (the read starts after the call), without
   * reading thousands of documents per routing decision. Commits still check versions, so a copy
   * that is stale by the time it is used costs a retry, never a double booking.
   */
  async currentAgents(): Promise<AgentSnapshot> {
    await this.agentCache.refresh();
    return this.agentCache;
  }

  private readonly agentCache = new AgentCache(this);
  /** With a count, the feed's epoch if this commit is the one that creates the counter: unique
   *  per creation, also when one process sees the counter created twice. */
  private readonly epochToken = randomBytes(8).toString('hex');
  private epochCount = 0;

  /** The change feed's position, and every agent id in the index: one MULTI, so they agree. */
  async agentIndex(): Promise<FeedRead> {
    const r = await this.redis.multi().hmget(this.keys.acdAgentsFeed(), 'seq', 'epoch').smembers(this.agentsKey()).exec();
    return { ...feedPosition(replyOf<Array<string | null>>(r, 0)), ids: replyOf<string[]>(r, 1) };
  }

  /** The change feed's position, and the agent ids written after `seq`: one MULTI. */
  async agentChangesSince(seq: number): Promise<FeedRead> {
    const r = await this.redis.multi().hmget(this.keys.acdAgentsFeed(), 'seq', 'epoch').zrangebyscore(this.keys.acdAgentsChanged(), `(${seq}`, '+inf').exec();
    return { ...feedPosition(replyOf<Array<string | null>>(r, 0)), ids: replyOf<string[]>(r, 1) };
  }

  /** Drops the in-memory copy: the next currentAgents() reads every document. */
  forgetAgents(): void {
    this.agentCache.forget();
  }

  private agentIdsWritten(tx: Tx): string[] {
    const prefix = this.keys.acdAgent('');
    const ids: string[] = [];
    for (const key of [...(tx.put ?? []).map((p) => p.key), ...(tx.del ?? [])]) if (key.startsWith(prefix)) ids.push(key.slice(prefix.length));
    return ids;
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
    const changedAgents = this.agentIdsWritten(tx);
    const args: string[] = [tx.expect.length, put.length, del.length, zadd.length, zrem.length, sadd.length, srem.length, changedAgents.length].map(String);
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
    if (changedAgents.length > 0) {
      keys.push(this.keys.acdAgentsFeed(), this.keys.acdAgentsChanged());
      args.push(...changedAgents, `${this.epochToken}-${++this.epochCount}`);
    }
    const reply = await COMMIT_SCRIPT.run(this.redis, keys, args);
    if (reply === 1) return { ok: true };
    if (Array.isArray(reply) && reply[0] === 0) {
      const conflict = String(reply[1]);
      // Usually the feed already lists the agent; if the copy went wrong some other way (writes
      // lost in a Redis restart), this re-reads it instead of conflicting on every retry.
      const prefix = this.keys.acdAgent('');
      if (conflict.startsWith(prefix)) this.agentCache.refetch(conflict.slice(prefix.length));
      return { ok: false, conflict, actual: Number(reply[2]) };
    }
    throw new Error(`commit: unexpected reply ${JSON.stringify(reply)}`);
  }
}

interface FeedRead {
  readonly seq: number;
  readonly epoch: string;
  readonly ids: string[];
}

function feedPosition([seq, epoch]: Array<string | null>): { seq: number; epoch: string } {
  return { seq: Number(seq ?? 0), epoch: epoch ?? '' };
}

/** How many revisions of changed ids a copy remembers for changedSince(). */
const CHANGE_LOG_REVISIONS = 256;

/**
 * The in-memory copy behind currentAgents(). Refreshes never overlap: a caller that arrives while
 * one runs waits for it and then for the next one, which starts after its call, so it never gets a
 * read older than its request (a call queued just after an agent became free must see the agent).
 * Each refresh that changes the copy is a new revision; the ids it changed are remembered for a
 * while, so a user of the copy can update what it derived from it instead of starting over.
 */
class AgentCache implements AgentSnapshot {
  readonly docs = new Map<string, Versioned<AgentState>>();
  rev = 0;
  /** Changed ids per revision, oldest first; a full reload clears it (nothing before is known). */
  private log: Array<{ rev: number; ids: string[] }> = [];
  private fullAt = 0;
  /** Change counter the copy is complete up to; -1 = no copy yet. */
  private seq = -1;
  private epoch = '';
  private generation = 0;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private readonly stale = new Set<string>();

  constructor(private readonly store: AcdStore) {}

  changedSince(rev: number): ReadonlySet<string> | undefined {
    if (rev < this.fullAt || (this.log.length > 0 && rev < this.log[0]!.rev - 1)) return undefined;
    const out = new Set<string>();
    for (const entry of this.log) if (entry.rev > rev) for (const id of entry.ids) out.add(id);
    return out;
  }

  forget(): void {
    this.seq = -1;
    this.generation++;
  }

  /** Fetches this agent's document at the next refresh even if the feed does not list it. */
  refetch(id: string): void {
    this.stale.add(id);
  }

  refresh(): Promise<void> {
    if (!this.running) {
      this.running = this.load().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.refresh();
      });
    return this.next;
  }

  private async load(): Promise<void> {
    const generation = this.generation;
    if (this.seq < 0) {
      // The counter is read with the index, before the documents: anything written meanwhile
      // has a higher count and is fetched again next time.
      const { seq, epoch, ids } = await this.store.agentIndex();
      const docs = await this.store.getAgents(ids);
      if (generation !== this.generation) return this.load();
      this.docs.clear();
      docs.forEach((d, i) => d && this.docs.set(ids[i]!, d));
      this.fullAt = ++this.rev;
      this.log = [];
      // No feed yet (no agent written since the data began): nothing to follow, so read in
      // full again next time rather than trust a copy no epoch can invalidate.
      this.seq = epoch === '' ? -1 : seq;
      this.epoch = epoch;
      return;
    }
    const stale = [...this.stale];
    this.stale.clear();
    const feed = await this.store.agentChangesSince(this.seq);
    const { seq, epoch } = feed;
    if (epoch !== this.epoch || seq < this.seq) {
      // The counter was created again (Redis lost data, was flushed or replaced): start over.
      this.seq = -1;
      return this.load();
    }
    const ids = [...new Set([...feed.ids, ...stale])];
    const docs = await this.store.getAgents(ids);
    if (generation !== this.generation) return this.load();
    const changed: string[] = [];
    ids.forEach((id, i) => {
      const d = docs[i];
      const had = this.docs.get(id);
      if (d && had?.v === d.v) return;
      if (!d && !had) return;
      changed.push(id);
      if (d) this.docs.set(id, d);
      else this.docs.delete(id);
    });
    this.seq = seq;
    if (changed.length === 0) return;
    this.log.push({ rev: ++this.rev, ids: changed });
    if (this.log.length > CHANGE_LOG_REVISIONS) this.log.shift();
  }
}

function replyOf<T>(replies: Array<[Error | null, unknown]> | null, i: number): T {
  const r = replies?.[i];
  if (!r) throw new Error('redis: MULTI was aborted');
  if (r[0]) throw r[0];
  return r[1] as T;
}

function present<T>(docs: Array<T | undefined>): T[] {
  return docs.filter((d): d is T => d !== undefined);
}
