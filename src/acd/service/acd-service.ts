// The ACD: callers wait in queues, agents take their calls. Decisions are the pure functions of
// src/acd/domain over a snapshot; each is stored in one atomic step that checks every document it
// read is unchanged (ports.ts: AcdStorePort), so any number of instances can share one pool of
// agents. This class is the ACD's one entrance; the work is done by its parts, one per role:
// agents.ts, waiting.ts, matching.ts, connecting.ts, recovery.ts.
import type { AgentState } from '../domain/model';
import type { Actor } from '../domain/control';
import { callIdOf } from '../../kernel/ids';
import type { LegEnd } from '../domain/offer';
import type { AcdEntry, AcdTimer, EndpointReach } from '../ports';
import { Agents, type AgentCommand } from './agents';
import { CallbackCalls, type CallbackJoining } from './callback-calls';
import { Assist } from './assist';
import { Attended } from './attended';
import { CallControl } from './call-control';
import { Connecting } from './connecting';
import { Transfers, type TransferTarget } from './transfers';
import { AcdCore, type AcdDeps } from './core';
import { Matching } from './matching';
import { Recovery } from './recovery';
import { Waiting, type Joining } from './waiting';

export { DispositionPending, PauseReasonRefused, RemoteLoginRefused, UnknownAgent, WaitingCallRefused, type AcdConfigView, type AcdDeps } from './core';
export type { CallbackJoining } from './callback-calls';
export { CallActionRefused } from './call-control';
export type { TransferTarget } from './transfers';

export class AcdService {
  private readonly agents: Agents;
  private readonly waiting: Waiting;
  private readonly matching: Matching;
  private readonly connecting: Connecting;
  private readonly recovery: Recovery;
  private readonly callbackCalls: CallbackCalls;
  private readonly control: CallControl;
  private readonly transfers: Transfers;
  private readonly attended: Attended;
  private readonly assist: Assist;

  private readonly store: AcdDeps['store'];
  private readonly handedLegEnded: AcdDeps['handedLegEnded'];

  constructor(deps: AcdDeps) {
    this.store = deps.store;
    this.handedLegEnded = deps.handedLegEnded;
    const core = new AcdCore(deps);
    this.agents = new Agents(core);
    this.waiting = new Waiting(core);
    this.matching = new Matching(core);
    this.connecting = new Connecting(core);
    this.recovery = new Recovery(core);
    this.callbackCalls = new CallbackCalls(core);
    this.control = new CallControl(core);
    this.transfers = new Transfers(core);
    this.attended = new Attended(core);
    this.assist = new Assist(core, this.control);
    core.parts = { agents: this.agents, waiting: this.waiting, matching: this.matching, connecting: this.connecting, recovery: this.recovery, callbackCalls: this.callbackCalls, attended: this.attended };
  }

  // ---- agents ----
  /** Login, logout, pause (with a reason code) or ready, as the agent or a supervisor asks. */
  agentCommand(agentId: string, command: AgentCommand, reason?: string, by?: string, remote?: string): Promise<AgentState> {
    return this.agents.command(agentId, command, reason, by, remote);
  }
  /** An agent's own call (src/outbound) begins (busy for the ACD) or ends (available again). */
  agentOutbound(agentId: string, callId: string, started: boolean, by?: string): Promise<AgentState> {
    return this.agents.outbound(agentId, callId, started, by);
  }
  /** The phone registered / unregistered / got busy outside Switchboard. */
  setReachable(agentId: string, reachable: boolean): Promise<void> {
    return this.agents.setReachable(agentId, reachable);
  }
  refreshEndpoints(): Promise<void> {
    return this.agents.refreshEndpoints();
  }
  /** A supervisor changes a waiting call's priority. */
  setPriority(callId: string, priority: number, by: string): Promise<AcdEntry> {
    return this.waiting.setPriority(callId, priority, by);
  }
  /** A supervisor moves a waiting call to another queue (configured; checked by the caller). */
  moveWaiting(callId: string, queue: string, keepPlace: boolean, by: string): Promise<AcdEntry> {
    return this.waiting.moveTo(callId, queue, keepPlace, by);
  }
  /** A supervisor withdraws a waiting caller to a configured destination (the flow that rings it). */
  withdrawWaiting(callId: string, destination: string, flow: string, by: string): Promise<AcdEntry> {
    return this.waiting.withdrawTo(callId, destination, flow, by);
  }
  /** A call's disposition was recorded: an agent held in wrap-up for it (its wrap-up time is over) is released. */
  dispositionRecorded(agentId: string, callId: string): Promise<void> {
    return this.connecting.wrapUpOverdue(agentId, callId);
  }
  /** An endpoint's state as an EndpointStateChange carried it (`undefined`: ask Asterisk). */
  endpointChanged(endpoint: string, state?: EndpointReach): Promise<void> {
    return this.agents.endpointChanged(endpoint, state);
  }

  // ---- calls ----
  /** A caller joins a queue (after the flow in front of it). */
  enqueue(call: Joining): Promise<void> {
    return this.waiting.enqueue(call);
  }
  /** The caller hung up (or the flow ended the call) while in the ACD. */
  callerLeft(callId: string): Promise<void> {
    return this.connecting.callerLeft(callId);
  }
  matchCall(callId: string): Promise<boolean> {
    return this.matching.matchCall(callId);
  }
  matchAgent(agentId: string): Promise<boolean> {
    return this.matching.matchAgent(agentId);
  }
  /** Safety net, run periodically (matching.ts). */
  sweep(): Promise<void> {
    return this.matching.sweep();
  }
  legAnswered(legId: string): Promise<void> {
    return this.connecting.legAnswered(legId);
  }
  legEnded(legId: string, end: LegEnd): Promise<void> {
    return this.connecting.legEnded(legId, end);
  }
  /** The caller of a connected call hears music, out of the conversation (call-control.ts). */
  hold(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.control.hold(callId, actor, by);
  }
  resume(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.control.resume(callId, actor, by);
  }
  /** A blind transfer of a connected call (transfers.ts); the entry where the call now waits (none for a destination). */
  transfer(callId: string, target: TransferTarget, actor: Actor, by: string): Promise<AcdEntry | undefined> {
    return this.transfers.blind(callId, target, actor, by);
  }
  /** An attended transfer to an agent (attended.ts): the caller on hold, the colleague rung. */
  consult(callId: string, agentId: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.attended.start(callId, agentId, actor, by);
  }
  /** An attended transfer to a configured destination: rung while the caller holds; completed, the call flow owns it. */
  consultDestination(callId: string, destination: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.attended.startToDestination(callId, destination, actor, by);
  }
  /** An attended transfer to a queue: the colleague is the agent its strategy picks among the free ones. */
  consultQueue(callId: string, queue: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.attended.startToQueue(callId, queue, actor, by);
  }
  completeTransfer(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.attended.complete(callId, actor, by);
  }
  cancelTransfer(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.attended.cancel(callId, actor, by);
  }
  /** The caller goes to one of the queue's assist flows (a payment IVR) and comes back at its end (assist.ts). */
  startAssist(callId: string, flow: string, actor: Actor, by: string): Promise<AcdEntry> {
    return this.assist.start(callId, flow, actor, by);
  }
  /** The assist flow ended with the caller still there (run in the call's queue). */
  assistDone(callId: string): Promise<void> {
    return this.assist.done(callId);
  }
  /** A consultation leg answered. */
  consultAnswered(legId: string): Promise<void> {
    return this.attended.answered(legId, callIdOf(legId));
  }
  /** A consultation leg ended: before the transfer completed, the consultation ends; after, it is the call's agent leg. */
  async consultLegEnded(legId: string, end: LegEnd): Promise<void> {
    const callId = callIdOf(legId);
    const entry = await this.store.getEntry(callId);
    if (entry?.d.legId === legId) return this.connecting.legEnded(legId, end);
    // Not the ACD's any more (a destination the caller was handed to): the call flow's.
    if (!entry && end.kind === 'destroyed') this.handedLegEnded?.(callId, legId);
    return this.attended.legEnded(legId, callId);
  }
  /** A playback on a caller's channel that the ACD started (an announcement, an exit prompt) ended. */
  playbackFinished(callId: string, playbackId: string): Promise<void> {
    return this.waiting.playbackFinished(callId, playbackId);
  }

  // ---- callbacks (callback-calls.ts) ----
  joinCallback(j: CallbackJoining): Promise<boolean> {
    return this.callbackCalls.join(j);
  }
  withdrawCallback(callId: string): Promise<boolean> {
    return this.callbackCalls.withdraw(callId);
  }
  callbackCustomerAnswered(callId: string): Promise<boolean> {
    return this.callbackCalls.customerAnswered(callId);
  }
  callbackAttemptFailed(callId: string): Promise<void> {
    return this.callbackCalls.attemptFailed(callId);
  }
  /** A key the caller pressed while waiting (a callback offer's answer). */
  callerDigit(callId: string, digit: string): Promise<void> {
    return this.callbackCalls.callerDigit(callId, digit);
  }
  leaveForCallback(callId: string, key: string): Promise<boolean> {
    return this.callbackCalls.leaveForCallback(callId, key);
  }
  /** The callback's customer hung up after being connected. */
  callbackCustomerLeft(callId: string): Promise<void> {
    return this.connecting.callEnded(callId, 'caller');
  }

  // ---- deadlines ----
  async onTimer(t: AcdTimer): Promise<void> {
    switch (t.kind) {
      case 'ring-timeout':
        return this.connecting.ringTimeoutDue(t.callId, t.legId);
      case 'wrap-up-end':
        return this.connecting.wrapUpDue(t.agentId, t.callId);
      case 'step':
        return this.waiting.stepDue(t.callId);
      case 'max-wait':
        return this.waiting.maxWaitDue(t.callId);
      case 'announce':
        return this.waiting.announce(t.callId);
      case 'sla':
        return this.waiting.slaDue(t.callId);
      case 'callback-offer':
        return this.callbackCalls.offerDue(t.callId);
      case 'ivr':
      case 'callback-dialogue':
        return; // the call flow's and the callbacks feature's, routed there by the service
    }
  }

  // ---- recovery ----
  /** After a (re)connect, a restart or Redis coming back (recovery.ts). */
  reconcile(): Promise<{ waiting: number; offered: number; connected: number; ended: number }> {
    return this.recovery.reconcile();
  }
  releaseExpiredLeases(): Promise<number> {
    return this.recovery.releaseExpiredLeases();
  }
}
