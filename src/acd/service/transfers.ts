// Blind transfers of a connected call, asked through the API by its agent or a supervisor: to a
// queue (the caller waits there with their priority, and their original place if asked), to an
// agent (offered to that agent first, whatever the queue requires, then to anyone eligible in the
// queue), or to a configured destination (the caller leaves the ACD and a one-step flow dials
// it). The transferring agent's part of the call ends there: wrap-up, counted as handled. The
// decision is stored first (entry and agent in one step), then Asterisk is told.
import { applyAgentEvent, isOfferable } from '../domain/agent';
import { heldMsAt, refuseCallAction, requeuedEntry, type Actor } from '../domain/control';
import { seconds, type AgentState } from '../domain/model';
import { callBridgeId } from '../../kernel/ids';
import type { AcdEntry, Versioned } from '../ports';
import { CallActionRefused, controlView } from './call-control';
import type { AcdCore } from './core';

export type TransferTarget = { kind: 'queue'; queue: string; keepPlace: boolean } | { kind: 'agent'; agentId: string } | { kind: 'destination'; destination: string; flow: string };

/** How long a transfer keeps the call for the agent it names, beyond their ring timeout. */
const AGENT_WINDOW_GRACE_MS = 2000;

interface Transferred {
  from: AcdEntry;
  to?: AcdEntry;
  agent: { id: string; before: AgentState; after: AgentState; wrapUpS: number };
}

export class Transfers {
  constructor(private readonly c: AcdCore) {}

  async blind(callId: string, target: TransferTarget, actor: Actor, by: string): Promise<AcdEntry | undefined> {
    const at = this.c.now();
    if (target.kind === 'agent') await this.checkTargetAgent(callId, target.agentId);
    const done = await this.c.retry<Transferred>('transfer', async () => {
      const cur = await this.c.store.getEntry(callId);
      const refusal = refuseCallAction(callId, 'transfer', cur && controlView(cur.d), actor);
      if (refusal) throw new CallActionRefused(refusal.status, refusal.why);
      const e = cur!;
      const agentId = e.d.agentId!;
      if (target.kind === 'agent' && target.agentId === agentId) throw new CallActionRefused(409, `call "${callId}" is with agent "${agentId}" already`);
      const agent = await this.c.loadAgent(agentId);
      const queue = this.c.config().queues.get(e.d.queue);
      const wrapUpS = this.c.config().agents.get(agentId)?.wrapUpS ?? queue?.wrapUpS ?? 0;
      const after = agent.d.status === 'on-call' && agent.d.callId === callId ? applyAgentEvent(agent.d, { type: 'callEnded', callId, wrapUpS, at }) : agent.d;
      const change = { cur: agent, next: after };
      const result = { from: e.d, agent: { id: agentId, before: agent.d, after, wrapUpS } };
      if (target.kind === 'destination') return { apply: () => this.c.store.removeEntry(e, change), result };
      const to = await this.requeued(e, target, at);
      return { apply: () => this.c.store.requeue(e, to, change), result: { ...result, to } };
    });
    await this.afterStored(done, target, by, at);
    return done.to;
  }

  /** The agent a transfer names: configured, and free to take it now (else the caller asking is told). */
  private async checkTargetAgent(callId: string, agentId: string): Promise<void> {
    if (!this.c.config().agents.has(agentId)) throw new CallActionRefused(404, `no agent "${agentId}"`);
    const state = await this.c.store.getAgent(agentId);
    if (!state || !isOfferable(state.d)) throw new CallActionRefused(409, `agent "${agentId}" is not available to take call "${callId}"`);
  }

  private async requeued(e: Versioned<AcdEntry>, target: Exclude<TransferTarget, { kind: 'destination' }>, at: number): Promise<AcdEntry> {
    const queue = target.kind === 'queue' ? target.queue : e.d.queue;
    const there = (await this.c.store.waitingEntries(queue)).map((w) => w.d);
    // To an agent: at the front of its priority (its original place), kept for that agent a ring timeout.
    const next = requeuedEntry(e.d, queue, at, there, target.kind === 'agent' || target.keepPlace);
    if (target.kind !== 'agent') return next;
    const ringS = this.c.config().queues.get(queue)?.ringTimeoutS ?? 15;
    return { ...next, keptFor: { agentId: target.agentId, until: at + ringS * 1000 + AGENT_WINDOW_GRACE_MS, anySkills: true } };
  }

  private async afterStored(t: Transferred, target: TransferTarget, by: string, at: number): Promise<void> {
    const { from, to, agent } = t;
    const callId = from.callId;
    const log = this.c.deps.logger.child({ callId, agentId: agent.id });
    if (agent.after.status === 'wrap-up') await this.c.deps.timers.set(`wrap:${agent.id}`, at + agent.wrapUpS * 1000, { kind: 'wrap-up-end', agentId: agent.id, callId });
    const tel = this.c.telephony;
    // The agent leaves; the caller stays in the application (destroying a bridge hangs nobody up).
    await tel.hangup(from.legId!).catch((err: unknown) => log.warn({ err }, 'could not hang up the transferring agent'));
    await tel.destroyBridge(callBridgeId(callId)).catch(() => undefined);
    const connectedAt = from.connectedAt ?? at;
    const onHoldS = seconds(heldMsAt(from, at));
    const [kind, name] = target.kind === 'queue' ? ['queue', target.queue] : target.kind === 'agent' ? ['agent', target.agentId] : ['destination', target.destination];
    await this.c.deps.events.publish({
      type: 'queue.transferred',
      callId,
      queue: from.queue,
      agentId: agent.id,
      mode: 'blind',
      to: kind as 'queue' | 'agent' | 'destination',
      target: name,
      holdS: seconds(connectedAt - from.queuedAt),
      talkS: seconds(at - connectedAt),
      ...(onHoldS > 0 ? { onHoldS } : {}),
      origPosition: from.joinPosition,
      by,
      at,
    });
    log.info({ to: kind, target: name, by }, 'transferred');
    await this.c.parts.agents.changed(agent.id, agent.before, agent.after, at);
    if (target.kind === 'destination') {
      if (from.heldAt !== undefined) await tel.stopMoh(from.channelId).catch(() => undefined);
      await this.c.deps.afterCall?.({ callId, channelId: from.channelId, flow: target.flow }).catch((err: unknown) => log.error({ err }, 'could not start the transfer to the destination'));
      return;
    }
    const q = this.c.config().queues.get(to!.queue);
    await this.c.deps.events.publish({ type: 'queue.entered', callId, queue: to!.queue, callerId: to!.callerId, position: to!.joinPosition, priority: to!.priority, from: from.queue, at });
    if (q) {
      await tel.startMoh(from.channelId, q.musicClass).catch(() => undefined);
      await this.c.parts.waiting.armTimers(to!, q);
    }
    await this.c.parts.matching.matchCall(callId);
  }
}
