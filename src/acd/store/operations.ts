// The ACD's operations (ports.ts: AcdStorePort) as transactions over versioned documents: which
// documents each operation reads and writes, which indexes it touches (a queue's waiting set, the
// agents and queues sets, the reservation leases). The ACD decides; this only says how a decision
// is stored. One class for the Redis store and the in-memory one the unit tests use.
import type { AcdEntry, AcdReads, AcdStorePort, AgentChange, CommitResult, Versioned } from '../ports';

/** One all-or-nothing write over versioned documents (the commit script's contract, commit.lua). */
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

/** What the operations need from a document store (Redis: acd-store.ts; memory: the tests'). */
export interface DocumentStore extends AcdReads {
  agentKey(agentId: string): string;
  agentsKey(): string;
  entryKey(callId: string): string;
  queueWaitingKey(queue: string): string;
  queuesKey(): string;
  leasesKey(): string;
  commit(tx: Tx): Promise<CommitResult>;
}

type Parts = { expect: Array<{ key: string; v: number }>; put: Array<{ key: string; doc: unknown; v: number }>; sadd: Array<{ key: string; member: string }> };

export class AcdOperations implements AcdStorePort {
  constructor(private readonly docs: DocumentStore) {}

  // ---- reads: as the document store has them ----
  getAgent(id: string) {
    return this.docs.getAgent(id);
  }
  allAgents() {
    return this.docs.allAgents();
  }
  currentAgents() {
    return this.docs.currentAgents();
  }
  currentWaiting() {
    return this.docs.currentWaiting();
  }
  getEntry(callId: string) {
    return this.docs.getEntry(callId);
  }
  waitingEntries(queue?: string) {
    return this.docs.waitingEntries(queue);
  }
  waitingCount(queue: string) {
    return this.docs.waitingCount(queue);
  }
  expiredLeases(now: number) {
    return this.docs.expiredLeases(now);
  }

  // ---- operations ----
  saveAgent(change: AgentChange): Promise<CommitResult> {
    return this.docs.commit(this.agent(change));
  }

  addEntry(entry: AcdEntry): Promise<CommitResult> {
    const key = this.docs.entryKey(entry.callId);
    return this.docs.commit({
      expect: [{ key, v: 0 }],
      put: [{ key, doc: entry, v: 1 }],
      zadd: [this.waiting(entry)],
      sadd: [{ key: this.docs.queuesKey(), member: entry.queue }],
    });
  }

  reserve(entry: Versioned<AcdEntry>, next: AcdEntry, agents: AgentChange | readonly AgentChange[], leaseUntil: number): Promise<CommitResult> {
    const all = list(agents);
    const p = this.withEntry(this.agents(all), entry, next);
    return this.docs.commit({
      ...p,
      zrem: [{ key: this.docs.queueWaitingKey(entry.d.queue), member: entry.d.callId }],
      zadd: all.map((a) => ({ key: this.docs.leasesKey(), score: leaseUntil, member: a.cur.d.id })),
    });
  }

  connect(entry: Versioned<AcdEntry>, next: AcdEntry, agents: AgentChange | readonly AgentChange[]): Promise<CommitResult> {
    const all = list(agents);
    return this.docs.commit({ ...this.withEntry(this.agents(all), entry, next), zrem: all.map((a) => this.lease(a)) });
  }

  dropLeg(entry: Versioned<AcdEntry>, next: AcdEntry, agent: AgentChange): Promise<CommitResult> {
    return this.docs.commit({ ...this.withEntry(this.agent(agent), entry, next), zrem: [this.lease(agent)] });
  }

  requeue(entry: Versioned<AcdEntry>, next: AcdEntry, agent: AgentChange): Promise<CommitResult> {
    const p = this.withEntry(this.agent(agent), entry, next);
    return this.docs.commit({
      ...p,
      // Back in its queue with its original enqueue time: at the front of the callers who came later.
      zadd: [this.waiting(next)],
      sadd: [...p.sadd, { key: this.docs.queuesKey(), member: next.queue }],
      zrem: [this.lease(agent)],
    });
  }

  removeEntry(entry: Versioned<AcdEntry>, agents?: AgentChange | readonly AgentChange[]): Promise<CommitResult> {
    const key = this.docs.entryKey(entry.d.callId);
    const all = agents ? list(agents) : [];
    const p = this.agents(all);
    const zrem = [{ key: this.docs.queueWaitingKey(entry.d.queue), member: entry.d.callId }, ...all.map((a) => this.lease(a))];
    return this.docs.commit({ ...p, expect: [...p.expect, { key, v: entry.v }], del: [key], zrem });
  }

  moveEntry(entry: Versioned<AcdEntry>, next: AcdEntry): Promise<CommitResult> {
    const key = this.docs.entryKey(entry.d.callId);
    return this.docs.commit({
      expect: [{ key, v: entry.v }],
      put: [{ key, doc: next, v: entry.v + 1 }],
      zrem: [{ key: this.docs.queueWaitingKey(entry.d.queue), member: entry.d.callId }],
      zadd: [this.waiting(next)],
      sadd: [{ key: this.docs.queuesKey(), member: next.queue }],
    });
  }

  updateEntry(entry: Versioned<AcdEntry>, next: AcdEntry): Promise<CommitResult> {
    const key = this.docs.entryKey(entry.d.callId);
    return this.docs.commit({ expect: [{ key, v: entry.v }], put: [{ key, doc: next, v: entry.v + 1 }] });
  }

  releaseLease(agentId: string, agent?: AgentChange): Promise<CommitResult> {
    const p: Parts = agent ? this.agent(agent) : { expect: [], put: [], sadd: [] };
    return this.docs.commit({ ...p, zrem: [{ key: this.docs.leasesKey(), member: agentId }] });
  }

  // ---- parts ----
  /** An agent's document write; its first write also lists it in the agents set. */
  private agent({ cur, next }: AgentChange): Parts {
    const key = this.docs.agentKey(cur.d.id);
    return {
      expect: [{ key, v: cur.v }],
      put: next === cur.d ? [] : [{ key, doc: next, v: cur.v + 1 }],
      sadd: cur.v === 0 ? [{ key: this.docs.agentsKey(), member: cur.d.id }] : [],
    };
  }

  /** Several agents' writes in one transaction. */
  private agents(all: readonly AgentChange[]): Parts {
    const p: Parts = { expect: [], put: [], sadd: [] };
    for (const a of all) {
      const one = this.agent(a);
      p.expect.push(...one.expect);
      p.put.push(...one.put);
      p.sadd.push(...one.sadd);
    }
    return p;
  }

  private withEntry(p: Parts, entry: Versioned<AcdEntry>, next: AcdEntry): Parts {
    const key = this.docs.entryKey(entry.d.callId);
    return { ...p, expect: [...p.expect, { key, v: entry.v }], put: [...p.put, { key, doc: next, v: entry.v + 1 }] };
  }

  private waiting(e: AcdEntry): { key: string; score: number; member: string } {
    return { key: this.docs.queueWaitingKey(e.queue), score: e.enqueuedAt, member: e.callId };
  }

  private lease(agent: AgentChange): { key: string; member: string } {
    return { key: this.docs.leasesKey(), member: agent.cur.d.id };
  }
}

function list(agents: AgentChange | readonly AgentChange[]): readonly AgentChange[] {
  return Array.isArray(agents) ? agents : [agents as AgentChange];
}
