// Matching callers and agents: a waiting call gets the best agent (its queue's strategy), an agent
// who becomes free gets the best call across every queue they serve; each match is one atomic
// reservation, then the agent's phone rings. Matches running at the same time in this instance
// leave each other's agent and call alone while they are being reserved (calls arriving together
// would otherwise all pick the same longest-idle agent and all but one conflict). A periodic sweep
// is the safety net for lost events.
import { isOfferable } from '../domain/agent';
import type { AgentProfile, QueueConfig } from '../domain/model';
import { compareEntries, selectAgent, selectCall, type AgentView } from '../domain/select';
import { currentStep } from '../domain/steps';
import { movedEntry } from '../domain/control';
import { applyAgentEvent, ringEndpoint } from '../domain/agent';
import { legId as legIdOf } from '../../kernel/ids';
import type { AcdEntry, CommitResult, Versioned } from '../ports';
import { StillConflicting, type AcdCore, type Attempt } from './core';
import { OfferableAgents } from './offerable-agents';

interface PendingOffer {
  entry: AcdEntry;
  profile: AgentProfile;
  queue: QueueConfig;
  /** Where the agent is rung: the SIP phone, or a remote number through the profile's trunk. */
  endpoint: string;
}

/** A wrap-up this far past its end is ended by the sweep (its timer was lost). */
const WRAP_UP_GRACE_MS = 5_000;

export class Matching {
  /** The agents a call can be offered to, updated from the store's copy by what changed. */
  private readonly offerable = new OfferableAgents();
  /** Round-robin memory; per instance, which is enough to spread calls (app_queue keeps it per queue in memory too). */
  private readonly lastPickedByQueue = new Map<string, string>();
  /** Agents and calls a match in this instance is reserving right now. */
  private readonly claimedAgents = new Set<string>();
  private readonly claimedCalls = new Set<string>();
  private sweeping = false;

  constructor(private readonly c: AcdCore) {}

  /**
   * Offers a waiting call to the best agent for it, if there is one (after an overflow, in its new
   * queue). `known`: the entry as just stored, used for the first try (a retry reads it afresh).
   */
  async matchCall(callId: string, known?: Versioned<AcdEntry>): Promise<boolean> {
    type Outcome = { offer?: PendingOffer; overflow?: { from: AcdEntry; to: AcdEntry; position: number } } | undefined;
    const tried = new Set<string>();
    let outcome: Outcome;
    try {
      outcome = await this.c.retry<Outcome>('match call', async () => {
        if (this.claimedCalls.has(callId)) return { result: undefined }; // being reserved by another match
        const entry = known ?? (await this.c.store.getEntry(callId));
        known = undefined;
        if (!entry || entry.d.state !== 'waiting') return { result: undefined };
        const queue = this.c.config().queues.get(entry.d.queue);
        if (!queue) return { result: undefined };
        const now = this.c.now();
        const step = currentStep(queue, entry.d, now);
        if ('overflowTo' in step) return this.overflow(entry, step.overflowTo, now);
        const { views, version } = this.offerable.update(await this.c.store.currentAgents(), this.c.config().agents);
        const ctx = { now, lastPicked: this.lastPickedByQueue.get(queue.id), random: this.c.deps.random, skip: this.claimedAgents };
        const picked = selectAgent(queue, entry.d, views, ctx);
        if (!picked || this.claimedCalls.has(callId)) return { result: undefined };
        tried.add(picked.profile.id);
        const r = this.reserve(entry, picked, version(picked.profile.id), queue, now);
        return { apply: this.claiming(picked.profile.id, callId, r.apply), result: { offer: r.result } };
      });
    } catch (err) {
      if (!(err instanceof StillConflicting)) throw err;
      // Never stranded until the sweep: the call's step timer tries again in a moment.
      this.c.callLogs.of(callId).warn({ err }, 'matching kept conflicting; trying again shortly');
      await this.c.deps.timers.set(`step:${callId}`, this.c.now() + 50, { kind: 'step', callId });
      outcome = undefined;
    }
    this.offerLeftovers(tried, outcome?.offer?.profile.id);
    if (outcome?.overflow) {
      await this.c.parts.waiting.overflowed(outcome.overflow.from, outcome.overflow.to, outcome.overflow.position);
      return this.matchCall(callId);
    }
    if (!outcome?.offer) return false;
    await this.ring(outcome.offer);
    return true;
  }

  /** Claims agent and call while `apply` stores their reservation, so concurrent matches pick others. */
  private claiming(agentId: string, callId: string, apply: () => Promise<CommitResult>): () => Promise<CommitResult> {
    this.claimedAgents.add(agentId);
    this.claimedCalls.add(callId);
    return async () => {
      try {
        return await apply();
      } finally {
        this.claimedAgents.delete(agentId);
        this.claimedCalls.delete(callId);
      }
    };
  }

  /**
   * Agents a match claimed but did not reserve in the end (its call left, or another instance was
   * first) may still be free while calls that skipped them wait: they look for a call again.
   */
  private offerLeftovers(tried: Set<string>, reserved: string | undefined): void {
    for (const agentId of tried) if (agentId !== reserved) void this.matchAgent(agentId).catch((err: unknown) => this.c.agentLogs.of(agentId).error({ err }, 'matching a freed agent failed'));
  }

  /** The call moves on to the step's queue, keeping its place (enqueuedAt) and starting a new wait there. */
  private async overflow(entry: Versioned<AcdEntry>, to: string, now: number): Promise<Attempt<{ overflow: { from: AcdEntry; to: AcdEntry; position: number } }>> {
    const waiting = this.c.parts.waiting;
    const position = await waiting.positionOf(entry.d);
    const there = (await this.c.store.waitingEntries(to)).map((e) => e.d);
    const moved = movedEntry(entry.d, to, now, there);
    return { apply: () => this.c.store.moveEntry(entry, moved), result: { overflow: { from: entry.d, to: moved, position } } };
  }

  /** Gives an agent who just became offerable the best call across all the queues they serve. */
  async matchAgent(agentId: string): Promise<boolean> {
    const tried = new Set<string>();
    const offer = await this.c.retry('match agent', async () => {
      if (this.claimedAgents.has(agentId)) return { result: undefined }; // being reserved by another match
      const agent = await this.c.store.getAgent(agentId);
      const profile = this.c.config().agents.get(agentId);
      if (!agent || !profile || !isOfferable(agent.d)) return { result: undefined };
      const now = this.c.now();
      const { docs: byId } = await this.c.store.currentWaiting();
      const queues = this.c.config().queues;
      const waiting = [...byId.values()].map((e) => e.d).filter((e) => e.state === 'waiting');
      const best = selectCall({ profile, state: agent.d }, waiting, queues, now, this.claimedCalls);
      if (!best || this.claimedAgents.has(agentId)) return { result: undefined };
      tried.add(best.callId);
      const r = this.reserve(byId.get(best.callId)!, { profile, state: agent.d }, agent.v, queues.get(best.queue)!, now);
      return { apply: this.claiming(agentId, best.callId, r.apply), result: r.result };
    });
    // Calls claimed but not reserved in the end: matches that skipped them must not leave them waiting.
    for (const callId of tried) if (callId !== offer?.entry.callId) void this.matchCall(callId).catch((err: unknown) => this.c.callLogs.of(callId).error({ err }, 'matching a released call failed'));
    if (!offer) return false;
    await this.ring(offer);
    return true;
  }

  /** The reservation of `agent` for `entry`: both change together, and the agent holds a lease past the ring timeout. */
  private reserve(entry: Versioned<AcdEntry>, agent: AgentView, agentV: number, queue: QueueConfig, now: number): { apply: () => Promise<CommitResult>; result: PendingOffer } {
    const nextAgent = applyAgentEvent(agent.state, { type: 'reserve', callId: entry.d.callId, at: now });
    const offers = entry.d.offers + 1;
    const next: AcdEntry = { ...entry.d, state: 'offered', agentId: agent.profile.id, legId: legIdOf(entry.d.callId, offers), offers, offeredAt: now };
    const leaseUntil = now + queue.ringTimeoutS * 1000 + (this.c.deps.leaseGraceMs ?? 10_000);
    return {
      apply: () => this.c.store.reserve(entry, next, { cur: { v: agentV, d: agent.state }, next: nextAgent }, leaseUntil),
      result: { entry: next, profile: agent.profile, queue, endpoint: ringEndpoint(agent.profile, agent.state) },
    };
  }

  /** Rings the reserved agent: an originate with our channel id and a ring timeout. */
  private async ring(o: PendingOffer): Promise<void> {
    const { entry, profile, queue, endpoint } = o;
    const legId = entry.legId!;
    const log = this.c.deps.logger.child({ callId: entry.callId, agentId: profile.id, legId });
    // The screen pop's history (Redis reads), fetched alongside the announcements below: without it the phone still rings.
    const screenPop = entry.callback ? Promise.resolve({}) : (this.c.deps.legVariables?.(entry.callId, entry.callerId) ?? Promise.resolve({})).catch((err: unknown) => (log.warn({ err }, 'no screen-pop history for the agent leg'), {}));
    this.lastPickedByQueue.set(queue.id, profile.id);
    log.info({ queue: queue.id, remote: endpoint !== profile.endpoint }, 'offering call to agent');
    const connecting = this.c.parts.connecting;
    await this.c.deps.events.publish({ type: 'queue.offered', callId: entry.callId, queue: queue.id, agentId: profile.id, legId, offer: entry.offers, at: this.c.now() });
    // Our own ring deadline (in case Asterisk's report is lost) is set alongside the originate.
    const deadline = this.c.deps.timers
      .set(`ring:${entry.callId}`, this.c.now() + (queue.ringTimeoutS + 3) * 1000, { kind: 'ring-timeout', callId: entry.callId, legId })
      .catch((err: unknown) => log.warn({ err }, 'could not set the ring deadline; the lease still bounds the offer'));
    const outcome = await this.c.telephony.originate({
      endpoint,
      legId,
      callId: entry.callId,
      callerId: entry.callerId,
      timeoutS: queue.ringTimeoutS,
      // For a screen pop: who is calling, through which queue, waiting since when; a callback says so.
      variables: {
        SWITCHBOARD_CALL_ID: entry.callId,
        SWITCHBOARD_QUEUE: queue.id,
        SWITCHBOARD_CALLER: entry.callerId,
        SWITCHBOARD_ENQUEUED_AT: String(entry.enqueuedAt),
        ...(entry.callback ? { SWITCHBOARD_CALLBACK: '1', SWITCHBOARD_CALLBACK_ID: entry.callback.id, SWITCHBOARD_CALLBACK_ATTEMPT: String(entry.callback.attempt) } : {}),
        ...(await screenPop),
      },
    });
    await deadline;
    if (outcome === 'ok' && entry.callback) await this.c.deps.callbacks?.offered(entry.callId, profile.id).catch((err: unknown) => log.warn({ err }, 'could not record the callback offer'));
    if (outcome === 'ok') {
      // Offers can run outside the call's own event queue: if the caller left while we rang,
      // nobody will hang this leg up but us.
      const now = await this.c.store.getEntry(entry.callId);
      if (!now || now.d.state !== 'offered' || now.d.legId !== legId) await this.c.telephony.hangup(legId).catch(() => undefined);
      return;
    }
    // The originate may have created the channel before failing (a timeout): never leave it ringing.
    await this.c.telephony.hangup(legId).catch(() => undefined);
    if (outcome === 'unknown-endpoint') {
      this.c.parts.agents.unknownEndpoint(profile.id, profile.endpoint);
      await connecting.legEnded(legId, { kind: 'unknown-endpoint' });
      await this.c.parts.agents.setReachable(profile.id, false);
      return;
    }
    await connecting.legEnded(legId, { kind: 'failed' });
  }

  /**
   * Safety net run periodically: releases expired leases, ends wrap-ups whose deadline is well
   * past (their timer was lost), and offers every waiting call that could be offered, oldest
   * first. A sweep still running makes the next one a no-op.
   */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.c.parts.recovery.releaseExpiredLeases();
      const now = this.c.now();
      const agents = await this.c.store.allAgents();
      for (const a of agents) {
        if (a.d.status === 'wrap-up' && a.d.callId && a.d.wrapUpUntil !== undefined && now > a.d.wrapUpUntil + WRAP_UP_GRACE_MS) {
          await this.c.parts.connecting.wrapUpDue(a.d.id, a.d.callId);
        }
      }
      let offerable = agents.filter((a) => isOfferable(a.d)).length;
      if (offerable === 0) return;
      const entries = (await this.c.store.waitingEntries()).map((e) => e.d).sort(compareEntries);
      for (const e of entries) {
        if (offerable <= 0) return;
        if (await this.matchCall(e.callId)) offerable--;
      }
    } finally {
      this.sweeping = false;
    }
  }
}

