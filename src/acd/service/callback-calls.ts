// Callbacks in the ACD. A callback waits in line as an entry without a channel, is ordered and
// matched exactly like a call (priority, then its original place), and rings its agent first.
// When the agent answers, the callbacks feature dials the customer (src/callbacks/service.ts);
// this part bridges agent and customer once the customer answers, or frees the agent (no call
// counted) when the attempt fails.
import type { Logger } from 'pino';
import { applyAgentEvent } from '../domain/agent';
import { seconds, type AgentState } from '../domain/model';
import { announcementId, callBridgeId, customerLegId, whisperId } from '../../kernel/ids';
import { OFFER_CHECK_MS, offerDue, PROMPTS } from '../../callbacks/domain';
import { offerableTo } from '../domain/eligibility';
import type { AcdEntry, Versioned } from '../ports';
import type { AcdCore } from './core';

export interface CallbackJoining {
  callId: string;
  callback: { id: string; number: string; attempt: number };
  queue: string;
  priority: number;
  /** Its place in line (kept across attempts). */
  enqueuedAt: number;
  keptFor?: { agentId: string; until: number };
}

export class CallbackCalls {
  constructor(private readonly c: AcdCore) {}

  /** A callback joins its queue; true when it is in line (also when it was already: a job run again). */
  async join(j: CallbackJoining): Promise<boolean> {
    const queue = this.c.config().queues.get(j.queue);
    if (!queue) return false;
    const at = this.c.now();
    const position = (await this.c.store.waitingCount(j.queue)) + 1;
    const entry: AcdEntry = {
      callId: j.callId,
      channelId: customerLegId(j.callId, j.callback.attempt),
      callerId: j.callback.number,
      queue: j.queue,
      priority: j.priority,
      enqueuedAt: j.enqueuedAt,
      queuedAt: at,
      attributes: {},
      ...(j.keptFor ? { keptFor: j.keptFor } : {}),
      state: 'waiting',
      offers: 0,
      missedBy: {},
      joinPosition: position,
      announceSeq: 0,
      callback: j.callback,
    };
    if (!(await this.c.store.addEntry(entry)).ok) return (await this.c.store.getEntry(j.callId)) !== undefined;
    await this.c.deps.events.publish({ type: 'queue.entered', callId: j.callId, queue: j.queue, callerId: j.callback.number, position, priority: j.priority, at });
    this.c.callLogs.of(j.callId).info({ queue: j.queue, position, attempt: j.callback.attempt }, 'callback entered queue');
    await Promise.all([this.c.parts.matching.matchCall(j.callId, { v: 1, d: entry }), this.c.parts.waiting.armTimers(entry, queue)]);
    return true;
  }

  // ---- the in-queue offer (callbacks/domain/offer.ts decides; the callbacks feature talks) ----

  /** Time to check whether this waiting caller should be offered a callback; checks again later either way. */
  async offerDue(callId: string): Promise<void> {
    const e = await this.c.store.getEntry(callId);
    const queue = e && this.c.config().queues.get(e.d.queue);
    const offer = queue?.callback?.offer;
    if (!e || !queue || !offer || e.d.callback || e.d.state !== 'waiting') return;
    const now = this.c.now();
    await this.c.deps.timers.set(`cb-offer:${callId}`, now + OFFER_CHECK_MS, { kind: 'callback-offer', callId });
    const waiting = this.c.parts.waiting;
    const position = await waiting.positionOf(e.d);
    const ewtS = await waiting.estimateWait(e.d, queue, position - 1);
    const may = offerableTo(e.d, queue, now);
    const { docs } = await this.c.store.currentAgents();
    let anyEligibleFree = false;
    if (may) for (const [id, a] of docs) if (this.c.config().agents.has(id) && may(this.c.config().agents.get(id)!, a.d)) anyEligibleFree = true;
    if (!offerDue({ waitedS: (now - e.d.queuedAt) / 1000, ewtS, anyEligibleFree, lastOfferAt: e.d.callbackOfferedAt, now }, offer)) return;
    // On time, even over an announcement still playing (it comes again): the offer replaces it.
    if (e.d.announceSeq > 0) await this.c.telephony.stopPlayback(announcementId(callId, e.d.announceSeq)).catch(() => undefined);
    await this.playOffer(e);
    this.c.callLogs.of(callId).info({ ewtS, anyEligibleFree }, 'callback offered to the waiting caller');
  }

  /** The offer, played as an announcement: hold music comes back when it ends, and an answering agent stops it. False when the entry moved on. */
  async playOffer(e: Versioned<AcdEntry>): Promise<boolean> {
    const next: AcdEntry = { ...e.d, callbackOfferedAt: this.c.now(), announceSeq: e.d.announceSeq + 1 };
    if (!(await this.c.store.updateEntry(e, next)).ok) return false;
    await this.c.telephony.stopMoh(e.d.channelId).catch(() => undefined);
    await this.c.telephony.play(e.d.channelId, announcementId(e.d.callId, next.announceSeq), [`sound:${PROMPTS.offer}`]);
    return true;
  }

  /** A key from a waiting caller who was offered a callback: the callbacks feature's conversation. */
  async callerDigit(callId: string, digit: string): Promise<void> {
    const e = await this.c.store.getEntry(callId);
    this.c.callLogs.of(callId).debug({ digit, state: e?.d.state, offered: e?.d.callbackOfferedAt !== undefined }, 'key pressed while waiting');
    // The callbacks feature knows whether a conversation is going on (an offer taken, a pending callback mentioned).
    if (!e || e.d.state !== 'waiting' || !this.c.deps.callbacks) return;
    await this.c.deps.callbacks.callerDigit(e.d, digit);
  }

  /** The caller asked to be called back: out of the queue (their callback keeps the place). False when an agent is being rung for them already. */
  async leaveForCallback(callId: string, key: string): Promise<boolean> {
    const e = await this.c.store.getEntry(callId);
    if (!e || e.d.state !== 'waiting') return false;
    const position = await this.c.parts.waiting.positionOf(e.d);
    if (!(await this.c.store.removeEntry(e)).ok) return false;
    await this.c.parts.waiting.cancelTimers(callId);
    const at = this.c.now();
    await this.c.deps.events.publish({ type: 'queue.exited', callId, queue: e.d.queue, reason: 'callback', key, position, origPosition: e.d.joinPosition, waitS: seconds(at - e.d.queuedAt), at });
    this.c.callLogs.of(callId).info({ queue: e.d.queue }, 'caller left the queue for a callback');
    return true;
  }

  /** Takes a waiting callback out of line (cancelled, or moved to a later time); false when an agent has it already. */
  async withdraw(callId: string): Promise<boolean> {
    const e = await this.c.store.getEntry(callId);
    if (!e) return true;
    if (e.d.state !== 'waiting') return false;
    const position = await this.c.parts.waiting.positionOf(e.d);
    if (!(await this.c.store.removeEntry(e)).ok) return false;
    await this.c.parts.waiting.cancelTimers(callId);
    const at = this.c.now();
    await this.c.deps.events.publish({ type: 'queue.exited', callId, queue: e.d.queue, reason: 'withdrawn', position, origPosition: e.d.joinPosition, waitS: seconds(at - e.d.queuedAt), at });
    return true;
  }

  /** The agent answered (entry connected, agent on the call): the callbacks feature dials the customer. */
  async agentAnswered(entry: AcdEntry): Promise<void> {
    const hooks = this.c.deps.callbacks;
    const dialling = hooks ? await hooks.agentAnswered(entry).catch((err: unknown) => this.failedHook(entry.callId, err)) : false;
    if (!dialling) await this.attemptFailed(entry.callId);
  }

  private failedHook(callId: string, err: unknown): false {
    this.c.callLogs.of(callId).error({ err }, 'could not dial the callback; the agent is released');
    return false;
  }

  /** The customer answered: agent and customer go into the call's bridge. False when they could not be connected (the attempt fails). */
  async customerAnswered(callId: string): Promise<boolean> {
    const e = await this.c.store.getEntry(callId);
    if (!e || e.d.state !== 'connected' || !e.d.callback || !e.d.legId || !e.d.agentId) return false;
    if (e.d.callback.customerUp) return true; // a repeated event
    const log = this.c.deps.logger.child({ callId, agentId: e.d.agentId });
    const tel = this.c.telephony;
    // What the agent hears must be stopped first: a playback holds the channel, and the bridge would wait for it.
    await tel.stopPlayback(whisperId(callId, e.d.callback.attempt)).catch(() => undefined);
    try {
      await tel.bridge(callBridgeId(callId), [e.d.legId, e.d.channelId]);
    } catch (err) {
      log.error({ err }, 'could not bridge agent and customer; this attempt fails');
      await tel.destroyBridge(callBridgeId(callId)).catch(() => undefined);
      return false;
    }
    if (!(await this.c.store.updateEntry(e, { ...e.d, callback: { ...e.d.callback, customerUp: true } })).ok) return false; // the agent left meanwhile
    const at = this.c.now();
    await this.c.deps.events.publish({
      type: 'queue.connected',
      callId,
      queue: e.d.queue,
      agentId: e.d.agentId,
      legId: e.d.legId,
      holdS: seconds(at - e.d.queuedAt),
      ringS: seconds((e.d.connectedAt ?? at) - (e.d.offeredAt ?? at)),
      at,
    });
    log.info('callback connected');
    return true;
  }

  /** This attempt is over without the customer: the entry leaves, the agent is free again (no call counted), the agent leg ends. */
  async attemptFailed(callId: string): Promise<void> {
    const at = this.c.now();
    type Failed = { entry: AcdEntry; agent?: { id: string; before: AgentState; after: AgentState } } | undefined;
    const res = await this.c.retry<Failed>('callback attempt failed', async () => {
      const e = await this.c.store.getEntry(callId);
      if (!e || !e.d.callback || e.d.callback.customerUp) return { result: undefined };
      if (!e.d.agentId) return { apply: () => this.c.store.removeEntry(e), result: { entry: e.d } };
      const agentId = e.d.agentId;
      const agent = await this.c.loadAgent(agentId);
      const mine = agent.d.callId === callId && (agent.d.status === 'on-call' || agent.d.status === 'reserved');
      const next = !mine ? agent.d : applyAgentEvent(agent.d, agent.d.status === 'on-call' ? { type: 'connectFailed', callId, at } : { type: 'offerCancelled', callId, at });
      return { apply: () => this.c.store.removeEntry(e, { cur: agent, next }), result: { entry: e.d, agent: { id: agentId, before: agent.d, after: next } } };
    });
    if (!res) return;
    const { entry } = res;
    const log: Logger = this.c.callLogs.of(callId);
    await this.c.parts.waiting.cancelTimers(callId);
    if (entry.legId) await this.c.telephony.hangup(entry.legId).catch((err: unknown) => log.warn({ err }, 'could not hang up the agent leg'));
    await this.c.telephony.destroyBridge(callBridgeId(callId)).catch(() => undefined);
    await this.c.deps.events.publish({ type: 'queue.exited', callId, queue: entry.queue, reason: 'callback-failed', position: 1, origPosition: entry.joinPosition, waitS: seconds(at - entry.queuedAt), at });
    if (res.agent) await this.c.parts.agents.changed(res.agent.id, res.agent.before, res.agent.after, at);
  }
}
