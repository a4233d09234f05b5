// The ACD's state in Redis: versioned JSON documents (agents, queue entries) plus indexes, and
// one atomic primitive, commit(). The pure domain decides every transition from a snapshot;
// commit() applies the decision only if every document it read is still at the version read
// (optimistic concurrency), so two routers can never both act on the same agent or call.
// Just over ~400 lines: the commit and the in-memory copies it feeds (FeedCopy) are one design.
//
// Key layout (all in keys.ts):
//   <prefix>:acd:agent:<agentId>          string  {"v":<version>,"d":<AgentState>}
//   <prefix>:acd:agents                   SET     agent ids that have a document
//   <prefix>:acd:{agents,entries}:feed    HASH    change feed: seq (commits that wrote the family), epoch, floor
//   <prefix>:acd:{agents,entries}:feed:changed  ZSET  ids, score = seq of their last write or delete
//   <prefix>:acd:{agents,entries}:feed:gone     ZSET  deleted ids, score = seq of the delete (trimmed)
//   <prefix>:acd:entry:<callId>           string  {"v":<version>,"d":<QueueEntry>}
//   <prefix>:acd:queue:<queue>:waiting    ZSET    call ids waiting, score = enqueuedAt
//   <prefix>:acd:queues                   SET     queue ids with a waiting ZSET
//   <prefix>:leases                       ZSET    agent ids holding a reservation, score = expiry (ms)
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { LuaScript } from '../../platform/redis/lua';
import type { AgentState, QueueEntry } from '../domain/model';
import type { AcdEntry, Snapshot, Versioned } from '../ports';
import type { DocumentStore, Tx } from './operations';
import type { Keys } from '../../platform/redis/keys';

/** Applied, or not applied at all because `conflict` was at version `actual`, not the expected one. */
export type StoreCommitResult = { readonly ok: true } | { readonly ok: false; readonly conflict: string; readonly actual: number };

/** MGET batch size: bounds the time Redis spends on one command; batches go out back to back. */
const MGET_CHUNK = 1000;

export const COMMIT_SCRIPT = LuaScript.load(__dirname, 'commit.lua');
const CHANGES_SCRIPT = LuaScript.load(__dirname, 'changes-2.lua');

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

/** The ACD's documents in Redis (the operations on them: operations.ts). */
export class AcdStore implements DocumentStore {
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

  async getEntry(callId: string): Promise<Versioned<AcdEntry> | undefined> {
    return (await this.getDocs<AcdEntry>([this.entryKey(callId)]))[0];
  }

  /** Aligned with `callIds`; undefined for a call without an entry. */
  async getEntries(callIds: readonly string[]): Promise<Array<Versioned<AcdEntry> | undefined>> {
    return this.getDocs<AcdEntry>(callIds.map((id) => this.entryKey(id)));
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
  async waitingEntries(queue?: string): Promise<Array<Versioned<AcdEntry>>> {
    const queues = queue === undefined ? await this.redis.smembers(this.queuesKey()) : [queue];
    if (queues.length === 0) return [];
    const ids = (await Promise.all(queues.map((q) => this.redis.zrange(this.queueWaitingKey(q), '0', '-1')))).flat();
    return present(await this.getEntries(ids));
  }

  waitingCount(queue: string): Promise<number> {
    return this.redis.zcard(this.queueWaitingKey(queue));
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
  async currentAgents(): Promise<Snapshot<AgentState>> {
    await this.agentCopy.refresh();
    return this.agentCopy;
  }

  /** Every waiting queue entry (all queues), kept the same way as currentAgents(). */
  async currentWaiting(): Promise<Snapshot<AcdEntry>> {
    await this.waitingCopy.refresh();
    return this.waitingCopy;
  }

  /** Drops the in-memory copies: the next reads fetch every document. */
  forgetCopies(): void {
    this.agentCopy.forget();
    this.waitingCopy.forget();
  }

  private readonly agentCopy = new FeedCopy<AgentState>({
    // The position is read in the same MULTI as the index, before the documents: anything
    // written meanwhile has a higher count and is fetched again at the next refresh.
    readAll: async () => {
      const r = await this.redis.multi().hmget(this.keys.acdFeed('agents').hash, 'seq', 'epoch', 'floor').smembers(this.agentsKey()).exec();
      return { at: feedPosition(replyOf(r, 0)), ids: replyOf<string[]>(r, 1) };
    },
    changes: (seq, also) => this.changes('agents', this.agentKey(''), seq, also),
    fetch: (ids) => this.getAgents(ids),
    keep: () => true,
  });

  private readonly waitingCopy = new FeedCopy<AcdEntry>({
    readAll: async () => {
      const r = await this.redis.multi().hmget(this.keys.acdFeed('entries').hash, 'seq', 'epoch', 'floor').smembers(this.queuesKey()).exec();
      const queues = replyOf<string[]>(r, 1);
      const ids = (await Promise.all(queues.map((q) => this.redis.zrange(this.queueWaitingKey(q), '0', '-1')))).flat();
      return { at: feedPosition(replyOf(r, 0)), ids };
    },
    changes: (seq, also) => this.changes('entries', this.entryKey(''), seq, also),
    fetch: (ids) => this.getDocs<AcdEntry>(ids.map((id) => this.entryKey(id))),
    // An entry is in its queue's waiting ZSET exactly while its state is waiting (every commit
    // that changes one changes the other).
    keep: (d) => d.state === 'waiting',
  });

  /** A feed's position, the ids written or deleted after `seq` (then `also`), and their documents: one script. */
  private async changes<T>(family: 'agents' | 'entries', prefix: string, seq: number, also: readonly string[]): Promise<Changes<T>> {
    const feed = this.keys.acdFeed(family);
    const [pos, ids, raws] = (await CHANGES_SCRIPT.run(this.redis, [feed.hash, feed.changed], [String(seq), prefix, ...also])) as [Array<string | null>, string[], Array<string | null>];
    return { at: feedPosition(pos), ids, docs: raws.map((raw) => (raw === null ? undefined : (JSON.parse(raw) as Versioned<T>))) };
  }

  /** With a count, a feed's epoch if this commit is the one that creates its counter: unique
   *  per creation, also when one process sees a counter created twice. */
  private readonly epochToken = randomBytes(8).toString('hex');
  private epochCount = 0;

  /** For the change feeds: the ids of one family's documents that `tx` writes and deletes. */
  private idsTouched(tx: Tx, prefix: string): { written: string[]; deleted: string[] } {
    const ids = (keys: readonly string[]) => keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    return { written: ids((tx.put ?? []).map((p) => p.key)), deleted: ids(tx.del ?? []) };
  }

  // ---- the one write primitive ----
  /**
   * Applies every write of `tx` if every document in `tx.expect` is at its expected version,
   * else nothing. One round trip (EVALSHA), atomic in Redis.
   */
  async commit(tx: Tx): Promise<StoreCommitResult> {
    checkTx(tx);
    const put = tx.put ?? [];
    const del = tx.del ?? [];
    const zadd = tx.zadd ?? [];
    const zrem = tx.zrem ?? [];
    const sadd = tx.sadd ?? [];
    const srem = tx.srem ?? [];
    const keys: string[] = [];
    const agents = this.idsTouched(tx, this.keys.acdAgent(''));
    const entries = this.idsTouched(tx, this.keys.acdEntry(''));
    const counts = [tx.expect.length, put.length, del.length, zadd.length, zrem.length, sadd.length, srem.length];
    counts.push(agents.written.length, agents.deleted.length, entries.written.length, entries.deleted.length);
    const args: string[] = counts.map(String);
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
    for (const [family, ids] of [['agents', agents], ['entries', entries]] as const) {
      if (ids.written.length + ids.deleted.length === 0) continue;
      const feed = this.keys.acdFeed(family);
      keys.push(feed.hash, feed.changed, feed.gone);
      args.push(...ids.written, ...ids.deleted, `${this.epochToken}-${++this.epochCount}`);
    }
    const reply = await COMMIT_SCRIPT.run(this.redis, keys, args);
    if (reply === 1) return { ok: true };
    if (Array.isArray(reply) && reply[0] === 0) {
      const conflict = String(reply[1]);
      // Usually the feed already lists the agent; if the copy went wrong some other way (writes
      // lost in a Redis restart), this re-reads it instead of conflicting on every retry.
      for (const [prefix, copy] of [[this.keys.acdAgent(''), this.agentCopy], [this.keys.acdEntry(''), this.waitingCopy]] as const) {
        if (conflict.startsWith(prefix)) copy.refetch(conflict.slice(prefix.length));
      }
      return { ok: false, conflict, actual: Number(reply[2]) };
    }
    throw new Error(`commit: unexpected reply ${JSON.stringify(reply)}`);
  }
}

interface FeedPosition {
  readonly seq: number;
  readonly epoch: string;
  readonly floor: number;
}

function feedPosition([seq, epoch, floor]: Array<string | null>): FeedPosition {
  return { seq: Number(seq ?? 0), epoch: epoch ?? '', floor: Number(floor ?? 0) };
}

/** What changed in a family since a count: the feed's position, the ids, their documents (aligned). */
interface Changes<T> {
  at: FeedPosition;
  ids: string[];
  docs: Array<Versioned<T> | undefined>;
}

/** How one family of documents is read for a FeedCopy. */
interface FeedSource<T> {
  /** The feed's position, then every id of the family (read after the position). */
  readAll(): Promise<{ at: FeedPosition; ids: string[] }>;
  /** The feed's position, the ids written or deleted after `seq` followed by `also`, and their documents (aligned). */
  changes(seq: number, also: readonly string[]): Promise<Changes<T>>;
  fetch(ids: readonly string[]): Promise<Array<Versioned<T> | undefined>>;
  /** Whether a document belongs in the copy (queue entries: only waiting ones). */
  keep(d: T): boolean;
}

/** How many revisions of changed ids a copy remembers for changedSince(). */
const CHANGE_LOG_REVISIONS = 256;

/**
 * An in-memory copy of a family of documents, following its change feed. Refreshes never
 * overlap: a caller that arrives while one runs waits for it and then for the next one, which
 * starts after its call, so it never gets a read older than its request (a call queued just after
 * an agent became free must see the agent). Each refresh that changes the copy is a new revision;
 * the ids it changed are remembered for a while, so a user of the copy can update what it derived
 * from it instead of starting over.
 */
class FeedCopy<T> implements Snapshot<T> {
  readonly docs = new Map<string, Versioned<T>>();
  rev = 0;
  /** Changed ids per revision, oldest first; a full reload clears it (nothing before is known). */
  private log: Array<{ rev: number; ids: string[] }> = [];
  private fullAt = 0;
  /** Feed count the copy is complete up to; -1 = no copy yet. */
  private seq = -1;
  private epoch = '';
  private generation = 0;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private readonly stale = new Set<string>();

  constructor(private readonly source: FeedSource<T>) {}

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

  /** Fetches this document at the next refresh even if the feed does not list it. */
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
      const { at, ids } = await this.source.readAll();
      const docs = await this.source.fetch(ids);
      if (generation !== this.generation) return this.load();
      this.docs.clear();
      docs.forEach((d, i) => d && this.source.keep(d.d) && this.docs.set(ids[i]!, d));
      this.fullAt = ++this.rev;
      this.log = [];
      // No feed yet (nothing written since the data began): nothing to follow, so read in full
      // again next time rather than trust a copy no epoch can invalidate.
      this.seq = at.epoch === '' ? -1 : at.seq;
      this.epoch = at.epoch;
      return;
    }
    const stale = [...this.stale];
    this.stale.clear();
    const { at, ids, docs } = await this.source.changes(this.seq, stale);
    if (at.epoch !== this.epoch || at.seq < this.seq || at.floor > this.seq) {
      // The counter was created again (Redis lost data, was flushed or replaced), or deletions
      // this copy has not seen were trimmed from the feed: start over.
      this.seq = -1;
      return this.load();
    }
    if (generation !== this.generation) return this.load();
    const changed: string[] = [];
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) return; // listed and stale both
      seen.add(id);
      const fetched = docs[i];
      const d = fetched && this.source.keep(fetched.d) ? fetched : undefined;
      const had = this.docs.get(id);
      if (d ? had?.v === d.v : !had) return;
      changed.push(id);
      if (d) this.docs.set(id, d);
      else this.docs.delete(id);
    });
    this.seq = at.seq;
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
