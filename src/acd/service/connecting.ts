// From the ring to the end of a call: the agent answers (caller and agent bridged, whatever was
// playing to the caller stopped first), or misses the offer (the call goes back to its place), or
// the caller leaves first (an abandon); a connected call ends and the agent goes to wrap-up.
import type { Logger } from 'pino';
import { applyAgentEvent } from '../domain/agent';
import { heldMsAt } from '../domain/control';
import { seconds, type AgentState } from '../domain/model';
import { isAgentsMiss, isRinging, legEndLabel, ringingLegs, withoutLeg, type LegEnd, type RingLeg } from '../domain/offer';
import { announcementId, callBridgeId, callIdOf } from '../../kernel/ids';
import type { AcdEntry, AgentChange, Versioned } from '../ports';
import type { AcdCore } from './core';
import { RecentSet } from '../../kernel/recent-set';

/** Tries at putting caller and agent in one bridge, and the pause before the n-th retry (× n). */
const BRIDGE_ATTEMPTS = 3;
const BRIDGE_RETRY_MS = 250;

type ConnectFailure = 'caller-gone' | 'agent-gone' | 'failed';

/** An agent rung for a call who is let go with it (ring-all's other phones, an abandon). */
interface ReleasedAgent {
  leg: RingLeg;
  change: AgentChange;
}

export class Connecting {
  /** Agent legs this process is done with: their remaining events (up to three per leg) need no look-up. */
  private readonly doneLegs = new RecentSet();

  constructor(private readonly c: AcdCore) {}

  /** The agent answered: stop what the caller hears, bridge the two, announce the connection. */
  async legAnswered(legId: string): Promise<void> {
    const callId = callIdOf(legId);
    const at = this.c.now();
    const res = await this.c.retry('connect', async () => {
      const entry = await this.c.store.getEntry(callId);
      const leg = entry?.d.state === 'offered' ? ringingLegs(entry.d).find((l) => l.legId === legId) : undefined;
      if (!entry || !leg) return { result: undefined };
      const agent = await this.c.loadAgent(leg.agentId);
      if (agent.d.status !== 'reserved' || agent.d.callId !== callId) return { result: undefined };
      const next: AcdEntry = { ...entry.d, state: 'connected', agentId: leg.agentId, legId, connectedAt: at };
      delete next.ringing;
      const nextAgent = applyAgentEvent(agent.d, { type: 'answered', callId, at });
      // Ring-all: the agents whose phones still ring for this call are released in the same step.
      const others = await this.releasedWith(entry.d, at, legId);
      const changes = [{ cur: agent, next: nextAgent }, ...others.map((o) => o.change)];
      const otherLegs = ringingLegs(entry.d).filter((l) => l.legId !== legId);
      return { apply: () => this.c.store.connect(entry, next, changes), result: { next, others, otherLegs } };
    });
    if (!res) {
      // Nobody waits for this leg any more (caller left, another agent answered, or the offer timed out): let it go.
      await this.c.telephony.hangup(legId);
      return;
    }
    const connected = res.next;
    const log = this.c.deps.logger.child({ callId, agentId: connected.agentId, legId });
    const stopping = this.stopRinging(connected, res.otherLegs, res.others, at);
    await this.c.parts.waiting.cancelTimers(callId);
    if (connected.callback) {
      await stopping;
      await this.c.parts.callbackCalls.agentAnswered(connected);
      return;
    }
    // Nothing the ACD started may hold the caller's channel: a playback holds its control queue,
    // and adding the channel to the bridge would wait until the announcement ends.
    await Promise.all([
      this.c.telephony.stopMoh(connected.channelId).catch(() => undefined),
      connected.announceSeq > 0 && this.c.telephony.stopPlayback(announcementId(callId, connected.announceSeq)).catch(() => undefined),
      this.c.deps.callbacks?.callerDone(callId).catch(() => undefined),
    ]);
    const bridged = await this.bridgeCaller(callId, connected.channelId, legId, log);
    await stopping;
    if (bridged !== 'bridged') {
      await this.connectFailed(connected, bridged, log);
      return;
    }
    const holdS = seconds(at - connected.queuedAt);
    const ringS = seconds(at - (connected.offeredAt ?? at));
    await this.c.deps.events.publish({ type: 'queue.connected', callId, queue: connected.queue, agentId: connected.agentId!, legId, holdS, ringS, callerId: connected.callerId, at });
    log.info({ holdS, ringS }, 'connected');
  }

  /** The agents an offer rang (but the one on `exceptLeg`), reserved for this call still: each released (no strike). */
  private async releasedWith(entry: AcdEntry, at: number, exceptLeg?: string): Promise<ReleasedAgent[]> {
    const out: ReleasedAgent[] = [];
    for (const leg of ringingLegs(entry)) {
      if (leg.legId === exceptLeg) continue;
      const cur = await this.c.loadAgent(leg.agentId);
      if (cur.d.status !== 'reserved' || cur.d.callId !== entry.callId) continue;
      out.push({ leg, change: { cur, next: applyAgentEvent(cur.d, { type: 'offerCancelled', callId: entry.callId, at }) } });
    }
    return out;
  }

  /** Another agent answered a ring-all offer: every other phone stops ringing, and the agents still reserved for the call are free again. */
  private async stopRinging(connected: AcdEntry, legs: readonly RingLeg[], others: readonly ReleasedAgent[], at: number): Promise<void> {
    for (const l of legs) this.doneLegs.add(l.legId);
    await Promise.all(legs.map((l) => this.c.telephony.hangup(l.legId).catch(() => undefined)));
    for (const { leg, change } of others) {
      await this.c.deps.events.publish({ type: 'queue.ring-stopped', callId: connected.callId, queue: connected.queue, agentId: leg.agentId, answeredBy: connected.agentId!, ringMs: at - (connected.offeredAt ?? at), at });
      await this.c.parts.agents.changed(leg.agentId, change.cur.d, change.next, at);
    }
  }

  /**
   * Puts caller and agent in the call's bridge. A request that fails or times out is not the end
   * of the call: while both are still there it is checked (it may have gone through) and retried.
   */
  private async bridgeCaller(callId: string, channelId: string, legId: string, log: Logger): Promise<'bridged' | ConnectFailure> {
    const bridgeId = callBridgeId(callId);
    const tel = this.c.telephony;
    for (let attempt = 1; ; attempt++) {
      try {
        await tel.bridge(bridgeId, [channelId, legId]);
        return 'bridged';
      } catch (err) {
        log.warn({ err, attempt }, 'bridging caller and agent failed; checking both sides');
      }
      const [members, callerThere, agentThere] = await Promise.all([
        tel.bridgeMembers(bridgeId).catch(() => undefined),
        tel.channelExists(channelId).catch(() => true),
        tel.channelExists(legId).catch(() => true),
      ]);
      if (members?.includes(channelId) && members.includes(legId)) return 'bridged'; // it went through after all
      if (!callerThere) return 'caller-gone';
      if (!agentThere) return 'agent-gone';
      if (attempt >= BRIDGE_ATTEMPTS) return 'failed';
      await this.c.pause(BRIDGE_RETRY_MS * attempt);
    }
  }

  /**
   * Answered but not connected: the call never counted for the agent, who is free again; the
   * caller, if still there, waits again at their place (not offered to this agent for a ring
   * timeout); a caller who left meanwhile abandoned.
   */
  private async connectFailed(entry: AcdEntry, why: ConnectFailure, log: Logger): Promise<void> {
    const { callId, legId } = entry;
    const agentId = entry.agentId!;
    const at = this.c.now();
    const res = await this.c.retry('connect failed', async () => {
      const e = await this.c.store.getEntry(callId);
      if (!e || e.d.state !== 'connected' || e.d.legId !== legId) return { result: undefined };
      const agent = await this.c.loadAgent(agentId);
      const nextAgent = agent.d.status === 'on-call' && agent.d.callId === callId ? applyAgentEvent(agent.d, { type: 'connectFailed', callId, at }) : agent.d;
      const back = backToWaiting(e.d, agentId, at);
      return { apply: () => this.c.store.requeue(e, back, { cur: agent, next: nextAgent }), result: { before: agent.d, after: nextAgent, entry: back } };
    });
    await this.c.telephony.hangup(legId!).catch(() => undefined);
    await this.c.telephony.destroyBridge(callBridgeId(callId)).catch(() => undefined);
    if (!res) return;
    await this.c.deps.events.publish({ type: 'queue.connect-failed', callId, queue: entry.queue, agentId, why, at });
    if (why === 'caller-gone') {
      log.info('the caller left before being connected');
      await this.callerLeft(callId, agentId);
    } else {
      log.error({ why }, 'could not connect caller and agent; the caller waits again at their place');
      const q = this.c.config().queues.get(res.entry.queue);
      if (q) {
        await this.c.telephony.startMoh(res.entry.channelId, q.musicClass).catch(() => undefined);
        await this.c.parts.waiting.armTimers(res.entry, q, 'offer-failed');
      }
    }
    await this.c.parts.agents.changed(agentId, res.before, res.after, at);
    if (why !== 'caller-gone') await this.c.parts.matching.matchCall(callId);
  }

  /**
   * An agent leg is gone: before the answer it is a missed offer, decided on how it ended (the
   * cause comes with ChannelDestroyed, so an earlier hang-up request waits for it); after the
   * answer, the call is over.
   */
  async legEnded(legId: string, end: LegEnd): Promise<void> {
    if (this.doneLegs.has(legId)) return;
    const callId = callIdOf(legId);
    const entry = await this.c.store.getEntry(callId);
    if (entry?.d.state === 'offered') {
      if (end.kind !== 'hangup-requested' && isRinging(entry.d, legId)) await this.missed(entry, end, legId);
      return;
    }
    if (!entry || entry.d.legId !== legId) return;
    if (entry.d.state === 'connected' && entry.d.callback && !entry.d.callback.customerUp) await this.callbackAgentLeft(callId);
    else if (entry.d.state === 'connected') {
      // Talking with a colleague in an attended transfer: the agent hanging up hands the call over.
      if (entry.d.consult && (await this.c.parts.attended.firstAgentLeft(callId))) return;
      await this.callEnded(callId, 'agent');
    }
  }

  /** The agent hung up a callback before its customer answered: the attempt is over (src/callbacks decides what next). */
  private async callbackAgentLeft(callId: string): Promise<void> {
    const hooks = this.c.deps.callbacks;
    if (hooks) await hooks.agentLeft(callId);
    else await this.c.parts.callbackCalls.attemptFailed(callId);
  }

  /** Asterisk's originate timeout should have ended the leg; if its event was lost, end it here. */
  async ringTimeoutDue(callId: string, legId: string): Promise<void> {
    const entry = await this.c.store.getEntry(callId);
    if (entry?.d.state !== 'offered' || !isRinging(entry.d, legId)) return;
    for (const leg of ringingLegs(entry.d)) {
      await this.c.telephony.hangup(leg.legId);
      await this.legEnded(leg.legId, { kind: 'ring-timeout' });
    }
  }

  /**
   * The offer was not taken on `legId` (the leading leg unless named): the call goes back to its
   * place, or, while other legs of a ring-all offer still ring, stays offered to them. The agent
   * gets a strike only when it was their doing (domain/offer.ts).
   */
  async missed(entryIn: Versioned<AcdEntry>, end: LegEnd, legId = entryIn.d.legId): Promise<void> {
    const callId = entryIn.d.callId;
    const at = this.c.now();
    const res = await this.c.retry('missed offer', async () => {
      const entry = await this.c.store.getEntry(callId);
      const leg = entry?.d.state === 'offered' && legId ? ringingLegs(entry.d).find((l) => l.legId === legId) : undefined;
      if (!entry || !leg) return { result: undefined };
      const agentId = leg.agentId;
      const queue = this.c.config().queues.get(entry.d.queue);
      const profile = this.c.config().agents.get(agentId);
      const agent = await this.c.loadAgent(agentId);
      const strike = isAgentsMiss(end);
      const maxMissedOffers = profile?.maxMissedOffers ?? queue?.maxMissedOffers ?? 3;
      const nextAgent =
        agent.d.status === 'reserved' && agent.d.callId === callId
          ? applyAgentEvent(agent.d, strike ? { type: 'missed', callId, maxMissedOffers, at } : { type: 'offerCancelled', callId, at })
          : agent.d;
      const change = { cur: agent, next: nextAgent };
      const others = withoutLeg(entry.d, leg.legId);
      // Not offered to this agent again for a ring timeout, as after any miss.
      const rest = others && { ...others, missedBy: { ...others.missedBy, [agentId]: at } };
      const result = { agentId, before: agent.d, after: nextAgent, entry: entry.d, rest };
      if (rest) return { apply: () => this.c.store.dropLeg(entry, rest, change), result };
      return { apply: () => this.c.store.requeue(entry, backToWaiting(entry.d, agentId, at), change), result };
    });
    if (!res) return;
    this.doneLegs.add(legId!);
    const cause = legEndLabel(end);
    const log = this.c.deps.logger.child({ callId, agentId: res.agentId });
    if (res.rest) {
      await this.ringingOn(res.entry, res.rest);
      log.info({ cause, counted: isAgentsMiss(end), missed: res.after.missed, stillRinging: ringingLegs(res.rest).length }, 'offer missed; other phones still ring');
      await this.c.deps.events.publish({ type: 'queue.ring-no-answer', callId, queue: res.entry.queue, agentId: res.agentId, ringMs: at - (res.entry.offeredAt ?? at), cause, at });
      await this.c.parts.agents.changed(res.agentId, res.before, res.after, at);
      return;
    }
    await this.c.deps.timers.cancel(`ring:${callId}`);
    // Deadlines that came due while the agent rang were skipped: arm them again, and make sure
    // the caller hears hold music (an announcement may have ended while the agent rang).
    const back = await this.c.store.getEntry(callId);
    const q = back && this.c.config().queues.get(back.d.queue);
    if (back && q) {
      await this.c.parts.waiting.armTimers(back.d, q, 'offer-failed');
      if (back.d.callback) await this.c.deps.callbacks?.offerMissed(callId);
      else await this.c.telephony.startMoh(back.d.channelId, q.musicClass).catch(() => undefined);
    }
    log.info({ cause, counted: isAgentsMiss(end), missed: res.after.missed }, 'offer missed');
    await this.c.deps.events.publish({ type: 'queue.ring-no-answer', callId, queue: res.entry.queue, agentId: res.agentId, ringMs: at - (res.entry.offeredAt ?? at), cause, at });
    await this.c.parts.agents.changed(res.agentId, res.before, res.after, at);
    await this.c.parts.matching.matchCall(callId);
  }

  /** A ring-all offer goes on with fewer legs: when its leading leg changed, the ring deadline names the new one (same time). */
  private async ringingOn(before: AcdEntry, rest: AcdEntry): Promise<void> {
    if (rest.legId === before.legId) return;
    const q = this.c.config().queues.get(rest.queue);
    const due = (rest.offeredAt ?? this.c.now()) + ((q?.ringTimeoutS ?? 15) + 3) * 1000;
    await this.c.deps.timers.set(`ring:${rest.callId}`, due, { kind: 'ring-timeout', callId: rest.callId, legId: rest.legId! }).catch((err: unknown) => this.c.callLogs.of(rest.callId).warn({ err }, 'could not move the ring deadline; the leases still bound the offer'));
  }

  /** The caller hung up (or the flow ended the call) while in the ACD; `answeredBy`: an agent had answered, the bridge not yet made. */
  async callerLeft(callId: string, answeredBy?: string): Promise<void> {
    const at = this.c.now();
    const entry = await this.c.store.getEntry(callId);
    if (!entry) return;
    if (entry.d.state === 'connected') {
      await this.callEnded(callId, 'caller');
      return;
    }
    const position = await this.c.parts.waiting.positionOf(entry.d);
    type Abandon = { entry: AcdEntry; agents: ReleasedAgent[] } | undefined;
    const res = await this.c.retry<Abandon>('abandon', async () => {
      const e = await this.c.store.getEntry(callId);
      if (!e || e.d.state === 'connected') return { result: undefined };
      // Every agent rung for it (one, or several for ring-all) is released with it.
      const agents = e.d.state === 'offered' ? await this.releasedWith(e.d, at) : [];
      return { apply: () => this.c.store.removeEntry(e, agents.map((a) => a.change)), result: { entry: e.d, agents } };
    });
    if (!res) {
      if ((await this.c.store.getEntry(callId))?.d.state === 'connected') await this.callEnded(callId, 'caller');
      return;
    }
    const gone = res.entry;
    const legs = gone.state === 'offered' ? ringingLegs(gone) : [];
    for (const leg of legs) this.doneLegs.add(leg.legId);
    await this.c.deps.callbacks?.callerDone(callId).catch(() => undefined);
    await this.c.parts.waiting.cancelTimers(callId);
    await Promise.all(legs.map((leg) => this.c.telephony.hangup(leg.legId)));
    const events = this.c.deps.events;
    const ringing = gone.state === 'offered';
    for (const leg of legs) await events.publish({ type: 'queue.ring-canceled', callId, queue: gone.queue, agentId: leg.agentId, ringMs: at - (gone.offeredAt ?? at), at });
    await events.publish({ type: 'queue.abandoned', callId, queue: gone.queue, position, origPosition: gone.joinPosition, waitS: seconds(at - gone.queuedAt), ringing, answeredBy, at });
    this.c.callLogs.of(callId).info({ ringing }, 'caller abandoned');
    for (const a of res.agents) await this.c.parts.agents.changed(a.leg.agentId, a.change.cur.d, a.change.next, at);
  }

  /** A connected call ends (`by` hung up first): hang up the other side, start wrap-up. */
  async callEnded(callId: string, by: 'caller' | 'agent'): Promise<void> {
    const at = this.c.now();
    const res = await this.c.retry('call end', async () => {
      const e = await this.c.store.getEntry(callId);
      if (!e || e.d.state !== 'connected' || !e.d.agentId) return { result: undefined };
      const agentId = e.d.agentId;
      const agent = await this.c.loadAgent(agentId);
      const queue = this.c.config().queues.get(e.d.queue);
      const wrapUpS = this.c.config().agents.get(agentId)?.wrapUpS ?? queue?.wrapUpS ?? 0;
      const next = agent.d.status === 'on-call' && agent.d.callId === callId ? applyAgentEvent(agent.d, { type: 'callEnded', callId, wrapUpS, at }) : agent.d;
      return { apply: () => this.c.store.removeEntry(e, { cur: agent, next }), result: { entry: e.d, agentId, before: agent.d, after: next, wrapUpS } };
    });
    if (!res) return;
    const { entry, agentId } = res;
    if (entry.legId) this.doneLegs.add(entry.legId);
    if (entry.consult) await this.c.parts.attended.callGone(entry);
    // Bookkeeping first: a failing hang-up (Asterisk going away) must not leave the agent in wrap-up for ever.
    if (res.after.status === 'wrap-up') await this.c.deps.timers.set(`wrap:${agentId}`, at + res.wrapUpS * 1000, { kind: 'wrap-up-end', agentId, callId });
    const connectedAt = entry.connectedAt ?? at;
    const holdS = seconds(connectedAt - entry.queuedAt);
    const talkS = seconds(at - connectedAt);
    const onHoldS = seconds(heldMsAt(entry, at));
    await this.c.deps.events.publish({ type: 'queue.completed', callId, queue: entry.queue, agentId, by, holdS, talkS, ...(onHoldS > 0 ? { onHoldS } : {}), origPosition: entry.joinPosition, at });
    const log = this.c.deps.logger.child({ callId, agentId });
    log.info({ by, talkS, wrapUpS: res.wrapUpS }, 'call completed');
    // A callback's customer has no flow to go on to.
    // A caller in an assist flow is hung up with the agent (their flow goes no further).
    const survey = by === 'agent' && !entry.callback && !entry.assist ? this.c.config().queues.get(entry.queue)?.survey : undefined;
    const tel = this.c.telephony;
    if (survey && this.c.deps.afterCall) {
      // The caller stays: out of the bridge (and off hold) and on to the survey.
      if (entry.heldAt !== undefined) await tel.stopMoh(entry.channelId).catch(() => undefined);
      await tel.destroyBridge(callBridgeId(callId)).catch(() => undefined);
      await this.c.deps.events.publish({ type: 'survey.started', callId, queue: entry.queue, flow: survey, at });
      await this.c.deps.afterCall({ callId, channelId: entry.channelId, flow: survey }).catch((err: unknown) => log.error({ err }, 'could not start the survey'));
    } else {
      if (by === 'agent' && !entry.callback) this.c.deps.agentEnded?.(callId);
      await tel.hangup(by === 'caller' ? entry.legId! : entry.channelId).catch((err: unknown) => log.warn({ err }, 'could not hang up the other side'));
      await tel.destroyBridge(callBridgeId(callId)).catch(() => undefined);
    }
    await this.c.parts.agents.changed(agentId, res.before, res.after, at);
  }

  /** The agent's wrap-up time is over (or its timer was lost and the sweep found it). */
  /** Ends the agent's wrap-up for `callId` if its time is over (it was held for a disposition). */
  async wrapUpOverdue(agentId: string, callId: string): Promise<void> {
    const a = (await this.c.loadAgent(agentId)).d;
    if (a.status === 'wrap-up' && a.callId === callId && (a.wrapUpUntil ?? 0) <= this.c.now()) await this.wrapUpDue(agentId, callId);
  }

  async wrapUpDue(agentId: string, callId: string): Promise<void> {
    // The queue wants the call's outcome first: the wrap-up lasts until it is recorded (dispositionRecorded()).
    if (await this.c.deps.dispositionPending?.(callId)) return;
    const at = this.c.now();
    const res = await this.c.retry('wrap-up end', async () => {
      const cur = await this.c.loadAgent(agentId);
      const next = applyAgentEvent(cur.d, { type: 'wrapUpEnded', callId, at });
      return next === cur.d ? { result: undefined } : { apply: () => this.c.store.saveAgent({ cur, next }), result: { before: cur.d, after: next } };
    });
    if (res) await this.c.parts.agents.changed(agentId, res.before, res.after, at);
  }
}

/**
 * The call waits again at its place (its enqueue time); not offered to `agentId` again for a ring
 * timeout. An agent it was kept for (preferred, named in a transfer) had their chance: anyone now.
 */
function backToWaiting(e: AcdEntry, agentId: string, at: number): AcdEntry {
  const { keptFor, ...rest } = e;
  const back: AcdEntry = { ...rest, state: 'waiting', missedBy: { ...e.missedBy, [agentId]: at }, ...(keptFor && keptFor.agentId !== agentId ? { keptFor } : {}) };
  delete back.agentId;
  delete back.legId;
  delete back.connectedAt;
  return back;
}
