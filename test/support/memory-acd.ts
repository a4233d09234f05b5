// In-memory stand-ins for the ACD's ports, with the same commit semantics as the Redis store
// (all expected versions match, or nothing is written). For fast unit tests of the service; the
// real store is proven against Redis in test/integration.
import type { AgentState } from '../../src/acd/domain/model';
import type { AcdEntry, AcdTelephony, AcdTimer, CommitResult, OriginateOutcome, Snapshot, TimerPort, Versioned } from '../../src/acd/ports';
import type { DocumentStore, Tx } from '../../src/acd/store/operations';

/** The documents; the ACD's operations on them are the real ones (AcdOperations over this). */
export class MemoryAcdStore implements DocumentStore {
  docs = new Map<string, Versioned<unknown>>();
  zsets = new Map<string, Map<string, number>>();
  sets = new Map<string, Set<string>>();
  commits = 0;
  conflicts = 0;
  agentKey = (id: string) => `agent:${id}`;
  agentsKey = () => 'agents';
  entryKey = (id: string) => `entry:${id}`;
  queueWaitingKey = (q: string) => `waiting:${q}`;
  queuesKey = () => 'queues';
  leasesKey = () => 'leases';

  private z(key: string) {
    let m = this.zsets.get(key);
    if (!m) this.zsets.set(key, (m = new Map()));
    return m;
  }
  private s(key: string) {
    let m = this.sets.get(key);
    if (!m) this.sets.set(key, (m = new Set()));
    return m;
  }
  async getAgent(id: string) {
    return this.docs.get(this.agentKey(id)) as Versioned<AgentState> | undefined;
  }
  /** The snapshot's change feed, as the Redis store keeps it: every revision's changed agent ids. */
  private agentRev = 0;
  private readonly agentLog: Array<{ rev: number; id: string }> = [];
  async currentWaiting(): Promise<Snapshot<AcdEntry>> {
    // No change log: users of this snapshot start over each time, which is always correct.
    this.waitingRev++;
    return { rev: this.waitingRev, docs: new Map((await this.waitingEntries()).map((e) => [e.d.callId, e])), changedSince: () => undefined };
  }
  private waitingRev = 0;
  async currentAgents(): Promise<Snapshot<AgentState>> {
    const docs = new Map((await this.allAgents()).map((a) => [a.d.id, a]));
    return {
      rev: this.agentRev,
      docs,
      changedSince: (rev: number) => new Set(this.agentLog.filter((e) => e.rev > rev).map((e) => e.id)),
    };
  }
  async allAgents() {
    return [...this.s('agents')].map((id) => this.docs.get(this.agentKey(id)) as Versioned<AgentState>).filter(Boolean);
  }
  async getEntry(callId: string) {
    return structuredClone(this.docs.get(this.entryKey(callId))) as Versioned<AcdEntry> | undefined;
  }
  async waitingCount(queue: string) {
    return this.z(this.queueWaitingKey(queue)).size;
  }
  async waitingEntries(queue?: string) {
    // Like the Redis store: without a queue, only the queues listed in the queues SET are read.
    const keys = (queue ? [queue] : [...this.s('queues')]).map((q) => this.queueWaitingKey(q));
    const ids = keys.flatMap((k) => [...this.z(k).entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id));
    return ids.map((id) => structuredClone(this.docs.get(this.entryKey(id))) as Versioned<AcdEntry>).filter(Boolean);
  }
  async commit(tx: Tx): Promise<CommitResult> {
    for (const e of tx.expect) {
      if ((this.docs.get(e.key)?.v ?? 0) !== e.v) {
        this.conflicts++;
        return { ok: false, conflict: e.key };
      }
    }
    this.commits++;
    for (const key of [...(tx.put ?? []).map((p) => p.key), ...(tx.del ?? [])]) {
      if (key.startsWith('agent:')) this.agentLog.push({ rev: ++this.agentRev, id: key.slice('agent:'.length) });
    }
    for (const p of tx.put ?? []) this.docs.set(p.key, { v: p.v, d: structuredClone(p.doc) });
    for (const k of tx.del ?? []) this.docs.delete(k);
    for (const z of tx.zadd ?? []) this.z(z.key).set(z.member, z.score);
    for (const z of tx.zrem ?? []) this.z(z.key).delete(z.member);
    for (const s of tx.sadd ?? []) this.s(s.key).add(s.member);
    for (const s of tx.srem ?? []) this.s(s.key).delete(s.member);
    return { ok: true };
  }
  async expiredLeases(now: number) {
    return [...this.z('leases').entries()].filter(([, due]) => due <= now).map(([id]) => id);
  }
}

export class FakeTelephony implements AcdTelephony {
  log: string[] = [];
  /** Agent legs that exist. */
  channels = new Set<string>();
  /** Caller channels that are gone (callers exist until hung up or marked gone). */
  gone = new Set<string>();
  endpoints = new Map<string, { online: boolean; busy: boolean }>();
  originateOutcome: OriginateOutcome = 'ok';
  async originate(o: { endpoint: string; legId: string; callerId: string; timeoutS: number }) {
    this.log.push(`originate ${o.endpoint} ${o.legId}`);
    if (this.originateOutcome === 'ok') this.channels.add(o.legId);
    return this.originateOutcome;
  }
  async hangup(id: string) {
    this.log.push(`hangup ${id}`);
    this.channels.delete(id);
    this.gone.add(id);
  }
  async startMoh(id: string, cls: string) {
    this.log.push(`moh ${id} ${cls}`);
  }
  async stopMoh(id: string) {
    this.log.push(`moh-stop ${id}`);
  }
  async play(id: string, pb: string, media: string[]) {
    this.log.push(`play ${id} ${pb} ${media.join(',')}`);
  }
  /** Bridge attempts fail while this is above 0 (counting down); `bridged` holds what went in. */
  failBridges = 0;
  bridged = new Map<string, string[]>();
  /** Playbacks still playing. */
  playing = new Set<string>();
  async stopPlayback(pb: string) {
    this.log.push(`stop ${pb}`);
    this.playing.delete(pb);
  }
  async playbackActive(pb: string) {
    return this.playing.has(pb);
  }
  async bridge(b: string, chans: string[]) {
    this.log.push(`bridge ${b} ${chans.join(',')}`);
    if (chans.some((c) => this.gone.has(c))) throw new Error('Channel not found'); // as Asterisk answers
    if (this.failBridges > 0) {
      this.failBridges--;
      throw new Error('ARI timed out');
    }
    this.bridged.set(b, [...new Set([...(this.bridged.get(b) ?? []), ...chans])]);
  }
  async removeFromBridge(b: string, chans: string[]) {
    this.log.push(`unbridge ${b} ${chans.join(',')}`);
    const members = this.bridged.get(b);
    if (!members) throw new Error('Bridge not found');
    this.bridged.set(b, members.filter((c) => !chans.includes(c)));
  }
  async bridgeMembers(b: string) {
    return this.bridged.get(b);
  }
  async destroyBridge(b: string) {
    this.log.push(`destroy ${b}`);
    this.bridged.delete(b);
  }
  /** Agent legs answered (Up); others ring. */
  up = new Set<string>();
  async channelState(id: string) {
    if (!(await this.channelExists(id))) return undefined;
    return !id.includes('-leg-') || this.up.has(id) ? 'Up' : 'Ringing';
  }
  async channelExists(id: string) {
    return id.includes('-leg-') ? this.channels.has(id) : !this.gone.has(id);
  }
  async endpointState(ep: string) {
    return this.endpoints.get(ep);
  }
  async watchEndpoint() {}
  take(): string[] {
    const l = this.log;
    this.log = [];
    return l;
  }
}

export class MemoryTimers implements TimerPort {
  timers = new Map<string, { due: number; payload: AcdTimer }>();
  async set(id: string, due: number, payload: AcdTimer) {
    this.timers.set(id, { due, payload });
  }
  async cancel(id: string) {
    this.timers.delete(id);
  }
  /** Removes and returns the timers due at `now`, in due order. */
  due(now: number): AcdTimer[] {
    const out = [...this.timers.entries()].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due);
    for (const [id] of out) this.timers.delete(id);
    return out.map(([, t]) => t.payload);
  }
}
