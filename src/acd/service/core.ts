// What every part of the ACD service shares: its ports, configuration, clock, loggers, and the
// one way a decision is stored (decide on fresh data, apply all or nothing, decide again on a
// conflict). The parts (agents, waiting, matching, connecting, recovery) reach each other through
// `parts`, set once by AcdService; `Parts` is what each offers the others, declared here so the
// parts depend on this file and never on each other.
import type { Logger } from 'pino';
import type { EventSink } from '../../events';
import type { Clock } from '../../platform/clock';
import { ChildLoggers } from '../../platform/child-loggers';
import { newAgentState } from '../domain/agent';
import type { AgentProfile, AgentState, QueueConfig } from '../domain/model';
import type { LegEnd } from '../domain/offer';
import type { AcdEntry, AcdStorePort, AcdTelephony, CallbackHooks, CommitResult, TimerPort, Versioned } from '../ports';

export interface AcdConfigView {
  agents: ReadonlyMap<string, AgentProfile>;
  queues: ReadonlyMap<string, QueueConfig>;
  pauseReasons: ReadonlyMap<string, { label: string }>;
}

export interface AcdDeps {
  store: AcdStorePort;
  telephony: AcdTelephony;
  timers: TimerPort;
  config: () => AcdConfigView;
  /** Every change the ACD makes is announced here (the journal, the queue_log, …). */
  events: EventSink;
  clock: Clock;
  logger: Logger;
  random?: () => number;
  /** How long a reservation may live past its ring timeout before another instance releases it. */
  leaseGraceMs?: number;
  /** Mean patience for the wait estimate (seconds). */
  patienceS?: number;
  /** Waits (between retries of an ARI request); injected so tests need no real time. */
  pause?: (ms: number) => Promise<void>;
  /** The agent hung up first on a queue with a survey: the caller goes on to that flow. */
  afterCall?: (call: { callId: string; channelId: string; flow: string }) => Promise<void>;
  /** An agent sent the connected caller to an assist flow (assist.ts): the call flow runs it and, at its end, gives the caller back (acd.assistDone). False: it could not start. */
  startAssist?: (call: { callId: string; flow: string }) => Promise<boolean>;
  /** A configured destination's endpoint and ring time (attended transfers to it). */
  destination?: (id: string) => { endpoint: string; timeoutS: number } | undefined;
  /** An attended transfer handed the caller to a destination's leg: the call flow owns the call again (not awaited: it may run in the call's queue). */
  handedOff?: (callId: string, legId: string) => void;
  /** A leg the ACD no longer knows ended (a destination's, after the hand-off): for the call flow. */
  handedLegEnded?: (callId: string, legId: string) => void;
  /** The agent hung up first (no survey): the call flow learns the call is over before the caller is hung up. */
  agentEnded?: (callId: string) => void;
  /** Set when the callbacks feature runs (callback entries are its to dial). */
  callbacks?: CallbackHooks;
  /** The agent who last took a call from this number (src/contacts), for a queue's preferredAgent. */
  lastAgentOf?: (callerId: string) => Promise<string | undefined>;
  /** Screen-pop variables for an agent's leg (src/contacts): the IVR path, the caller's last contact. */
  legVariables?: (callId: string, callerId: string) => Promise<Record<string, string>>;
  /** The call's queue requires a disposition and none is recorded yet: its agent stays in wrap-up. */
  dispositionPending?: (callId: string) => Promise<boolean>;
}

export interface Parts {
  agents: {
    changed(agentId: string, before: AgentState, after: AgentState, at: number): Promise<void>;
    setReachable(agentId: string, reachable: boolean): Promise<void>;
    unknownEndpoint(agentId: string, endpoint: string): void;
  };
  waiting: {
    armTimers(entry: AcdEntry, queue: QueueConfig, why?: 'joined' | 'offer-failed' | 'reconciled'): Promise<void>;
    cancelTimers(callId: string): Promise<void>;
    overflowed(from: AcdEntry, to: AcdEntry, positionBefore: number, moved?: { by: string }): Promise<void>;
    positionOf(entry: AcdEntry): Promise<number>;
    estimateWait(entry: AcdEntry, queue: QueueConfig, ahead: number): Promise<number | undefined>;
  };
  matching: {
    matchCall(callId: string, known?: Versioned<AcdEntry>): Promise<boolean>;
    matchAgent(agentId: string): Promise<boolean>;
  };
  connecting: {
    legAnswered(legId: string): Promise<void>;
    legEnded(legId: string, end: LegEnd): Promise<void>;
    missed(entry: Versioned<AcdEntry>, end: LegEnd, legId?: string): Promise<void>;
    callerLeft(callId: string, answeredBy?: string): Promise<void>;
    callEnded(callId: string, by: 'caller' | 'agent'): Promise<void>;
    wrapUpDue(agentId: string, callId: string): Promise<void>;
  };
  recovery: {
    releaseExpiredLeases(): Promise<number>;
  };
  callbackCalls: {
    agentAnswered(entry: AcdEntry): Promise<void>;
    attemptFailed(callId: string): Promise<void>;
  };
  attended: {
    firstAgentLeft(callId: string): Promise<boolean>;
    callGone(entry: AcdEntry): Promise<void>;
  };
}

export class UnknownAgent extends Error {
  constructor(readonly agentId: string) {
    super(`unknown agent "${agentId}"`);
  }
}

/** A pause reason nobody may choose: not configured, or reserved for the system. */
export class PauseReasonRefused extends Error {
  constructor(
    readonly reason: string,
    why: 'unknown' | 'reserved',
  ) {
    super(why === 'unknown' ? `unknown pause reason "${reason}"` : `pause reason "${reason}" is reserved for the automatic pause after missed offers`);
  }
}

/** A change to a waiting call that cannot be made: no such call in a queue, or it is no longer waiting. */
export class WaitingCallRefused extends Error {
  constructor(
    readonly why: 'not-found' | 'not-waiting',
    readonly callId: string,
  ) {
    super(why === 'not-found' ? `no call "${callId}" in a queue` : `call "${callId}" is no longer waiting (an agent is being rung or has it)`);
  }
}

/** A remote login refused: the agent may not log in remotely, or the number is not one it may use. */
export class RemoteLoginRefused extends Error {
  constructor(
    readonly agentId: string,
    readonly why: 'not-allowed' | 'number',
  ) {
    super(why === 'not-allowed' ? `agent "${agentId}" may not log in at an external number (no remote in the routing files)` : `the number is not one agent "${agentId}" may log in at`);
  }
}

/** An agent in wrap-up may not become ready or pause before the call's required disposition is recorded. */
export class DispositionPending extends Error {
  constructor(
    readonly agentId: string,
    readonly callId: string,
  ) {
    super(`agent ${agentId}: record the disposition of call ${callId} before leaving wrap-up`);
  }
}

/** A decision that is stored with `apply`, or nothing to store. */
export interface Attempt<T> {
  apply?: () => Promise<CommitResult>;
  result: T;
}

/**
 * A conflict means another decision was stored first (progress elsewhere), so deciding again on
 * fresh data is always worth it; the limits only catch a bug that would loop for ever.
 */
const MAX_RETRIES = 50;
const RETRY_BUDGET_MS = 2000;

/** A decision still conflicting after every retry. */
export class StillConflicting extends Error {}

export class AcdCore {
  readonly log: Logger;
  readonly callLogs: ChildLoggers;
  readonly agentLogs: ChildLoggers;
  parts!: Parts;

  constructor(readonly deps: AcdDeps) {
    this.log = deps.logger.child({ component: 'acd' });
    this.callLogs = new ChildLoggers(deps.logger, 'callId');
    this.agentLogs = new ChildLoggers(deps.logger, 'agentId');
  }

  get store(): AcdStorePort {
    return this.deps.store;
  }

  get telephony(): AcdTelephony {
    return this.deps.telephony;
  }

  config(): AcdConfigView {
    return this.deps.config();
  }

  now(): number {
    return this.deps.clock.now();
  }

  pause(ms: number): Promise<void> {
    return this.deps.pause ? this.deps.pause(ms) : Promise.resolve();
  }

  profile(agentId: string): AgentProfile {
    const p = this.config().agents.get(agentId);
    if (!p) throw new UnknownAgent(agentId);
    return p;
  }

  /** The agent's document, or a logged-out one at version 0 when it has none yet. */
  async loadAgent(agentId: string): Promise<Versioned<AgentState>> {
    return (await this.store.getAgent(agentId)) ?? { v: 0, d: newAgentState(agentId, this.now()) };
  }

  /** Runs `attempt` until what it decided is stored (or it decides there is nothing to do). */
  async retry<T>(what: string, attempt: () => Promise<Attempt<T>>): Promise<T> {
    const started = this.now();
    for (let i = 0; ; i++) {
      const { apply, result } = await attempt();
      if (!apply) return result;
      const r = await apply();
      if (r.ok) return result;
      if (i >= MAX_RETRIES || this.now() - started > RETRY_BUDGET_MS) throw new StillConflicting(`${what}: still conflicting after ${i + 1} tries (${r.conflict})`);
    }
  }
}
