// Attended transfers to an agent, or to a queue (the agent its strategy picks among those free
// and eligible for the call there): the call's agent puts the caller on hold and rings a colleague
// (reserved for it like an offer, under a lease); answered, the two talk in the call's bridge.
// Then the transfer completes (the caller joins the colleague, the first agent goes to wrap-up)
// or is cancelled (the colleague is released, the caller taken off hold). The colleague not
// answering or hanging up cancels it; the first agent hanging up while they talk completes it;
// the caller hanging up ends it all. Decisions are stored first (entry and agent together).
// To a configured destination the same, with no colleague to reserve: completed, the call leaves
// the ACD and the call flow owns the caller and the destination's leg (calls/domain/call.ts).
import { applyAgentEvent, ringEndpoint } from '../domain/agent';
import { heldMsAt, movedEntry, refuseCallAction, type Actor } from '../domain/control';
import { selectAgent } from '../domain/select';
import { seconds, type AgentState } from '../domain/model';
import { callBridgeId, consultLegId } from '../../kernel/ids';
import type { AcdEntry, Versioned } from '../ports';
import { CallActionRefused, controlView } from './call-control';
import type { AcdCore } from './core';

type ConsultOutcome = 'completed' | 'cancelled' | 'not-answered' | 'target-hung-up' | 'call-ended';

/** How long the colleague's phone rings. */
const CONSULT_RING_S = 30;

export class Attended {
  constructor(private readonly c: AcdCore) {}

  /**
   * A consultation with queue `queueId`: the agent its strategy picks among those free and
   * eligible for this call there (not the call's own agent, nor one who passed it on). 409 when
   * nobody is free: a blind transfer waits in the queue instead.
   */
  async startToQueue(callId: string, queueId: string, actor: Actor, by: string): Promise<AcdEntry> {
    const queue = this.c.config().queues.get(queueId);
    if (!queue) throw new CallActionRefused(422, `no queue "${queueId}"`, 'queue');
    for (let tries = 0; ; tries++) {
      const cur = await this.checked(callId, actor);
      const { docs } = await this.c.store.currentAgents();
      const views = [...docs.values()].flatMap((a) => {
        const profile = this.c.config().agents.get(a.d.id);
        return profile ? [{ profile, state: a.d }] : [];
      });
      const now = this.c.now();
      // The call as that queue would see it: its base requirement, nobody it was kept for, no misses from its old queue.
      const { keptFor: _kept, ...call } = movedEntry(cur.d, queueId, now, []);
      const there = { ...call, missedBy: {} };
      const picked = selectAgent(queue, there, views, { now, random: this.c.deps.random, skip: new Set([cur.d.agentId!]) });
      if (!picked) throw new CallActionRefused(409, `no agent of queue "${queueId}" is free to take call "${callId}": transfer it blind to wait there`);
      try {
        return await this.start(callId, picked.profile.id, actor, by, queueId);
      } catch (err) {
        // Taken by another call between the pick and the reservation: pick again.
        if (!(err instanceof CallActionRefused && err.status === 409 && err.message.includes('is not available')) || tries >= 2) throw err;
      }
    }
  }

  /** A consultation with a configured destination (an operator, a partner's line): the caller on hold, the destination rung. */
  async startToDestination(callId: string, destination: string, actor: Actor, by: string): Promise<AcdEntry> {
    const dest = this.c.deps.destination?.(destination);
    if (!dest) throw new CallActionRefused(422, `no destination "${destination}"`, 'destination');
    const first = await this.checked(callId, actor);
    const wasHeld = await this.heldOrBridged(first.d);
    const at = this.c.now();
    const entry = await this.c.retry('consult destination', async () => {
      const cur = await this.checked(callId, actor);
      if (cur.d.consult) throw new CallActionRefused(409, `call "${callId}" has a consultation going on`);
      const offers = cur.d.offers + 1;
      const next: AcdEntry = { ...cur.d, offers, heldAt: cur.d.heldAt ?? at, consult: { destination, legId: consultLegId(callId, offers), state: 'ringing', startedAt: at, by } };
      return { apply: () => this.c.store.updateEntry(cur, next), result: next };
    });
    const legId = entry.consult!.legId;
    await this.holdForConsult(entry, wasHeld, destination, by, at);
    const rung = await this.c.telephony.originate({ endpoint: dest.endpoint, legId, callId, callerId: entry.callerId, timeoutS: dest.timeoutS, variables: { SWITCHBOARD_CALL_ID: callId, SWITCHBOARD_CONSULT_FROM: entry.agentId! }, consult: true });
    if (rung !== 'ok') {
      await this.end(callId, legId, 'not-answered');
      throw new CallActionRefused(503, `could not ring destination "${destination}"`);
    }
    this.c.callLogs.of(callId).info({ destination, by }, 'consulting a destination');
    return entry;
  }

  /** Whether the caller is on hold already; 409 while they are not in the conversation with the agent yet. */
  private async heldOrBridged(e: AcdEntry): Promise<boolean> {
    if (e.heldAt !== undefined) return true;
    if (!(await this.c.telephony.bridgeMembers(callBridgeId(e.callId)))?.includes(e.channelId)) throw new CallActionRefused(409, `call "${e.callId}" is not connected to its agent yet`);
    return false;
  }

  /** The caller leaves the conversation for hold music while the agent consults (unless on hold already). */
  private async holdForConsult(entry: AcdEntry, wasHeld: boolean, target: string, by: string, at: number): Promise<void> {
    const tel = this.c.telephony;
    if (!wasHeld) {
      await tel.removeFromBridge(callBridgeId(entry.callId), [entry.channelId]).catch(() => undefined);
      await tel.startMoh(entry.channelId, this.c.config().queues.get(entry.queue)?.musicClass ?? 'default').catch(() => undefined);
      await this.c.deps.events.publish({ type: 'queue.held', callId: entry.callId, queue: entry.queue, agentId: entry.agentId!, by, at });
    }
    await this.c.deps.events.publish({ type: 'queue.consult-started', callId: entry.callId, queue: entry.queue, agentId: entry.agentId!, target, by, at });
  }

  /** Starts the consultation: the caller on hold, the colleague rung (`queue`: picked from that queue). */
  async start(callId: string, target: string, actor: Actor, by: string, queue?: string): Promise<AcdEntry> {
    const profile = this.c.config().agents.get(target);
    if (!profile) throw new CallActionRefused(404, `no agent "${target}"`);
    const first = await this.checked(callId, actor);
    if (first.d.agentId === target) throw new CallActionRefused(409, `call "${callId}" is with agent "${target}" already`);
    const wasHeld = await this.heldOrBridged(first.d);
    const at = this.c.now();
    const res = await this.c.retry('consult', async () => {
      const cur = await this.checked(callId, actor);
      if (cur.d.consult) throw new CallActionRefused(409, `call "${callId}" has a consultation going on`);
      const colleague = await this.c.loadAgent(target);
      if (colleague.d.status !== 'available' || !colleague.d.reachable) throw new CallActionRefused(409, `agent "${target}" is not available to take call "${callId}"`);
      const nextColleague = applyAgentEvent(colleague.d, { type: 'reserve', callId, at });
      const offers = cur.d.offers + 1;
      const next: AcdEntry = { ...cur.d, offers, heldAt: cur.d.heldAt ?? at, consult: { agentId: target, legId: consultLegId(callId, offers), state: 'ringing', startedAt: at, by, ...(queue ? { queue } : {}) } };
      const leaseUntil = at + (CONSULT_RING_S + 10) * 1000;
      return { apply: () => this.c.store.reserve(cur, next, { cur: colleague, next: nextColleague }, leaseUntil), result: { entry: next, before: colleague.d, after: nextColleague } };
    });
    const { entry } = res;
    const consult = entry.consult!;
    const tel = this.c.telephony;
    await this.holdForConsult(entry, wasHeld, target, by, at);
    await this.c.parts.agents.changed(target, res.before, res.after, at);
    const endpoint = ringEndpoint(profile, (await this.c.store.getAgent(target))?.d);
    const rung = await tel.originate({ endpoint, legId: consult.legId, callId, callerId: `"Transfer ${entry.agentId}" <${entry.callerId}>`, timeoutS: CONSULT_RING_S, variables: { SWITCHBOARD_CALL_ID: callId, SWITCHBOARD_CONSULT_FROM: entry.agentId! }, consult: true });
    if (rung !== 'ok') {
      await this.end(callId, consult.legId, 'not-answered');
      throw new CallActionRefused(503, `could not ring agent "${target}"`);
    }
    this.c.callLogs.of(callId).info({ target, by }, 'consulting a colleague');
    return entry;
  }

  /** The colleague answered: they join the first agent in the call's bridge. */
  async answered(legId: string, callId: string): Promise<void> {
    const at = this.c.now();
    type Change = { id: string; before: AgentState; after: AgentState };
    const res = await this.c.retry<{ colleague?: Change } | undefined>('consult answered', async () => {
      const cur = await this.c.store.getEntry(callId);
      if (!cur || cur.d.consult?.legId !== legId || cur.d.consult.state !== 'ringing') return { result: undefined };
      const next: AcdEntry = { ...cur.d, consult: { ...cur.d.consult, state: 'talking' } };
      const colleagueId = cur.d.consult.agentId;
      if (!colleagueId) return { apply: () => this.c.store.updateEntry(cur, next), result: {} }; // a destination
      const colleague = await this.c.loadAgent(colleagueId);
      if (colleague.d.status !== 'reserved' || colleague.d.callId !== callId) return { result: undefined };
      const nextColleague = applyAgentEvent(colleague.d, { type: 'answered', callId, at });
      return { apply: () => this.c.store.connect(cur, next, { cur: colleague, next: nextColleague }), result: { colleague: { id: colleague.d.id, before: colleague.d, after: nextColleague } } };
    });
    if (!res) {
      await this.c.telephony.hangup(legId);
      return;
    }
    if (res.colleague) await this.c.parts.agents.changed(res.colleague.id, res.colleague.before, res.colleague.after, at);
    await this.c.telephony.bridge(callBridgeId(callId), [legId]).catch((err: unknown) => this.c.callLogs.of(callId).warn({ err }, 'could not bring the colleague in'));
  }

  /** The caller joins the colleague; the first agent goes to wrap-up. */
  async complete(callId: string, actor: Actor | 'first-agent-left', by: string): Promise<AcdEntry> {
    const at = this.c.now();
    type Done = { from: AcdEntry; to?: AcdEntry; first: { id: string; before: AgentState; after: AgentState; wrapUpS: number } };
    const res = await this.c.retry<Done>('transfer complete', async () => {
      const cur = actor === 'first-agent-left' ? await this.c.store.getEntry(callId) : await this.checked(callId, actor);
      const consult = cur?.d.consult;
      if (!cur || consult?.state !== 'talking') throw new CallActionRefused(409, `call "${callId}" has no consultation with a colleague on the line`);
      const firstId = cur.d.agentId!;
      const first = await this.c.loadAgent(firstId);
      const wrapUpS = this.c.config().agents.get(firstId)?.wrapUpS ?? this.c.config().queues.get(cur.d.queue)?.wrapUpS ?? 0;
      const nextFirst = first.d.status === 'on-call' && first.d.callId === callId ? applyAgentEvent(first.d, { type: 'callEnded', callId, wrapUpS, at }) : first.d;
      const firstChange = { id: firstId, before: first.d, after: nextFirst, wrapUpS };
      // To a destination the call leaves the ACD: the call flow owns it from here.
      if (consult.destination) return { apply: () => this.c.store.removeEntry(cur, { cur: first, next: nextFirst }), result: { from: cur.d, first: firstChange } };
      // Consulted through a queue: the call is that queue's from now on.
      const next: AcdEntry = { ...cur.d, queue: consult.queue ?? cur.d.queue, agentId: consult.agentId, legId: consult.legId, connectedAt: at, passedOnBy: [...(cur.d.passedOnBy ?? []), firstId] };
      for (const k of ['consult', 'heldAt', 'heldMs'] as const) delete next[k];
      return { apply: () => this.c.store.connect(cur, next, { cur: first, next: nextFirst }), result: { from: cur.d, to: next, first: firstChange } };
    });
    const { from, first } = res;
    const to = res.to;
    const consult = from.consult!;
    const tel = this.c.telephony;
    if (first.after.status === 'wrap-up') await this.c.deps.timers.set(`wrap:${first.id}`, at + first.wrapUpS * 1000, { kind: 'wrap-up-end', agentId: first.id, callId });
    await tel.hangup(from.legId!).catch(() => undefined);
    await tel.stopMoh(from.channelId).catch(() => undefined);
    await tel.bridge(callBridgeId(callId), [from.channelId]).catch((err: unknown) => this.c.callLogs.of(callId).warn({ err }, 'could not bring the caller to the transfer target'));
    const connectedAt = from.connectedAt ?? at;
    const onHoldS = seconds(heldMsAt(from, at));
    const events = this.c.deps.events;
    const [kind, target] = consult.destination ? (['destination', consult.destination] as const) : consult.queue ? (['queue', consult.queue] as const) : (['agent', consult.agentId!] as const);
    await events.publish({ type: 'queue.transferred', callId, queue: from.queue, agentId: first.id, mode: 'attended', to: kind, target, holdS: seconds(connectedAt - from.queuedAt), talkS: seconds(at - connectedAt), ...(onHoldS > 0 ? { onHoldS } : {}), origPosition: from.joinPosition, by, at });
    await events.publish({ type: 'queue.consult-ended', callId, queue: from.queue, agentId: first.id, target: consult.agentId ?? consult.destination!, outcome: 'completed', at });
    if (!to) {
      // The call flow owns the caller and the destination's leg now.
      this.c.deps.handedOff?.(callId, consult.legId);
      await this.c.parts.agents.changed(first.id, first.before, first.after, at);
      this.c.callLogs.of(callId).info({ from: first.id, to: consult.destination, by }, 'attended transfer to a destination completed');
      const gone: AcdEntry = { ...from };
      for (const k of ['agentId', 'legId', 'consult', 'heldAt', 'heldMs'] as const) delete gone[k];
      return gone;
    }
    // Through a queue, the call enters that queue (it counts it offered and answered there).
    if (consult.queue && consult.queue !== from.queue) await events.publish({ type: 'queue.entered', callId, queue: to.queue, callerId: to.callerId, position: 1, priority: to.priority, from: from.queue, at });
    // The colleague's part begins (their recording, screen pop, disposition follow it).
    await events.publish({ type: 'queue.connected', callId, queue: to.queue, agentId: to.agentId!, legId: to.legId!, holdS: seconds(at - from.queuedAt), ringS: 0, callerId: to.callerId, transferredFrom: first.id, at });
    await this.c.parts.agents.changed(first.id, first.before, first.after, at);
    this.c.callLogs.of(callId).info({ from: first.id, to: to.agentId, by }, 'attended transfer completed');
    return to;
  }

  /** Back to the caller: the colleague released, the caller off hold. */
  async cancel(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    const cur = await this.checked(callId, actor);
    if (!cur.d.consult) throw new CallActionRefused(409, `call "${callId}" has no consultation going on`);
    const after = await this.end(callId, cur.d.consult.legId, 'cancelled', by);
    return after ?? cur.d;
  }

  /** The colleague's leg is gone: not answered, or hung up while consulting. */
  async legEnded(legId: string, callId: string): Promise<void> {
    const cur = await this.c.store.getEntry(callId);
    if (cur?.d.consult?.legId !== legId) return;
    await this.end(callId, legId, cur.d.consult.state === 'ringing' ? 'not-answered' : 'target-hung-up');
  }

  /** The first agent left during a consultation: talking, the transfer completes; ringing, it is called off. True when handled here. */
  async firstAgentLeft(callId: string): Promise<boolean> {
    const cur = await this.c.store.getEntry(callId);
    if (cur?.d.consult?.state === 'talking') {
      await this.complete(callId, 'first-agent-left', 'first-agent-left').catch(() => undefined);
      return true;
    }
    if (cur?.d.consult) await this.end(callId, cur.d.consult.legId, 'call-ended');
    return false;
  }

  /** The call left the ACD with a consultation on (the caller hung up): the colleague is released. */
  async callGone(entry: AcdEntry): Promise<void> {
    const consult = entry.consult;
    if (!consult) return;
    await this.c.telephony.hangup(consult.legId).catch(() => undefined);
    if (consult.agentId) await this.releaseColleague(entry.callId, consult.agentId);
    await this.c.deps.events.publish({ type: 'queue.consult-ended', callId: entry.callId, queue: entry.queue, agentId: entry.agentId!, target: consult.agentId ?? consult.destination!, outcome: 'call-ended', at: this.c.now() });
  }

  private async checked(callId: string, actor: Actor): Promise<Versioned<AcdEntry>> {
    const e = await this.c.store.getEntry(callId);
    const refusal = refuseCallAction(callId, 'transfer', e && controlView(e.d), actor);
    if (refusal) throw new CallActionRefused(refusal.status, refusal.why);
    return e!;
  }

  /** Ends the consultation `legId` without a transfer: entry and colleague together; the caller off hold. */
  private async end(callId: string, legId: string, outcome: ConsultOutcome, by = 'system'): Promise<AcdEntry | undefined> {
    const at = this.c.now();
    type Ended = { from: AcdEntry; to: AcdEntry; target: string; colleague?: { id: string; before: AgentState; after: AgentState } } | undefined;
    const res = await this.c.retry<Ended>('consult end', async () => {
      const cur = await this.c.store.getEntry(callId);
      const consult = cur?.d.consult;
      if (!cur || consult?.legId !== legId) return { result: undefined };
      const next: AcdEntry = { ...cur.d, heldMs: heldMsAt(cur.d, at) };
      for (const k of ['consult', 'heldAt'] as const) delete next[k];
      const target = consult.agentId ?? consult.destination!;
      if (!consult.agentId) return { apply: () => this.c.store.updateEntry(cur, next), result: { from: cur.d, to: next, target } }; // a destination
      const colleague = await this.c.loadAgent(consult.agentId);
      const mine = (colleague.d.status === 'reserved' || colleague.d.status === 'on-call') && colleague.d.callId === callId;
      const nextColleague = mine ? applyAgentEvent(colleague.d, { type: 'consultEnded', callId, at }) : colleague.d;
      return { apply: () => this.c.store.connect(cur, next, { cur: colleague, next: nextColleague }), result: { from: cur.d, to: next, target, colleague: { id: colleague.d.id, before: colleague.d, after: nextColleague } } };
    });
    await this.c.telephony.hangup(legId).catch(() => undefined);
    if (!res) return undefined;
    const { from, to, target } = res;
    const colleague = res.colleague;
    const tel = this.c.telephony;
    await tel.stopMoh(from.channelId).catch(() => undefined);
    await tel.bridge(callBridgeId(callId), [from.channelId]).catch((err: unknown) => this.c.callLogs.of(callId).warn({ err }, 'could not take the caller off hold'));
    const events = this.c.deps.events;
    await events.publish({ type: 'queue.consult-ended', callId, queue: from.queue, agentId: from.agentId!, target, outcome, at });
    await events.publish({ type: 'queue.resumed', callId, queue: from.queue, agentId: from.agentId!, by, heldS: seconds(at - (from.heldAt ?? at)), at });
    if (colleague) await this.c.parts.agents.changed(colleague.id, colleague.before, colleague.after, at);
    this.c.callLogs.of(callId).info({ target, outcome }, 'consultation ended');
    return to;
  }

  private async releaseColleague(callId: string, agentId: string): Promise<void> {
    const at = this.c.now();
    const res = await this.c.retry('consult release', async () => {
      const cur = await this.c.loadAgent(agentId);
      const mine = (cur.d.status === 'reserved' || cur.d.status === 'on-call') && cur.d.callId === callId;
      if (!mine) return { result: undefined };
      const next = applyAgentEvent(cur.d, { type: 'consultEnded', callId, at });
      return { apply: () => this.c.store.releaseLease(agentId, { cur, next }), result: { before: cur.d, after: next } };
    });
    if (res) await this.c.parts.agents.changed(agentId, res.before, res.after, at);
  }
}
