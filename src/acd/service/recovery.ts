// After a restart, a reconnect, or Redis coming back: settle what the ACD holds against what
// Asterisk still has. And reservations whose instance died mid-offer (their lease ran out).
import { applyAgentEvent } from '../domain/agent';
import { ringingLegs } from '../domain/offer';
import type { AcdEntry } from '../ports';
import type { AcdCore } from './core';

export class Recovery {
  constructor(private readonly c: AcdCore) {}

  /**
   * Waiting callers keep their place (their hold music is restarted, their deadlines re-armed on
   * their schedule); offers whose agent leg is gone are missed, offers answered while we could
   * not hear of it are connected; a connected call missing either side is ended.
   */
  async reconcile(): Promise<{ waiting: number; offered: number; connected: number; ended: number }> {
    const report = { waiting: 0, offered: 0, connected: 0, ended: 0 };
    const { store, telephony: tel, parts } = this.c;
    const callIds = new Set<string>();
    for (const e of await store.waitingEntries()) callIds.add(e.d.callId);
    for (const a of await store.allAgents()) if (a.d.callId && (a.d.status === 'reserved' || a.d.status === 'on-call')) callIds.add(a.d.callId);
    for (const callId of callIds) {
      const entry = await store.getEntry(callId);
      if (!entry) continue;
      const e = entry.d;
      if (e.callback) {
        await this.reconcileCallback(entry.d, report);
        continue;
      }
      if (!(await tel.channelExists(e.channelId))) {
        report.ended++;
        if (e.state === 'connected') await parts.connecting.callEnded(callId, 'caller');
        else await parts.connecting.callerLeft(callId);
        continue;
      }
      if (e.state === 'waiting') {
        report.waiting++;
        const q = this.c.config().queues.get(e.queue);
        await tel.startMoh(e.channelId, q?.musicClass ?? 'default').catch(() => undefined);
        if (q) await parts.waiting.armTimers(e, q, 'reconciled');
      } else if (e.state === 'offered') {
        report.offered++;
        await this.reconcileOffer(e);
      } else {
        report.connected++;
        if (!e.legId || !(await tel.channelExists(e.legId))) await parts.connecting.callEnded(callId, 'agent');
      }
    }
    await this.releaseExpiredLeases();
    this.c.log.info(report, 'ACD reconciled');
    return report;
  }

  /** Each leg of an offer (several for ring-all): one answered while we could not hear of it connects; one gone is missed. */
  private async reconcileOffer(e: AcdEntry): Promise<void> {
    const { telephony: tel, parts } = this.c;
    for (const { legId } of ringingLegs(e)) {
      const state = await tel.channelState(legId);
      if (state === 'Up') return parts.connecting.legAnswered(legId);
      const cur = state ? undefined : await this.c.store.getEntry(e.callId);
      if (cur) await parts.connecting.missed(cur, { kind: 'lost' }, legId);
    }
  }

  /** A callback has no caller channel while it waits: only its agent leg, and its customer leg once dialled, are checked. */
  private async reconcileCallback(e: AcdEntry, report: { waiting: number; offered: number; connected: number; ended: number }): Promise<void> {
    const { telephony: tel, parts } = this.c;
    if (e.state === 'waiting') {
      report.waiting++;
      const q = this.c.config().queues.get(e.queue);
      if (q) await parts.waiting.armTimers(e, q, 'reconciled');
      return;
    }
    if (e.state === 'offered') {
      report.offered++;
      const leg = e.legId ? await tel.channelState(e.legId) : undefined;
      const entry = await this.c.store.getEntry(e.callId);
      if (!leg && entry) await parts.connecting.missed(entry, { kind: 'lost' });
      else if (leg === 'Up') await parts.connecting.legAnswered(e.legId!);
      return;
    }
    report.connected++;
    const [agentThere, customerThere] = await Promise.all([e.legId ? tel.channelExists(e.legId) : false, tel.channelExists(e.channelId)]);
    if (e.callback?.customerUp) {
      if (!agentThere) await parts.connecting.callEnded(e.callId, 'agent');
      else if (!customerThere) await parts.connecting.callEnded(e.callId, 'caller');
    } else if (!agentThere || !customerThere) {
      // Dialled (or about to be) while we could not hear of it: this attempt is over; the callbacks feature retries.
      if (customerThere) await tel.hangup(e.channelId);
      report.ended++;
      if (this.c.deps.callbacks) await this.c.deps.callbacks.agentLeft(e.callId);
      else await parts.callbackCalls.attemptFailed(e.callId);
    }
  }

  /** Reservations whose lease ran out (their instance died mid-offer): give the call back and free the agent. */
  async releaseExpiredLeases(): Promise<number> {
    const { store, telephony: tel } = this.c;
    let released = 0;
    for (const agentId of await store.expiredLeases(this.c.now())) {
      const agent = await store.getAgent(agentId);
      if (agent?.d.status === 'reserved' && agent.d.callId) {
        const entry = await store.getEntry(agent.d.callId);
        const leg = entry?.d.state === 'offered' ? ringingLegs(entry.d).find((l) => l.agentId === agentId) : undefined;
        if (entry && leg) {
          if (await tel.channelExists(leg.legId)) await tel.hangup(leg.legId);
          await this.c.parts.connecting.missed(entry, { kind: 'lease-expired' }, leg.legId);
          released++;
          continue;
        }
        // The entry moved on without the agent: free the agent without a strike.
        const at = this.c.now();
        const callId = agent.d.callId;
        await this.c.retry('lease release', async () => {
          const cur = await this.c.loadAgent(agentId);
          if (cur.d.status !== 'reserved' || cur.d.callId !== callId) return { result: undefined };
          const next = applyAgentEvent(cur.d, { type: 'offerCancelled', callId, at });
          return { apply: () => store.releaseLease(agentId, { cur, next }), result: undefined };
        });
        released++;
      } else {
        await store.releaseLease(agentId);
      }
    }
    return released;
  }
}
