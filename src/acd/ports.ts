// What the ACD needs from the outside world.
import type { AgentState, QueueEntry } from './domain/model';

export interface Versioned<T> {
  v: number;
  d: T;
}

/** A queue entry as stored: the domain entry plus where the offer stands. */
export interface AcdEntry extends QueueEntry {
  channelId: string;
  callerId: string;
  state: 'waiting' | 'offered' | 'connected';
  agentId?: string;
  legId?: string;
  /** Offers made so far (numbers the agent legs). */
  offers: number;
  offeredAt?: number;
  connectedAt?: number;
  /** Agents who missed this call, and when (not offered it again for a ring timeout). */
  missedBy: Record<string, number>;
  /** Position when the call joined (queue_log origposition). */
  joinPosition: number;
  lastAnnouncedPosition?: number;
  /** When the last announcement started (its schedule continues from there after a restart). */
  lastAnnouncedAt?: number;
  announceSeq: number;
}

export interface Tx {
  expect: Array<{ key: string; v: number }>;
  put?: Array<{ key: string; doc: unknown; v: number }>;
  del?: string[];
  zadd?: Array<{ key: string; score: number; member: string }>;
  zrem?: Array<{ key: string; member: string }>;
  sadd?: Array<{ key: string; member: string }>;
  srem?: Array<{ key: string; member: string }>;
}

export type CommitResult = { ok: true } | { ok: false; conflict: string };

/** A family of documents at one moment (read from a copy the store keeps), and what changed since an earlier moment. */
export interface Snapshot<T> {
  /** Grows whenever the documents change. */
  readonly rev: number;
  /** Read it before the next await: a later refresh updates it in place. */
  readonly docs: ReadonlyMap<string, Versioned<T>>;
  /** Ids whose document changed after revision `rev`; undefined when that is not known any more (start over). */
  changedSince(rev: number): ReadonlySet<string> | undefined;
}

export interface AcdStorePort {
  agentKey(id: string): string;
  agentsKey(): string;
  entryKey(callId: string): string;
  queueWaitingKey(queue: string): string;
  /** SET of the queues that have a waiting index: waitingEntries() without a queue reads these. */
  queuesKey(): string;
  leasesKey(): string;
  getAgent(id: string): Promise<Versioned<AgentState> | undefined>;
  /** Every agent document, read from Redis now (reconcile, sweep). */
  allAgents(): Promise<Array<Versioned<AgentState>>>;
  /** The same set, as fresh as allAgents() but served from a copy that fetches only what changed (routing decisions). */
  currentAgents(): Promise<Snapshot<AgentState>>;
  /** Every waiting entry of every queue, as fresh as waitingEntries() and served the same way (routing decisions). */
  currentWaiting(): Promise<Snapshot<AcdEntry>>;
  getEntry(callId: string): Promise<Versioned<AcdEntry> | undefined>;
  waitingEntries(queue?: string): Promise<Array<Versioned<AcdEntry>>>;
  commit(tx: Tx): Promise<CommitResult>;
  expiredLeases(now: number): Promise<string[]>;
}

export type OriginateOutcome = 'ok' | 'unknown-endpoint' | 'failed';

export interface AcdTelephony {
  originate(o: { endpoint: string; legId: string; callId: string; callerId: string; timeoutS: number; variables: Record<string, string> }): Promise<OriginateOutcome>;
  hangup(channelId: string): Promise<void>;
  startMoh(channelId: string, mohClass: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
  play(channelId: string, playbackId: string, media: string[]): Promise<void>;
  /** Resolves quietly when the playback is already gone. */
  stopPlayback(playbackId: string): Promise<void>;
  playbackActive(playbackId: string): Promise<boolean>;
  /** Creates the bridge (id chosen by us) and puts the channels in it. */
  bridge(bridgeId: string, channelIds: string[]): Promise<void>;
  /** The channels in the bridge; undefined when there is no such bridge. */
  bridgeMembers(bridgeId: string): Promise<string[] | undefined>;
  destroyBridge(bridgeId: string): Promise<void>;
  channelExists(channelId: string): Promise<boolean>;
  /** Asterisk's state of the channel ("Up" once answered, "Ringing", …); undefined when it is gone. */
  channelState(channelId: string): Promise<string | undefined>;
  /** undefined: Asterisk does not know the endpoint. */
  endpointState(endpoint: string): Promise<{ online: boolean; busy: boolean } | undefined>;
  watchEndpoint(endpoint: string): Promise<void>;
}

export type AcdTimer =
  | { kind: 'ring-timeout'; callId: string; legId: string }
  | { kind: 'wrap-up-end'; agentId: string; callId: string }
  | { kind: 'step'; callId: string }
  | { kind: 'max-wait'; callId: string }
  | { kind: 'announce'; callId: string }
  /** An IVR flow's deadline (input timeouts); handled by the call flow, not the ACD. */
  | { kind: 'ivr'; callId: string; timerId: string };

export interface TimerPort {
  set(id: string, due: number, payload: AcdTimer): Promise<void>;
  cancel(id: string): Promise<void>;
}
