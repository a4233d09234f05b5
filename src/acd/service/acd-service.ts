// The ACD: callers wait in queues, agents take their calls. Decisions are the pure functions of
// src/acd/domain over a snapshot; each one is committed to Redis in one atomic step that checks
// every document it read is unchanged, so any number of instances can share one pool of agents.
// A lost race is retried on a fresh snapshot.
// Longer than the house's ~400 lines: it still holds every role of the ACD (agents, matching,
// waiting, connecting, recovery); issue 9 splits it by role behind a store that speaks in operations.
import type { Logger } from 'pino';
import type { QueueLogLine } from '../queue-log';
import { applyAgentEvent, isOfferable, newAgentState, NO_ANSWER_REASON, TransitionRefused, type AgentEvent } from '../domain/agent';
import { announceMinutes, estimatedWaitS } from '../domain/ewt';
import type { AgentProfile, AgentState, QueueConfig, QueueExit } from '../domain/model';
import { compareEntries, selectAgent, selectCall, type AgentView } from '../domain/select';
import { currentStep, nextStepAt } from '../domain/steps';
import type { Clock } from '../../platform/clock';
import { OfferableAgents } from './offerable-agents';
import type { AcdEntry, AcdStorePort, AcdTelephony, AcdTimer, TimerPort, Tx, Versioned } from '../ports';

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
  queueLog: (line: QueueLogLine) => Promise<void>;
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
}

export class UnknownAgent extends Error {
  constructor(readonly agentId: string) {
    super(`unknown agent "${agentId}"`);
  }
}
/** A pause reason nobody may choose: not configured, or reserved for the system. */
export class PauseReasonRefused extends Error {
  constructor(readonly reason: string, why: 'unknown' | 'reserved') {
    super(why === 'unknown' ? `unknown pause reason "${reason}"` : `pause reason "${reason}" is reserved for the automatic pause after missed offers`);
  }
}

const MAX_RETRIES = 5;
/** Tries at putting caller and agent in one bridge, and the pause before the n-th retry (× n). */
const BRIDGE_ATTEMPTS = 3;
const BRIDGE_RETRY_MS = 250;
/** A wrap-up this far past its end is ended by the sweep (its timer was lost). */
const WRAP_UP_GRACE_MS = 5_000;
/** Queue exits that send a call straight on to another queue: more hops than this is a loop. */
const MAX_QUEUE_HOPS = 5;
export const LEG_MARK = '-leg-';
export const legIdFor = (callId: string, n: number): string => `${callId}${LEG_MARK}${n}`;
export const callIdOfLeg = (legId: string): string | undefined => {
  const i = legId.lastIndexOf(LEG_MARK);
  return i > 0 ? legId.slice(0, i) : undefined;
};
const bridgeIdFor = (callId: string) => `${callId}-bridge`;
const announcePlaybackId = (callId: string, n: number) => `${callId}-ann-${n}`;

export class AcdService {
  private readonly log: Logger;
  /** Endpoints already reported unknown (logged once). */
  private readonly unknownEndpoints = new Set<string>();
  private readonly agentLoggers = new Map<string, Logger>();
  /** The agents a call can be offered to, updated from the store's copy by what changed. */
  private readonly offerable = new OfferableAgents();

  constructor(private readonly deps: AcdDeps) {
    this.log = deps.logger.child({ component: 'acd' });
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private pause(ms: number): Promise<void> {
    return this.deps.pause ? this.deps.pause(ms) : Promise.resolve();
  }

  private agentLog(agentId: string): Logger {
    let l = this.agentLoggers.get(agentId);
    if (!l) {
      l = this.deps.logger.child({ agentId });
      this.agentLoggers.set(agentId, l);
    }
    return l;
  }

  private profile(agentId: string): AgentProfile {
    const p = this.deps.config().agents.get(agentId);
    if (!p) throw new UnknownAgent(agentId);
    return p;
  }

  private async loadAgent(agentId: string): Promise<Versioned<AgentState>> {
    return (await this.deps.store.getAgent(agentId)) ?? { v: 0, d: newAgentState(agentId, this.now()) };
  }

  /** Runs `attempt` until its commit goes through (or it decides there is nothing to do). */
  private async retry<T>(what: string, attempt: () => Promise<{ tx?: Tx; result: T }>): Promise<T> {
    for (let i = 0; ; i++) {
      const { tx, result } = await attempt();
      if (!tx) return result;
      const r = await this.deps.store.commit(tx);
      if (r.ok) return result;
      if (i >= MAX_RETRIES) throw new Error(`${what}: still conflicting after ${MAX_RETRIES} retries (${r.conflict})`);
    }
  }

  private agentPut(agentId: string, cur: Versioned<AgentState>, next: AgentState): Pick<Tx, 'expect' | 'put' | 'sadd'> {
    const key = this.deps.store.agentKey(agentId);
    const tx: Pick<Tx, 'expect' | 'put' | 'sadd'> = { expect: [{ key, v: cur.v }], put: [{ key, doc: next, v: cur.v + 1 }] };
    // The first write of an agent's document also lists it in the agents index.
    if (cur.v === 0) tx.sadd = [{ key: this.deps.store.agentsKey(), member: agentId }];
    return tx;
  }

  // ---------------------------------------------------------------- agents ---

  /** Login, logout, pause (with a reason code) or ready, as the agent or a supervisor asks. */
  async agentCommand(agentId: string, command: 'login' | 'logout' | 'pause' | 'ready', reason?: string): Promise<AgentState> {
    this.profile(agentId);
    if (command === 'pause') {
      const r = reason ?? 'break';
      if (r === NO_ANSWER_REASON) throw new PauseReasonRefused(r, 'reserved');
      if (!this.deps.config().pauseReasons.has(r)) throw new PauseReasonRefused(r, 'unknown');
    }
    const at = this.now();
    const event: AgentEvent = command === 'pause' ? { type: 'pause', reason: reason ?? 'break', at } : { type: command, at };
    const { before, after } = await this.retry('agent command', async () => {
      const cur = await this.loadAgent(agentId);
      const next = applyAgentEvent(cur.d, event);
      if (next === cur.d) return { result: { before: cur.d, after: next } };
      return { tx: this.agentPut(agentId, cur, next), result: { before: cur.d, after: next } };
    });
    await this.agentChanged(agentId, before, after, at);
    return after;
  }

  /** The phone registered / unregistered / got busy outside Switchboard. */
  async setReachable(agentId: string, reachable: boolean): Promise<void> {
    const profile = this.profile(agentId);
    const at = this.now();
    const { before, after } = await this.retry('reachability', async () => {
      const cur = await this.loadAgent(agentId);
      let next = applyAgentEvent(cur.d, { type: 'reachability', reachable, at });
      if (profile.autoLogin && reachable && next.status === 'logged-out') next = applyAgentEvent(next, { type: 'login', at });
      if (profile.autoLogin && !reachable && (next.status === 'available' || next.status === 'paused' || next.status === 'wrap-up')) next = applyAgentEvent(next, { type: 'logout', at });
      if (next === cur.d) return { result: { before: cur.d, after: next } };
      return { tx: this.agentPut(agentId, cur, next), result: { before: cur.d, after: next } };
    });
    if (before !== after) this.agentLog(agentId).info({ reachable, status: after.status }, reachable ? 'phone reachable' : 'phone unreachable');
    await this.agentChanged(agentId, before, after, at);
  }

  /** Journal status changes and look for work when an agent became offerable. */
  private async agentChanged(agentId: string, before: AgentState, after: AgentState, at: number): Promise<void> {
    if (before === after) return;
    const line = (event: QueueLogLine['event'], data: Array<string | number> = []) => this.deps.queueLog({ at, callId: 'NONE', queue: 'NONE', agent: agentId, event, data });
    if (before.status === 'logged-out' && after.status !== 'logged-out') await line('ADDMEMBER');
    if (after.status === 'logged-out' && before.status !== 'logged-out') await line('REMOVEMEMBER');
    if (after.status === 'paused' && (before.status !== 'paused' || before.pauseReason !== after.pauseReason)) await line('PAUSE', [after.pauseReason ?? '']);
    if (before.status === 'paused' && after.status !== 'paused') await line('UNPAUSE', [before.pauseReason ?? '']);
    if (before.status !== after.status) this.agentLog(agentId).info({ from: before.status, to: after.status, reason: after.pauseReason }, 'agent state');
    if (isOfferable(after) && !isOfferable(before)) await this.matchAgent(agentId);
  }

  /** Checks every configured agent's endpoint with Asterisk (at start and after a reconnect). */
  async refreshEndpoints(): Promise<void> {
    for (const profile of this.deps.config().agents.values()) {
      try {
        await this.deps.telephony.watchEndpoint(profile.endpoint);
        const st = await this.deps.telephony.endpointState(profile.endpoint);
        if (!st) {
          if (!this.unknownEndpoints.has(profile.endpoint)) {
            this.unknownEndpoints.add(profile.endpoint);
            this.agentLog(profile.id).warn({ endpoint: profile.endpoint }, 'Asterisk does not know this endpoint: the agent is unreachable and gets no calls');
          }
          await this.setReachable(profile.id, false);
          continue;
        }
        this.unknownEndpoints.delete(profile.endpoint);
        await this.setReachable(profile.id, st.online && !st.busy);
      } catch (err) {
        this.agentLog(profile.id).error({ err }, 'could not refresh endpoint state');
      }
    }
  }

  /** An EndpointStateChange from ARI. */
  async endpointChanged(endpoint: string): Promise<void> {
    const profile = [...this.deps.config().agents.values()].find((p) => p.endpoint === endpoint);
    if (!profile) return;
    const st = await this.deps.telephony.endpointState(endpoint);
    await this.setReachable(profile.id, !!st && st.online && !st.busy);
  }

  // ----------------------------------------------------------------- calls ---

  /** A caller joins a queue (after the flow in front of it). */
  async enqueue(call: { callId: string; channelId: string; callerId: string; queue: string; priority: number; attributes: Record<string, string | number | boolean> }, hops = 0): Promise<void> {
    const queue = this.deps.config().queues.get(call.queue);
    const log = this.deps.logger.child({ callId: call.callId, queue: call.queue });
    if (hops > MAX_QUEUE_HOPS) {
      log.error({ hops }, 'queue exits send this call round in a loop; hanging up');
      await this.deps.telephony.hangup(call.channelId);
      return;
    }
    if (!queue) {
      log.error('queue not configured; hanging up');
      await this.deps.telephony.hangup(call.channelId);
      return;
    }
    const at = this.now();
    const waiting = await this.deps.store.waitingEntries(call.queue);
    if (queue.maxWaiting && waiting.length >= queue.maxWaiting.count) {
      log.info({ waiting: waiting.length }, 'queue full');
      await this.deps.queueLog({ at, callId: call.callId, queue: call.queue, agent: 'NONE', event: 'EXITWITHTIMEOUT', data: [1, 1, 0] });
      await this.exit(call.channelId, call.callId, queue.maxWaiting.exit, call, hops);
      return;
    }
    if (queue.whenNoAgents && !(await this.anyAgentCouldServe(queue, call.attributes))) {
      log.info('no agent could take the call');
      await this.deps.queueLog({ at, callId: call.callId, queue: call.queue, agent: 'NONE', event: 'EXITEMPTY', data: [1, 1, 0] });
      await this.exit(call.channelId, call.callId, queue.whenNoAgents, call, hops);
      return;
    }
    const entry: AcdEntry = {
      callId: call.callId,
      channelId: call.channelId,
      callerId: call.callerId,
      queue: call.queue,
      priority: call.priority,
      enqueuedAt: at,
      queuedAt: at,
      attributes: call.attributes,
      state: 'waiting',
      offers: 0,
      missedBy: {},
      joinPosition: waiting.length + 1,
      announceSeq: 0,
    };
    const key = this.deps.store.entryKey(call.callId);
    const r = await this.deps.store.commit({
      expect: [{ key, v: 0 }],
      put: [{ key, doc: entry, v: 1 }],
      zadd: [{ key: this.deps.store.queueWaitingKey(call.queue), score: at, member: call.callId }],
      sadd: [{ key: this.deps.store.queuesKey(), member: call.queue }],
    });
    if (!r.ok) return; // already queued (a repeated command)
    await this.deps.queueLog({ at, callId: call.callId, queue: call.queue, agent: 'NONE', event: 'ENTERQUEUE', data: ['', call.callerId] });
    log.info({ position: entry.joinPosition, priority: call.priority }, 'entered queue');
    await this.deps.telephony.startMoh(call.channelId, queue.musicClass).catch((err: unknown) => log.warn({ err }, 'could not start hold music'));
    await this.armQueueTimers(entry, queue);
    await this.matchCall(call.callId);
  }

  /**
   * Step, maximum-wait and announcement deadlines of a waiting call. The next announcement comes
   * `firstAfter` after joining (`joined`), a period from now after an offer that failed
   * (`offer-failed`), or where its schedule puts it after a restart or reconnect (`reconciled`:
   * a period after the last one, at once if that is past), never all at once.
   */
  private async armQueueTimers(entry: AcdEntry, queue: QueueConfig, why: 'joined' | 'offer-failed' | 'reconciled' = 'joined'): Promise<void> {
    const now = this.now();
    const step = nextStepAt(queue, entry, now);
    if (step !== undefined) await this.deps.timers.set(`step:${entry.callId}`, step, { kind: 'step', callId: entry.callId });
    else if ('overflowTo' in currentStep(queue, entry, now)) await this.deps.timers.set(`step:${entry.callId}`, now, { kind: 'step', callId: entry.callId });
    if (queue.maxWait) await this.deps.timers.set(`max-wait:${entry.callId}`, entry.queuedAt + queue.maxWait.seconds * 1000, { kind: 'max-wait', callId: entry.callId });
    const a = queue.announcements;
    if (a.position || a.estimatedWait || a.periodicPrompt) {
      const first = entry.queuedAt + a.firstAfterS * 1000;
      let due = first;
      if (why === 'offer-failed') due = now + a.everyS * 1000;
      else if (why === 'reconciled') due = Math.max(now, entry.lastAnnouncedAt !== undefined ? entry.lastAnnouncedAt + a.everyS * 1000 : first);
      await this.deps.timers.set(`announce:${entry.callId}`, due, { kind: 'announce', callId: entry.callId });
    }
  }

  private async cancelQueueTimers(callId: string): Promise<void> {
    for (const t of ['step', 'max-wait', 'announce', 'ring']) await this.deps.timers.cancel(`${t}:${callId}`);
  }

  private async anyAgentCouldServe(queue: QueueConfig, attributes: Record<string, string | number | boolean>): Promise<boolean> {
    const { docs } = await this.deps.store.currentAgents();
    for (const profile of this.deps.config().agents.values()) {
      const s = docs.get(profile.id)?.d;
      if (!s || s.status === 'logged-out' || (s.status === 'paused' && s.pauseReason !== NO_ANSWER_REASON)) continue;
      for (const step of queue.steps) if ('requirement' in step && step.requirement.test(profile, attributes)) return true;
    }
    return false;
  }

  private async exit(channelId: string, callId: string, exit: QueueExit, call: { callerId: string; priority: number; attributes: Record<string, string | number | boolean> }, hops = 0): Promise<void> {
    switch (exit.kind) {
      case 'queue':
        await this.enqueue({ callId, channelId, callerId: call.callerId, queue: exit.queue, priority: call.priority, attributes: call.attributes }, hops + 1);
        return;
      case 'hangup':
        if (exit.prompt) {
          // The hang-up follows when the prompt ends (see announcementFinished).
          await this.deps.telephony.stopMoh(channelId).catch(() => undefined);
          await this.deps.telephony.play(channelId, `${callId}-exit`, [`sound:${exit.prompt}`]).catch(() => this.deps.telephony.hangup(channelId));
          return;
        }
        await this.deps.telephony.hangup(channelId);
        return;
      case 'hook':
        // The callback and voicemail work fills these in; until then, a hook ends the call.
        this.log.warn({ callId, hook: exit.hook }, 'queue exit hook has no handler yet; hanging up');
        await this.deps.telephony.hangup(channelId);
        return;
    }
  }

  /** Offers a waiting call to the best agent for it, if there is one (after an overflow, in its new queue). */
  async matchCall(callId: string): Promise<boolean> {
    const outcome = await this.retry<{ offer?: PendingOffer; overflow?: { from: AcdEntry; to: AcdEntry } } | undefined>('match call', async () => {
      const entry = await this.deps.store.getEntry(callId);
      if (!entry || entry.d.state !== 'waiting') return { result: undefined };
      const queue = this.deps.config().queues.get(entry.d.queue);
      if (!queue) return { result: undefined };
      const now = this.now();
      const step = currentStep(queue, entry.d, now);
      if ('overflowTo' in step) {
        const tx = this.overflowTx(entry, step.overflowTo, now);
        return { tx, result: { overflow: { from: entry.d, to: tx.put![0]!.doc as AcdEntry } } };
      }
      const lastPicked = await this.lastPicked(queue.id);
      const { views, version } = this.offerable.update(await this.deps.store.currentAgents(), this.deps.config().agents);
      // Usually nobody missed this call: then the views go to the selection as they are.
      const candidates = Object.keys(entry.d.missedBy).length === 0 ? views : views.filter((v) => !this.recentlyMissed(entry.d, v.profile.id, queue, now));
      const picked = selectAgent(queue, entry.d, candidates, { now, lastPicked, random: this.deps.random });
      if (!picked) return { result: undefined };
      const r = this.reserveTx(entry, picked, version(picked.profile.id), queue, now);
      return { tx: r.tx, result: { offer: r.result } };
    });
    if (outcome?.overflow) {
      await this.overflowed(outcome.overflow.from, outcome.overflow.to);
      return this.matchCall(callId);
    }
    if (!outcome?.offer) return false;
    await this.offer(outcome.offer);
    return true;
  }

  /** After an overflow commit: journal the move and start the new queue's deadlines. */
  private async overflowed(from: AcdEntry, to: AcdEntry): Promise<void> {
    const at = this.now();
    await this.deps.queueLog({ at, callId: from.callId, queue: from.queue, agent: 'NONE', event: 'EXITWITHTIMEOUT', data: [await this.positionOf(from), from.joinPosition, Math.round((at - from.queuedAt) / 1000)] });
    await this.deps.queueLog({ at, callId: to.callId, queue: to.queue, agent: 'NONE', event: 'ENTERQUEUE', data: ['', to.callerId] });
    const q2 = this.deps.config().queues.get(to.queue);
    this.deps.logger.child({ callId: to.callId }).info({ from: from.queue, to: to.queue }, 'overflowed');
    if (q2) await this.armQueueTimers(to, q2);
  }

  /** Gives an agent who just became offerable the best call across all the queues they serve. */
  async matchAgent(agentId: string): Promise<boolean> {
    const offer = await this.retry('match agent', async () => {
      const agent = await this.deps.store.getAgent(agentId);
      const profile = this.deps.config().agents.get(agentId);
      if (!agent || !profile || !isOfferable(agent.d)) return { result: undefined };
      const now = this.now();
      const { docs: byId } = await this.deps.store.currentWaiting();
      const queues = this.deps.config().queues;
      const eligible: AcdEntry[] = [];
      for (const e of byId.values()) {
        const q = queues.get(e.d.queue);
        if (e.d.state === 'waiting' && q !== undefined && !this.recentlyMissed(e.d, agentId, q, now)) eligible.push(e.d);
      }
      const best = selectCall({ profile, state: agent.d }, eligible, queues, now);
      if (!best) return { result: undefined };
      const entry = byId.get(best.callId)!;
      return this.reserveTx(entry, { profile, state: agent.d }, agent.v, queues.get(best.queue)!, now);
    });
    if (!offer) return false;
    await this.offer(offer);
    return true;
  }

  private sweeping = false;

  /**
   * Safety net run periodically: releases expired leases, ends wrap-ups whose deadline is well
   * past (their timer was lost), and offers every waiting call that could be offered, oldest
   * first. A sweep still running makes the next one a no-op.
   */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.releaseExpiredLeases();
      const now = this.now();
      const agents = await this.deps.store.allAgents();
      for (const a of agents) {
        if (a.d.status === 'wrap-up' && a.d.callId && a.d.wrapUpUntil !== undefined && now > a.d.wrapUpUntil + WRAP_UP_GRACE_MS) {
          await this.onTimer({ kind: 'wrap-up-end', agentId: a.d.id, callId: a.d.callId });
        }
      }
      let offerable = agents.filter((a) => isOfferable(a.d)).length;
      if (offerable === 0) return;
      const entries = (await this.deps.store.waitingEntries()).map((e) => e.d).sort(compareEntries);
      for (const e of entries) {
        if (offerable <= 0) return;
        if (await this.matchCall(e.callId)) offerable--;
      }
    } finally {
      this.sweeping = false;
    }
  }

  private recentlyMissed(entry: AcdEntry, agentId: string, queue: QueueConfig, now: number): boolean {
    const at = entry.missedBy[agentId];
    return at !== undefined && now - at < queue.ringTimeoutS * 1000;
  }

  private async lastPicked(queueId: string): Promise<string | undefined> {
    return this.lastPickedByQueue.get(queueId);
  }
  /** Round-robin memory; per instance, which is enough to spread calls (app_queue keeps it per queue in memory too). */
  private readonly lastPickedByQueue = new Map<string, string>();

  private overflowTx(entry: Versioned<AcdEntry>, to: string, now: number): Tx {
    const key = this.deps.store.entryKey(entry.d.callId);
    const next: AcdEntry = { ...entry.d, queue: to, queuedAt: now };
    return {
      expect: [{ key, v: entry.v }],
      put: [{ key, doc: next, v: entry.v + 1 }],
      zrem: [{ key: this.deps.store.queueWaitingKey(entry.d.queue), member: entry.d.callId }],
      zadd: [{ key: this.deps.store.queueWaitingKey(to), score: entry.d.enqueuedAt, member: entry.d.callId }],
      sadd: [{ key: this.deps.store.queuesKey(), member: to }],
    };
  }

  private reserveTx(entry: Versioned<AcdEntry>, agent: AgentView, agentV: number, queue: QueueConfig, now: number): { tx: Tx; result: PendingOffer } {
    const nextAgent = applyAgentEvent(agent.state, { type: 'reserve', callId: entry.d.callId, at: now });
    const offers = entry.d.offers + 1;
    const legId = legIdFor(entry.d.callId, offers);
    const nextEntry: AcdEntry = { ...entry.d, state: 'offered', agentId: agent.profile.id, legId, offers, offeredAt: now };
    const ekey = this.deps.store.entryKey(entry.d.callId);
    const akey = this.deps.store.agentKey(agent.profile.id);
    const leaseUntil = now + queue.ringTimeoutS * 1000 + (this.deps.leaseGraceMs ?? 10_000);
    return {
      tx: {
        expect: [
          { key: akey, v: agentV },
          { key: ekey, v: entry.v },
        ],
        put: [
          { key: akey, doc: nextAgent, v: agentV + 1 },
          { key: ekey, doc: nextEntry, v: entry.v + 1 },
        ],
        zrem: [{ key: this.deps.store.queueWaitingKey(entry.d.queue), member: entry.d.callId }],
        zadd: [{ key: this.deps.store.leasesKey(), score: leaseUntil, member: agent.profile.id }],
      },
      result: { entry: nextEntry, profile: agent.profile, queue },
    };
  }

  /** Rings the reserved agent: an originate with our channel id and a ring timeout. */
  private async offer(o: PendingOffer): Promise<void> {
    const { entry, profile, queue } = o;
    const legId = entry.legId!;
    const log = this.deps.logger.child({ callId: entry.callId, agentId: profile.id, legId });
    this.lastPickedByQueue.set(queue.id, profile.id);
    log.info({ queue: queue.id, endpoint: profile.endpoint }, 'offering call to agent');
    if (!(await this.deps.telephony.channelExists(entry.channelId).catch(() => true))) {
      // The caller is gone and we missed it: release the agent instead of ringing them.
      log.warn('caller gone before the offer; releasing it');
      await this.callerLeft(entry.callId);
      return;
    }
    await this.deps.timers.set(`ring:${entry.callId}`, this.now() + (queue.ringTimeoutS + 3) * 1000, { kind: 'ring-timeout', callId: entry.callId, legId });
    const outcome = await this.deps.telephony.originate({
      endpoint: profile.endpoint,
      legId,
      callId: entry.callId,
      callerId: entry.callerId,
      timeoutS: queue.ringTimeoutS,
      // For a screen pop: who is calling, through which queue, waiting since when.
      variables: { SWITCHBOARD_CALL_ID: entry.callId, SWITCHBOARD_QUEUE: queue.id, SWITCHBOARD_CALLER: entry.callerId, SWITCHBOARD_ENQUEUED_AT: String(entry.enqueuedAt) },
    });
    if (outcome === 'ok') {
      // Offers can run outside the call's own event queue: if the caller left while we rang,
      // nobody will hang this leg up but us.
      const now = await this.deps.store.getEntry(entry.callId);
      if (!now || now.d.state !== 'offered' || now.d.legId !== legId) await this.deps.telephony.hangup(legId).catch(() => undefined);
      return;
    }
    // The originate may have created the channel before failing (a timeout): never leave it ringing.
    await this.deps.telephony.hangup(legId).catch(() => undefined);
    if (outcome === 'unknown-endpoint') {
      log.warn({ endpoint: profile.endpoint }, 'Asterisk does not know this endpoint: the agent is unreachable and gets no calls');
      this.unknownEndpoints.add(profile.endpoint);
      await this.legEnded(legId, 'unknown-endpoint');
      await this.setReachable(profile.id, false);
      return;
    }
    await this.legEnded(legId, 'failed');
  }

  /** The agent answered: bridge the two and stop the hold music. */
  async legAnswered(legId: string): Promise<void> {
    const callId = callIdOfLeg(legId);
    if (!callId) return;
    const at = this.now();
    const outcome = await this.retry('connect', async () => {
      const entry = await this.deps.store.getEntry(callId);
      if (!entry || entry.d.state !== 'offered' || entry.d.legId !== legId || !entry.d.agentId) return { result: undefined };
      const agentId = entry.d.agentId;
      const agent = await this.loadAgent(agentId);
      if (agent.d.status !== 'reserved' || agent.d.callId !== callId) return { result: undefined };
      const nextAgent = applyAgentEvent(agent.d, { type: 'answered', callId, at });
      const nextEntry: AcdEntry = { ...entry.d, state: 'connected', connectedAt: at };
      const ekey = this.deps.store.entryKey(callId);
      const { expect, put, sadd } = this.agentPut(agentId, agent, nextAgent);
      return {
        tx: { expect: [...expect, { key: ekey, v: entry.v }], put: [...put!, { key: ekey, doc: nextEntry, v: entry.v + 1 }], sadd, zrem: [{ key: this.deps.store.leasesKey(), member: agentId }] },
        result: nextEntry,
      };
    });
    if (!outcome) {
      // Nobody waits for this leg any more (caller left, or the offer timed out): let it go.
      await this.deps.telephony.hangup(legId);
      return;
    }
    const log = this.deps.logger.child({ callId, agentId: outcome.agentId, legId });
    await this.deps.timers.cancel(`ring:${callId}`);
    await this.cancelQueueTimers(callId);
    // Nothing the ACD started may hold the caller's channel: a playback holds its control queue,
    // and adding the channel to the bridge would wait until the announcement ends.
    await Promise.all([
      this.deps.telephony.stopMoh(outcome.channelId).catch(() => undefined),
      this.deps.telephony.stopPlayback(announcePlaybackId(callId, outcome.announceSeq)).catch(() => undefined),
    ]);
    const bridged = await this.bridgeCaller(callId, outcome.channelId, legId, log);
    if (bridged !== 'bridged') {
      await this.connectFailed(outcome, bridged, log);
      return;
    }
    const holdS = Math.round((at - outcome.enqueuedAt) / 1000);
    const ringS = Math.round((at - (outcome.offeredAt ?? at)) / 1000);
    await this.deps.queueLog({ at, callId, queue: outcome.queue, agent: outcome.agentId!, event: 'CONNECT', data: [holdS, legId, ringS] });
    log.info({ holdS, ringS }, 'connected');
  }

  /**
   * Puts caller and agent in the call's bridge. A request that fails or times out is not the end
   * of the call: while both are still there it is checked (it may have gone through) and retried.
   */
  private async bridgeCaller(callId: string, channelId: string, legId: string, log: Logger): Promise<'bridged' | 'caller-gone' | 'agent-gone' | 'failed'> {
    const bridgeId = bridgeIdFor(callId);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.telephony.bridge(bridgeId, [channelId, legId]);
        return 'bridged';
      } catch (err) {
        log.warn({ err, attempt }, 'bridging caller and agent failed; checking both sides');
      }
      const [members, callerThere, agentThere] = await Promise.all([
        this.deps.telephony.bridgeMembers(bridgeId).catch(() => undefined),
        this.deps.telephony.channelExists(channelId).catch(() => true),
        this.deps.telephony.channelExists(legId).catch(() => true),
      ]);
      if (members?.includes(channelId) && members.includes(legId)) return 'bridged'; // it went through after all
      if (!callerThere) return 'caller-gone';
      if (!agentThere) return 'agent-gone';
      if (attempt >= BRIDGE_ATTEMPTS) return 'failed';
      await this.pause(BRIDGE_RETRY_MS * attempt);
    }
  }

  /**
   * Answered but not connected: the call never counted for the agent, who is free again; the
   * caller, if still there, waits at their place (not offered to this agent for a ring timeout);
   * a caller who left meanwhile abandoned.
   */
  private async connectFailed(entry: AcdEntry, why: 'caller-gone' | 'agent-gone' | 'failed', log: Logger): Promise<void> {
    const { callId, legId } = entry;
    const agentId = entry.agentId!;
    const at = this.now();
    const res = await this.retry('connect failed', async () => {
      const e = await this.deps.store.getEntry(callId);
      if (!e || e.d.state !== 'connected' || e.d.legId !== legId) return { result: undefined };
      const agent = await this.loadAgent(agentId);
      const nextAgent = agent.d.status === 'on-call' && agent.d.callId === callId ? applyAgentEvent(agent.d, { type: 'connectFailed', callId, at }) : agent.d;
      const back = this.backToWaitingTx(e, agent, nextAgent, at);
      return { tx: back.tx, result: { before: agent.d, after: nextAgent, entry: back.entry } };
    });
    await this.deps.telephony.hangup(legId!).catch(() => undefined);
    await this.deps.telephony.destroyBridge(bridgeIdFor(callId)).catch(() => undefined);
    if (!res) return;
    if (why === 'caller-gone') {
      log.info('the caller left before being connected');
      await this.callerLeft(callId);
    } else {
      log.error({ why }, 'could not connect caller and agent; the caller waits again at their place');
      const q = this.deps.config().queues.get(res.entry.queue);
      if (q) {
        await this.deps.telephony.startMoh(res.entry.channelId, q.musicClass).catch(() => undefined);
        await this.armQueueTimers(res.entry, q, 'offer-failed');
      }
    }
    await this.agentChanged(agentId, res.before, res.after, at);
    if (why !== 'caller-gone') await this.matchCall(callId);
  }

  /** An agent leg is gone: before the answer it is a missed offer; after, the call is over. */
  async legEnded(legId: string, cause: string): Promise<void> {
    const callId = callIdOfLeg(legId);
    if (!callId) return;
    const entry = await this.deps.store.getEntry(callId);
    if (!entry || entry.d.legId !== legId) return;
    if (entry.d.state === 'offered') await this.missed(entry, cause);
    else if (entry.d.state === 'connected') await this.callEnded(callId, 'agent');
  }

  private async missed(entryIn: Versioned<AcdEntry>, cause: string): Promise<void> {
    const callId = entryIn.d.callId;
    const at = this.now();
    const res = await this.retry('missed offer', async () => {
      const entry = await this.deps.store.getEntry(callId);
      if (!entry || entry.d.state !== 'offered' || entry.d.legId !== entryIn.d.legId || !entry.d.agentId) return { result: undefined };
      const agentId = entry.d.agentId;
      const queue = this.deps.config().queues.get(entry.d.queue);
      const profile = this.deps.config().agents.get(agentId);
      const agent = await this.loadAgent(agentId);
      // An endpoint Asterisk does not know, or an originate that failed, is not the agent's fault.
      const strike = cause !== 'unknown-endpoint' && cause !== 'failed';
      const maxMissed = profile?.maxMissedOffers ?? queue?.maxMissedOffers ?? 3;
      const nextAgent =
        agent.d.status === 'reserved' && agent.d.callId === callId
          ? applyAgentEvent(agent.d, strike ? { type: 'missed', callId, maxMissedOffers: maxMissed, at } : { type: 'offerCancelled', callId, at })
          : agent.d;
      return { tx: this.backToWaitingTx(entry, agent, nextAgent, at).tx, result: { agentId, before: agent.d, after: nextAgent, queue: entry.d.queue, offeredAt: entry.d.offeredAt ?? at } };
    });
    if (!res) return;
    await this.deps.timers.cancel(`ring:${callId}`);
    // Deadlines that came due while the agent rang were skipped: arm them again, and make sure
    // the caller hears hold music (an announcement may have ended while the agent rang).
    const back = await this.deps.store.getEntry(callId);
    const q = back && this.deps.config().queues.get(back.d.queue);
    if (back && q) {
      await this.armQueueTimers(back.d, q, 'offer-failed');
      await this.deps.telephony.startMoh(back.d.channelId, q.musicClass).catch(() => undefined);
    }
    this.deps.logger.child({ callId, agentId: res.agentId }).info({ cause, missed: res.after.missed }, 'offer missed');
    await this.deps.queueLog({ at, callId, queue: res.queue, agent: res.agentId, event: 'RINGNOANSWER', data: [at - res.offeredAt] });
    await this.agentChanged(res.agentId, res.before, res.after, at);
    await this.matchCall(callId);
  }

  /**
   * The offered or connected call goes back to waiting in its queue with its original enqueue
   * time (at the front of the callers who came later), not offered to the agent it had for a ring
   * timeout; the agent takes `nextAgent` and drops its lease.
   */
  private backToWaitingTx(e: Versioned<AcdEntry>, agent: Versioned<AgentState>, nextAgent: AgentState, at: number): { tx: Tx; entry: AcdEntry } {
    const agentId = agent.d.id;
    const entry: AcdEntry = { ...e.d, state: 'waiting', missedBy: { ...e.d.missedBy, [agentId]: at } };
    delete entry.agentId;
    delete entry.legId;
    delete entry.connectedAt;
    const ekey = this.deps.store.entryKey(e.d.callId);
    const { expect, put, sadd } = this.agentPut(agentId, agent, nextAgent);
    const tx: Tx = {
      expect: [...expect, { key: ekey, v: e.v }],
      put: [...put!, { key: ekey, doc: entry, v: e.v + 1 }],
      sadd: [...(sadd ?? []), { key: this.deps.store.queuesKey(), member: e.d.queue }],
      zadd: [{ key: this.deps.store.queueWaitingKey(e.d.queue), score: e.d.enqueuedAt, member: e.d.callId }],
      zrem: [{ key: this.deps.store.leasesKey(), member: agentId }],
    };
    return { tx, entry };
  }

  /** The caller hung up (or the flow ended the call) while in the ACD. */
  async callerLeft(callId: string): Promise<void> {
    const at = this.now();
    const entry = await this.deps.store.getEntry(callId);
    if (!entry) return;
    if (entry.d.state === 'connected') {
      await this.callEnded(callId, 'caller');
      return;
    }
    const position = await this.positionOf(entry.d);
    const res = await this.retry('abandon', async () => {
      const e = await this.deps.store.getEntry(callId);
      if (!e || e.d.state === 'connected') return { result: undefined };
      const ekey = this.deps.store.entryKey(callId);
      const tx: Tx = { expect: [{ key: ekey, v: e.v }], del: [ekey], zrem: [{ key: this.deps.store.queueWaitingKey(e.d.queue), member: callId }] };
      let agentChange: { agentId: string; before: AgentState; after: AgentState } | undefined;
      if (e.d.state === 'offered' && e.d.agentId) {
        const agent = await this.loadAgent(e.d.agentId);
        if (agent.d.status === 'reserved' && agent.d.callId === callId) {
          const next = applyAgentEvent(agent.d, { type: 'offerCancelled', callId, at });
          const { expect, put } = this.agentPut(e.d.agentId, agent, next);
          tx.expect.push(...expect);
          tx.put = put;
          tx.zrem!.push({ key: this.deps.store.leasesKey(), member: e.d.agentId });
          agentChange = { agentId: e.d.agentId, before: agent.d, after: next };
        }
      }
      return { tx, result: { entry: e.d, agentChange } };
    });
    if (!res) {
      if ((await this.deps.store.getEntry(callId))?.d.state === 'connected') await this.callEnded(callId, 'caller');
      return;
    }
    await this.cancelQueueTimers(callId);
    if (res.entry.legId) await this.deps.telephony.hangup(res.entry.legId);
    await this.deps.queueLog({ at, callId, queue: res.entry.queue, agent: 'NONE', event: 'ABANDON', data: [position, res.entry.joinPosition, Math.round((at - res.entry.enqueuedAt) / 1000)] });
    this.deps.logger.child({ callId }).info({ ringing: res.entry.state === 'offered' }, 'caller abandoned');
    if (res.agentChange) await this.agentChanged(res.agentChange.agentId, res.agentChange.before, res.agentChange.after, at);
  }

  /** A connected call ends (`by` hung up first): hang up the other side, start wrap-up. */
  private async callEnded(callId: string, by: 'caller' | 'agent'): Promise<void> {
    const at = this.now();
    const res = await this.retry('call end', async () => {
      const e = await this.deps.store.getEntry(callId);
      if (!e || e.d.state !== 'connected' || !e.d.agentId) return { result: undefined };
      const agentId = e.d.agentId;
      const agent = await this.loadAgent(agentId);
      const queue = this.deps.config().queues.get(e.d.queue);
      const profile = this.deps.config().agents.get(agentId);
      const wrapUpS = profile?.wrapUpS ?? queue?.wrapUpS ?? 0;
      const next = agent.d.status === 'on-call' && agent.d.callId === callId ? applyAgentEvent(agent.d, { type: 'callEnded', callId, wrapUpS, at }) : agent.d;
      const ekey = this.deps.store.entryKey(callId);
      const { expect, put, sadd } = this.agentPut(agentId, agent, next);
      return { tx: { expect: [...expect, { key: ekey, v: e.v }], put, sadd, del: [ekey] }, result: { entry: e.d, agentId, before: agent.d, after: next, wrapUpS } };
    });
    if (!res) return;
    const { entry, agentId } = res;
    // Bookkeeping first: a failing hang-up (Asterisk going away) must not leave the agent in wrap-up for ever.
    if (res.after.status === 'wrap-up') await this.deps.timers.set(`wrap:${agentId}`, at + res.wrapUpS * 1000, { kind: 'wrap-up-end', agentId, callId });
    const holdS = Math.round(((entry.connectedAt ?? at) - entry.enqueuedAt) / 1000);
    const talkS = Math.round((at - (entry.connectedAt ?? at)) / 1000);
    await this.deps.queueLog({ at, callId, queue: entry.queue, agent: agentId, event: by === 'caller' ? 'COMPLETECALLER' : 'COMPLETEAGENT', data: [holdS, talkS, entry.joinPosition] });
    this.deps.logger.child({ callId, agentId }).info({ by, talkS, wrapUpS: res.wrapUpS }, 'call completed');
    const log = this.deps.logger.child({ callId, agentId });
    const survey = by === 'agent' ? this.deps.config().queues.get(entry.queue)?.survey : undefined;
    if (survey && this.deps.afterCall) {
      // The caller stays: out of the bridge and on to the survey.
      await this.deps.telephony.destroyBridge(bridgeIdFor(callId)).catch(() => undefined);
      await this.deps.afterCall({ callId, channelId: entry.channelId, flow: survey }).catch((err: unknown) => log.error({ err }, 'could not start the survey'));
    } else {
      await this.deps.telephony.hangup(by === 'caller' ? entry.legId! : entry.channelId).catch((err: unknown) => log.warn({ err }, 'could not hang up the other side'));
      await this.deps.telephony.destroyBridge(bridgeIdFor(callId)).catch(() => undefined);
    }
    await this.agentChanged(agentId, res.before, res.after, at);
  }

  // ---------------------------------------------------------------- timers ---

  async onTimer(t: AcdTimer): Promise<void> {
    switch (t.kind) {
      case 'ring-timeout': {
        // Asterisk's originate timeout should have ended the leg; if its event was lost, end it here.
        const entry = await this.deps.store.getEntry(t.callId);
        if (entry?.d.state === 'offered' && entry.d.legId === t.legId) {
          await this.deps.telephony.hangup(t.legId);
          await this.legEnded(t.legId, 'ring-timeout');
        }
        return;
      }
      case 'wrap-up-end': {
        const at = this.now();
        const res = await this.retry('wrap-up end', async () => {
          const cur = await this.loadAgent(t.agentId);
          const next = applyAgentEvent(cur.d, { type: 'wrapUpEnded', callId: t.callId, at });
          if (next === cur.d) return { result: undefined };
          return { tx: this.agentPut(t.agentId, cur, next), result: { before: cur.d, after: next } };
        });
        if (res) await this.agentChanged(t.agentId, res.before, res.after, at);
        return;
      }
      case 'step': {
        // While the call rings an agent its timers wait; missed() arms them again.
        const entry = await this.deps.store.getEntry(t.callId);
        if (!entry || entry.d.state !== 'waiting') return;
        const queueBefore = entry.d.queue;
        await this.matchCall(t.callId); // an overflow is handled (journal, new timers) inside
        const after = await this.deps.store.getEntry(t.callId);
        const queue = after && this.deps.config().queues.get(after.d.queue);
        if (after?.d.state === 'waiting' && queue && after.d.queue === queueBefore) {
          const next = nextStepAt(queue, after.d, this.now());
          if (next !== undefined) await this.deps.timers.set(`step:${t.callId}`, next, { kind: 'step', callId: t.callId });
        }
        return;
      }
      case 'max-wait': {
        const entry = await this.deps.store.getEntry(t.callId);
        const queue = entry && this.deps.config().queues.get(entry.d.queue);
        if (!entry || !queue?.maxWait || entry.d.state !== 'waiting') return;
        const at = this.now();
        const position = await this.positionOf(entry.d);
        const key = this.deps.store.entryKey(t.callId);
        const r = await this.deps.store.commit({ expect: [{ key, v: entry.v }], del: [key], zrem: [{ key: this.deps.store.queueWaitingKey(entry.d.queue), member: t.callId }] });
        if (!r.ok) return; // offered meanwhile: the wait is over
        await this.cancelQueueTimers(t.callId);
        await this.deps.queueLog({ at, callId: t.callId, queue: entry.d.queue, agent: 'NONE', event: 'EXITWITHTIMEOUT', data: [position, entry.d.joinPosition, Math.round((at - entry.d.queuedAt) / 1000)] });
        await this.exit(entry.d.channelId, t.callId, queue.maxWait.exit, entry.d);
        return;
      }
      case 'announce':
        await this.announce(t.callId);
        return;
      case 'ivr':
        return; // the call flow's, routed there by the service
    }
  }

  /** 1-based position among the waiting callers of the same queue. */
  private async positionOf(entry: AcdEntry): Promise<number> {
    const all = (await this.deps.store.waitingEntries(entry.queue)).map((e) => e.d);
    let ahead = 0;
    for (const e of all) if (e.callId !== entry.callId && compareEntries(e, entry) < 0) ahead++;
    return ahead + 1;
  }

  private async announce(callId: string): Promise<void> {
    const entry = await this.deps.store.getEntry(callId);
    const queue = entry && this.deps.config().queues.get(entry.d.queue);
    if (!entry || !queue || entry.d.state !== 'waiting') return;
    const a = queue.announcements;
    const now = this.now();
    await this.deps.timers.set(`announce:${callId}`, now + a.everyS * 1000, { kind: 'announce', callId });
    // The last one still playing (longer than the period, or started just before a restart): this
    // one is skipped rather than queued behind it, so the caller hears music in between.
    if (entry.d.announceSeq > 0 && (await this.deps.telephony.playbackActive(announcePlaybackId(callId, entry.d.announceSeq)))) return;
    const position = await this.positionOf(entry.d);
    const media: string[] = [];
    const improved = entry.d.lastAnnouncedPosition === undefined || position < entry.d.lastAnnouncedPosition;
    if (a.position && (!a.positionOnlyWhenImproved || improved)) {
      if (position === 1) media.push('sound:queue-youarenext');
      else media.push('sound:queue-thereare', `number:${position - 1}`, 'sound:queue-callswaiting');
    }
    if (a.estimatedWait) {
      const wait = await this.estimateWait(entry.d, queue, position - 1);
      if (wait !== undefined) media.push('sound:queue-holdtime', `number:${announceMinutes(wait)}`, 'sound:queue-minutes');
    }
    if (a.periodicPrompt) media.push(`sound:${a.periodicPrompt}`);
    if (media.length === 0) return;
    const key = this.deps.store.entryKey(callId);
    const next: AcdEntry = { ...entry.d, lastAnnouncedPosition: position, announceSeq: entry.d.announceSeq + 1, lastAnnouncedAt: now };
    const r = await this.deps.store.commit({ expect: [{ key, v: entry.v }], put: [{ key, doc: next, v: entry.v + 1 }] });
    if (!r.ok) return; // offered or gone meanwhile: no announcement over a ringing agent
    await this.deps.telephony.stopMoh(entry.d.channelId).catch(() => undefined);
    await this.deps.telephony.play(entry.d.channelId, announcePlaybackId(callId, next.announceSeq), media);
    this.deps.logger.child({ callId }).debug({ position, media }, 'announcement');
  }

  /** Skill-aware estimate: callers ahead in this queue, agents logged in who meet its requirement (docs/acd.md). */
  private async estimateWait(entry: AcdEntry, queue: QueueConfig, ahead: number): Promise<number | undefined> {
    const states = await this.deps.store.allAgents();
    const step = currentStep(queue, entry, this.now());
    if (!('requirement' in step)) return undefined;
    let eligible = 0;
    for (const s of states) {
      const p = this.deps.config().agents.get(s.d.id);
      if (p && s.d.status !== 'logged-out' && s.d.status !== 'paused' && step.requirement.test(p, entry.attributes)) eligible++;
    }
    const ahtS = Math.max(60, queue.wrapUpS + 180); // until handle times are measured, a conservative 3 min talk
    return estimatedWaitS({ ahead, eligibleAgents: eligible, ahtS, patienceS: this.deps.patienceS });
  }

  /** A playback on a caller's channel ended: after an announcement the hold music comes back; after an exit prompt, the call ends. */
  async playbackFinished(callId: string, playbackId: string): Promise<void> {
    const entry = await this.deps.store.getEntry(callId);
    if (playbackId === `${callId}-exit`) {
      await this.deps.telephony.hangup(entry?.d.channelId ?? callId);
      return;
    }
    // Waiting, or ringing an agent: either way the caller should hear hold music again.
    if (!entry || (entry.d.state !== 'waiting' && entry.d.state !== 'offered') || !playbackId.startsWith(`${callId}-ann-`)) return;
    const queue = this.deps.config().queues.get(entry.d.queue);
    await this.deps.telephony.startMoh(entry.d.channelId, queue?.musicClass ?? 'default').catch(() => undefined);
  }

  // ------------------------------------------------------------- reconcile ---

  /**
   * After a (re)connect or a restart: settle every call the ACD holds against the channels
   * Asterisk still has. Waiting callers keep their place (their hold music is restarted); offers
   * whose agent leg is gone are missed; a connected call missing either side is ended.
   */
  async reconcile(): Promise<{ waiting: number; offered: number; connected: number; ended: number }> {
    const report = { waiting: 0, offered: 0, connected: 0, ended: 0 };
    const callIds = new Set<string>();
    for (const e of await this.deps.store.waitingEntries()) callIds.add(e.d.callId);
    for (const a of await this.deps.store.allAgents()) if (a.d.callId && (a.d.status === 'reserved' || a.d.status === 'on-call')) callIds.add(a.d.callId);
    for (const callId of callIds) {
      const entry = await this.deps.store.getEntry(callId);
      if (!entry) continue;
      const e = entry.d;
      const callerThere = await this.deps.telephony.channelExists(e.channelId);
      if (!callerThere) {
        report.ended++;
        if (e.state === 'connected') await this.callEnded(callId, 'caller');
        else await this.callerLeft(callId);
        continue;
      }
      if (e.state === 'waiting') {
        report.waiting++;
        const q = this.deps.config().queues.get(e.queue);
        await this.deps.telephony.startMoh(e.channelId, q?.musicClass ?? 'default').catch(() => undefined);
        if (q) await this.armQueueTimers(e, q, 'reconciled');
      } else if (e.state === 'offered') {
        report.offered++;
        const leg = e.legId ? await this.deps.telephony.channelState(e.legId) : undefined;
        if (!leg) await this.legEnded(e.legId ?? '', 'lost');
        else if (leg === 'Up') await this.legAnswered(e.legId!); // answered while we could not hear of it
      } else {
        report.connected++;
        if (!e.legId || !(await this.deps.telephony.channelExists(e.legId))) await this.callEnded(callId, 'agent');
      }
    }
    await this.releaseExpiredLeases();
    this.log.info(report, 'ACD reconciled');
    return report;
  }

  // ---------------------------------------------------------------- leases ---

  /** Reservations whose lease ran out (their instance died mid-offer): give the call back and free the agent. */
  async releaseExpiredLeases(): Promise<number> {
    const now = this.now();
    let released = 0;
    for (const agentId of await this.deps.store.expiredLeases(now)) {
      const agent = await this.deps.store.getAgent(agentId);
      if (agent?.d.status === 'reserved' && agent.d.callId) {
        const entry = await this.deps.store.getEntry(agent.d.callId);
        if (entry?.d.state === 'offered' && entry.d.agentId === agentId && entry.d.legId) {
          if (await this.deps.telephony.channelExists(entry.d.legId)) await this.deps.telephony.hangup(entry.d.legId);
          await this.missed(entry, 'lease-expired');
          released++;
          continue;
        }
        // The entry moved on without the agent: free the agent without a strike.
        const at = this.now();
        const callId = agent.d.callId;
        await this.retry('lease release', async () => {
          const cur = await this.loadAgent(agentId);
          if (cur.d.status !== 'reserved' || cur.d.callId !== callId) return { result: undefined };
          const next = applyAgentEvent(cur.d, { type: 'offerCancelled', callId, at });
          return { tx: { ...this.agentPut(agentId, cur, next), zrem: [{ key: this.deps.store.leasesKey(), member: agentId }] }, result: undefined };
        });
        released++;
      } else {
        await this.deps.store.commit({ expect: [], zrem: [{ key: this.deps.store.leasesKey(), member: agentId }] });
      }
    }
    return released;
  }
}

interface PendingOffer {
  entry: AcdEntry;
  profile: AgentProfile;
  queue: QueueConfig;
}

export { TransitionRefused };
