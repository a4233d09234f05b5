// What the ACD needs from the outside world.
import type { AgentState, QueueEntry } from './domain/model';
import type { RingLeg } from './domain/offer';

export interface Versioned<T> {
  v: number;
  d: T;
}

/** A queue entry as stored: the domain entry plus where the offer stands. */
export interface AcdEntry extends QueueEntry {
  channelId: string;
  callerId: string;
  /** The caller's name (cleaned by the call flow: printable, no quotes or angle brackets), when any. */
  callerName?: string;
  state: 'waiting' | 'offered' | 'connected';
  /** The agent offered or connected; for a ring-all offer, its leading leg (`ringing` has them all). */
  agentId?: string;
  legId?: string;
  /** A ring-all offer: every agent leg still ringing (two or more; the first leads). */
  ringing?: RingLeg[];
  /** Offers made so far (numbers the agent legs). */
  offers: number;
  offeredAt?: number;
  connectedAt?: number;
  /** On hold since then (connected calls): the caller is out of the bridge, hearing music. */
  heldAt?: number;
  /** Time on hold before `heldAt` (ms): counted in handle time, not in talk time. */
  heldMs?: number;
  /** The caller is in an assist flow (a payment IVR) since `startedAt`, out of the bridge; its end brings them back. */
  assist?: { flow: string; startedAt: number; by: string };
  /**
   * The agent consults before an attended transfer (the caller on hold meanwhile): a colleague
   * (`agentId`; `queue`: picked from that queue, where the call goes on completion), or a
   * configured `destination` (the call leaves the ACD on completion).
   */
  consult?: { agentId?: string; destination?: string; legId: string; state: 'ringing' | 'talking'; startedAt: number; by: string; queue?: string };
  /** Agents who missed this call, and when (not offered it again for a ring timeout). */
  missedBy: Record<string, number>;
  /** Position when the call joined (queue_log origposition). */
  joinPosition: number;
  lastAnnouncedPosition?: number;
  /** When the last announcement started (its schedule continues from there after a restart). */
  lastAnnouncedAt?: number;
  announceSeq: number;
  /**
   * A callback waiting in line instead of a caller (src/callbacks): no channel until its customer
   * is dialled; `channelId` is the customer leg of this attempt.
   */
  callback?: { id: string; number: string; attempt: number; customerUp?: boolean };
  /** When the caller was last offered a callback (its key works from then on). */
  callbackOfferedAt?: number;
}

export type CommitResult = { readonly ok: true } | { readonly ok: false; readonly conflict: string };

/** A family of documents at one moment (read from a copy the store keeps), and what changed since an earlier moment. */
export interface Snapshot<T> {
  /** Grows whenever the documents change. */
  readonly rev: number;
  /** Read it before the next await: a later refresh updates it in place. */
  readonly docs: ReadonlyMap<string, Versioned<T>>;
  /** Ids whose document changed after revision `rev`; undefined when that is not known any more (start over). */
  changedSince(rev: number): ReadonlySet<string> | undefined;
}

/** An agent's document as read, and what it becomes. */
export interface AgentChange {
  cur: Versioned<AgentState>;
  next: AgentState;
}

/**
 * The ACD's state, in the operations the ACD performs (the manner of BullMQ's queue backend).
 * Every operation is optimistic: it names the versions it read and applies all or nothing; a
 * conflict means another decision got there first, and the caller decides again on fresh data.
 * Keys, indexes, leases and transactions are the store's business.
 */
/** What the ACD reads of its state. */
export interface AcdReads {
  getAgent(id: string): Promise<Versioned<AgentState> | undefined>;
  /** Every agent document, read from Redis now (reconcile, sweep). */
  allAgents(): Promise<Array<Versioned<AgentState>>>;
  /** The same set, as fresh as allAgents() but served from a copy that fetches only what changed (routing decisions). */
  currentAgents(): Promise<Snapshot<AgentState>>;
  /** Every waiting entry of every queue, as fresh as waitingEntries() and served the same way (routing decisions). */
  currentWaiting(): Promise<Snapshot<AcdEntry>>;
  getEntry(callId: string): Promise<Versioned<AcdEntry> | undefined>;
  waitingEntries(queue?: string): Promise<Array<Versioned<AcdEntry>>>;
  /** How many calls wait in the queue (no documents read). */
  waitingCount(queue: string): Promise<number>;
  /** Agents whose reservation lease ran out before `now`. */
  expiredLeases(now: number): Promise<string[]>;
}

export interface AcdStorePort extends AcdReads {
  /** An agent's status changes (login, pause, ready, wrap-up end, reachability). */
  saveAgent(change: AgentChange): Promise<CommitResult>;
  /** A caller joins a queue (fails when the call has an entry already: a repeated command). */
  addEntry(entry: AcdEntry): Promise<CommitResult>;
  /** A waiting call is offered to an agent (ring-all: to several): all reserved together, each with a lease until `leaseUntil`. */
  reserve(entry: Versioned<AcdEntry>, next: AcdEntry, agents: AgentChange | readonly AgentChange[], leaseUntil: number): Promise<CommitResult>;
  /** The agent answered: the call is connected, the leases dropped (ring-all: the other agents rung are released alongside). */
  connect(entry: Versioned<AcdEntry>, next: AcdEntry, agents: AgentChange | readonly AgentChange[]): Promise<CommitResult>;
  /** An offered or connected call goes back to waiting at its place (missed offer, failed connect); the agent is released. */
  requeue(entry: Versioned<AcdEntry>, next: AcdEntry, agent: AgentChange): Promise<CommitResult>;
  /** One leg of a ring-all offer is over while others still ring: its agent is released, the call stays offered. */
  dropLeg(entry: Versioned<AcdEntry>, next: AcdEntry, agent: AgentChange): Promise<CommitResult>;
  /** The call leaves the ACD (abandon, exit, end of a connected call); the agents who had it (or were rung for it) change too. */
  removeEntry(entry: Versioned<AcdEntry>, agents?: AgentChange | readonly AgentChange[]): Promise<CommitResult>;
  /** A waiting call moves to another queue (overflow). */
  moveEntry(entry: Versioned<AcdEntry>, next: AcdEntry): Promise<CommitResult>;
  /** A waiting call's own bookkeeping (announcements). */
  updateEntry(entry: Versioned<AcdEntry>, next: AcdEntry): Promise<CommitResult>;
  /** Drops an agent's lease; with `agent`, the agent's document changes in the same step. */
  releaseLease(agentId: string, agent?: AgentChange): Promise<CommitResult>;
}

/** What the ACD tells the callbacks feature about a callback entry (src/callbacks/service.ts). */
export interface CallbackHooks {
  /** An agent is rung for the callback. */
  offered(callId: string, agentId: string): Promise<void>;
  /** The agent did not take it: it waits again at its place. */
  offerMissed(callId: string): Promise<void>;
  /** The agent answered: dial the customer now. false: there is nothing to dial any more (the agent is released). */
  agentAnswered(entry: AcdEntry): Promise<boolean>;
  /** The agent left before the customer answered. */
  agentLeft(callId: string): Promise<void>;
  /** A caller joined a queue (a pending callback of theirs is mentioned). */
  callerJoined(entry: AcdEntry): Promise<void>;
  /** A caller who was offered a callback pressed a key while waiting. */
  callerDigit(entry: AcdEntry, digit: string): Promise<void>;
  /** A conversation about a callback is going on with this caller (no hold music meanwhile). */
  inConversation(callId: string): boolean;
  /** The caller is no longer waiting (connected to an agent, or gone): any conversation about a callback ends. */
  callerDone(callId: string): Promise<void>;
}

export type OriginateOutcome = 'ok' | 'unknown-endpoint' | 'failed';

export interface AcdTelephony {
  /** `consult`: a consultation leg (its events go to the attended transfer), else an agent leg. */
  originate(o: { endpoint: string; legId: string; callId: string; callerId: string; timeoutS: number; variables: Record<string, string>; consult?: boolean }): Promise<OriginateOutcome>;
  hangup(channelId: string): Promise<void>;
  startMoh(channelId: string, mohClass: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
  play(channelId: string, playbackId: string, media: string[]): Promise<void>;
  /** Resolves quietly when the playback is already gone. */
  stopPlayback(playbackId: string): Promise<void>;
  playbackActive(playbackId: string): Promise<boolean>;
  /** Creates the bridge (id chosen by us) and puts the channels in it. */
  bridge(bridgeId: string, channelIds: string[]): Promise<void>;
  /** Takes the channels out of the bridge (they stay in the application). */
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  /** The channels in the bridge; undefined when there is no such bridge. */
  bridgeMembers(bridgeId: string): Promise<string[] | undefined>;
  destroyBridge(bridgeId: string): Promise<void>;
  channelExists(channelId: string): Promise<boolean>;
  /** Asterisk's state of the channel ("Up" once answered, "Ringing", …); undefined when it is gone. */
  channelState(channelId: string): Promise<string | undefined>;
  /** undefined: Asterisk does not know the endpoint. */
  endpointState(endpoint: string): Promise<EndpointReach | undefined>;
  watchEndpoint(endpoint: string): Promise<void>;
}

/** An agent's phone: registered (online), and busy with a call that is not Switchboard's. */
export interface EndpointReach {
  online: boolean;
  busy: boolean;
}

export type AcdTimer =
  | { kind: 'ring-timeout'; callId: string; legId: string }
  | { kind: 'wrap-up-end'; agentId: string; callId: string }
  | { kind: 'step'; callId: string }
  | { kind: 'max-wait'; callId: string }
  | { kind: 'announce'; callId: string }
  /** The queue's service-level threshold passes for a waiting call. */
  | { kind: 'sla'; callId: string }
  /** An IVR flow's deadline (input timeouts); handled by the call flow, not the ACD. */
  | { kind: 'ivr'; callId: string; timerId: string }
  /** Time to check whether a waiting caller should be offered a callback. */
  | { kind: 'callback-offer'; callId: string }
  /** A waiting caller did not answer the callback conversation in time; handled by the callbacks feature. */
  | { kind: 'callback-dialogue'; callId: string; seq: number };

export interface TimerPort {
  set(id: string, due: number, payload: AcdTimer): Promise<void>;
  cancel(id: string): Promise<void>;
}
