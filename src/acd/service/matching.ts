// Matching callers and agents: a waiting call gets the best agent (its queue's strategy), an agent
// who becomes free gets the best call across every queue they serve; each match is one atomic
// reservation, then the agent's phone rings. Matches running at the same time in this instance
// leave each other's agent and call alone while they are being reserved (calls arriving together
// would otherwise all pick the same longest-idle agent and all but one conflict). A periodic sweep
// is the safety net for lost events.
import { isOfferable } from '../domain/agent';
import type { AgentProfile, QueueConfig } from '../domain/model';
import { compareEntries, selectAgents, selectCall, type AgentView } from '../domain/select';
import { currentStep } from '../domain/steps';
import { movedEntry } from '../domain/control';
import { applyAgentEvent, ringEndpoint } from '../domain/agent';
import { isRinging } from '../domain/offer';
import { legId as legIdOf } from '../../kernel/ids';
import type { AcdEntry, CommitResult, Versioned } from '../ports';
import { StillConflicting, type AcdCore, type Attempt } from './core';
import { OfferableAgents } from './offerable-agents';

interface PendingOffer {
  entry: AcdEntry;
  queue: QueueConfig;
  /** The agents rung (several for ring-all), each on its own leg. */
  legs: RingingLeg[];
}

interface RingingLeg {
  profile: AgentProfile;
  legId: string;
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
        // Ring-all rings every agent picked; a callback still goes to one (that agent then dials the customer).
        const all = selectAgents(queue, entry.d, views, ctx);
        const picked = entry.d.callback ? all.slice(0, 1) : all;
        if (picked.length === 0 || this.claimedCalls.has(callId)) return { result: undefined };
        for (const p of picked) tried.add(p.profile.id);
        const r = this.reserve(entry, picked.map((view) => ({ view, v: version(view.profile.id) })), queue, now);
        return { apply: this.claiming(picked.map((p) => p.profile.id), callId, r.apply), result: { offer: r.result } };
      });
    } catch (err) {
      if (!(err instanceof StillConflicting)) throw err;
      // Never stranded until the sweep: the call's step timer tries again in a moment.
      this.c.callLogs.of(callId).warn({ err }, 'matching kept conflicting; trying again shortly');
      await this.c.deps.timers.set(`step:${callId}`, this.c.now() + 50, { kind: 'step', callId });
      outcome = undefined;
    }
    this.offerLeftovers(tried, new Set(outcome?.offer?.legs.map((l) => l.profile.id)));
    if (outcome?.overflow) {
      await this.c.parts.waiting.overflowed(outcome.overflow.from, outcome.overflow.to, outcome.overflow.position);
      return this.matchCall(callId);
    }
    if (!outcome?.offer) return false;
    await this.ring(outcome.offer);
    return true;
  }

  /** Claims agent and call while `apply` stores their reservation, so concurrent matches pick others. */
  private claiming(agentIds: readonly string[], callId: string, apply: () => Promise<CommitResult>): () => Promise<CommitResult> {
    for (const id of agentIds) this.claimedAgents.add(id);
    this.claimedCalls.add(callId);
    return async () => {
      try {
        return await apply();
      } finally {
        for (const id of agentIds) this.claimedAgents.delete(id);
        this.claimedCalls.delete(callId);
      }
    };
  }

  /**
   * Agents a match claimed but did not reserve in the end (its call left, or another instance was
   * first) may still be free while calls that skipped them wait: they look for a call again.
   */
  private offerLeftovers(tried: Set<string>, reserved: ReadonlySet<string>): void {
    for (const agentId of tried) if (!reserved.has(agentId)) void this.matchAgent(agentId).catch((err: unknown) => this.c.agentLogs.of(agentId).error({ err }, 'matching a freed agent failed'));
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
    const offer = await this.c.retry<PendingOffer | { ringAll: string } | undefined>('match agent', async () => {
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
      const queue = queues.get(best.queue)!;
      // A ring-all call rings every free agent for it, this one among them: matched from the call's side.
      if (queue.strategy === 'ring-all' && !best.callback) return { result: { ringAll: best.callId } };
      tried.add(best.callId);
      const r = this.reserve(byId.get(best.callId)!, [{ view: { profile, state: agent.d }, v: agent.v }], queue, now);
      return { apply: this.claiming([agentId], best.callId, r.apply), result: r.result };
    });
    // Calls claimed but not reserved in the end: matches that skipped them must not leave them waiting.
    const reserved = offer && 'entry' in offer ? offer.entry.callId : undefined;
    for (const callId of tried) if (callId !== reserved) void this.matchCall(callId).catch((err: unknown) => this.c.callLogs.of(callId).error({ err }, 'matching a released call failed'));
    if (!offer) return false;
    if ('ringAll' in offer) return this.matchCall(offer.ringAll);
    await this.ring(offer);
    return true;
  }

  /** The reservation of `agents` for `entry`: all change together, and each agent holds a lease past the ring timeout. */
  private reserve(entry: Versioned<AcdEntry>, agents: ReadonlyArray<{ view: AgentView; v: number }>, queue: QueueConfig, now: number): { apply: () => Promise<CommitResult>; result: PendingOffer } {
    const callId = entry.d.callId;
    const legs = agents.map(({ view }, i) => ({ profile: view.profile, legId: legIdOf(callId, entry.d.offers + 1 + i), endpoint: ringEndpoint(view.profile, view.state) }));
    const lead = legs[0]!;
    const next: AcdEntry = { ...entry.d, state: 'offered', agentId: lead.profile.id, legId: lead.legId, offers: entry.d.offers + legs.length, offeredAt: now };
    if (legs.length > 1) next.ringing = legs.map((l) => ({ agentId: l.profile.id, legId: l.legId }));
    const changes = agents.map(({ view, v }) => ({ cur: { v, d: view.state }, next: applyAgentEvent(view.state, { type: 'reserve', callId, at: now }) }));
    const leaseUntil = now + queue.ringTimeoutS * 1000 + (this.c.deps.leaseGraceMs ?? 10_000);
    return { apply: () => this.c.store.reserve(entry, next, changes, leaseUntil), result: { entry: next, queue, legs } };
  }

  /** Rings the reserved agents (ring-all: all at once): an originate each, with our channel id and a ring timeout. */
  private async ring(o: PendingOffer): Promise<void> {
    const { entry, queue, legs } = o;
    const log = this.c.deps.logger.child({ callId: entry.callId });
    // The screen pop's history (Redis reads), fetched alongside the announcements below: without it the phone still rings.
    const screenPop = entry.callback ? Promise.resolve({}) : (this.c.deps.legVariables?.(entry.callId, entry.callerId) ?? Promise.resolve({})).catch((err: unknown) => (log.warn({ err }, 'no screen-pop history for the agent leg'), {}));
    this.lastPickedByQueue.set(queue.id, legs[legs.length - 1]!.profile.id);
    const first = entry.offers - legs.length + 1;
    for (const [i, leg] of legs.entries()) {
      await this.c.deps.events.publish({ type: 'queue.offered', callId: entry.callId, queue: queue.id, agentId: leg.profile.id, legId: leg.legId, offer: first + i, at: this.c.now() });
    }
    // Our own ring deadline (in case Asterisk's report is lost) is set alongside the originates; it names the leading leg.
    const deadline = this.c.deps.timers
      .set(`ring:${entry.callId}`, this.c.now() + (queue.ringTimeoutS + 3) * 1000, { kind: 'ring-timeout', callId: entry.callId, legId: entry.legId! })
      .catch((err: unknown) => log.warn({ err }, 'could not set the ring deadline; the lease still bounds the offer'));
    // For a screen pop: who is calling, through which queue, waiting since when; a callback says so.
    const variables = {
      SWITCHBOARD_CALL_ID: entry.callId,
      SWITCHBOARD_QUEUE: queue.id,
      SWITCHBOARD_CALLER: entry.callerId,
      SWITCHBOARD_ENQUEUED_AT: String(entry.enqueuedAt),
      ...(entry.callback ? { SWITCHBOARD_CALLBACK: '1', SWITCHBOARD_CALLBACK_ID: entry.callback.id, SWITCHBOARD_CALLBACK_ATTEMPT: String(entry.callback.attempt) } : {}),
      ...(await screenPop),
    };
    await Promise.all(legs.map((leg) => this.ringLeg(entry, queue, leg, variables)));
    await deadline;
  }

  private async ringLeg(entry: AcdEntry, queue: QueueConfig, { profile, legId, endpoint }: RingingLeg, variables: Record<string, string>): Promise<void> {
    const log = this.c.deps.logger.child({ callId: entry.callId, agentId: profile.id, legId });
    log.info({ queue: queue.id, remote: endpoint !== profile.endpoint }, 'offering call to agent');
    const connecting = this.c.parts.connecting;
    // The phone shows who calls: "name" <number> when the network sent a name.
    const callerId = entry.callerName ? `"${entry.callerName}" <${entry.callerId}>` : entry.callerId;
    const outcome = await this.c.telephony.originate({ endpoint, legId, callId: entry.callId, callerId, timeoutS: queue.ringTimeoutS, variables });
    if (outcome === 'ok' && entry.callback) await this.c.deps.callbacks?.offered(entry.callId, profile.id).catch((err: unknown) => log.warn({ err }, 'could not record the callback offer'));
    if (outcome === 'ok') {
      // Offers can run outside the call's own event queue: if the caller left (or another agent
      // answered) while we rang, nobody will hang this leg up but us.
      const now = await this.c.store.getEntry(entry.callId);
      if (!now || now.d.state !== 'offered' || !isRinging(now.d, legId)) await this.c.telephony.hangup(legId).catch(() => undefined);
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

