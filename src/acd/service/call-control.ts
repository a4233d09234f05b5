// Hold and resume of a connected call, asked through the API by its agent or a supervisor. On
// hold the caller leaves the call's bridge and hears the queue's music; the agent stays in it
// (hears nothing). The entry records when the hold began and how long earlier holds lasted: hold
// time is handle time (AHT), not talk time. The decision is stored first, then Asterisk is told;
// if Asterisk cannot do it, the decision is taken back and the caller asking hears why.
import { refuseCallAction, heldMsAt, type Actor, type CallAction, type CallRefusal } from '../domain/control';
import { seconds } from '../domain/model';
import { callBridgeId } from '../../kernel/ids';
import type { AcdEntry, Versioned } from '../ports';
import type { AcdCore } from './core';

/** An action on a call refused (status as in domain/control.ts; 422: it names something not configured), or Asterisk could not carry it out (503: try again). */
export class CallActionRefused extends Error {
  constructor(
    readonly status: CallRefusal['status'] | 422 | 503,
    message: string,
    /** The request's field at fault (422). */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The connected call as the decisions see it. */
export const controlView = (e: AcdEntry) => ({ state: e.state, agentId: e.agentId, heldAt: e.heldAt, callbackPending: e.callback !== undefined && !e.callback.customerUp, consulting: e.consult !== undefined, assisting: e.assist !== undefined });

export class CallControl {
  constructor(private readonly c: AcdCore) {}

  /** The entry as it stands, if `actor` may do `action` on it now (else CallActionRefused). */
  async checked(callId: string, action: CallAction, actor: Actor): Promise<Versioned<AcdEntry>> {
    const e = await this.c.store.getEntry(callId);
    const refusal = refuseCallAction(callId, action, e && controlView(e.d), actor);
    if (refusal) throw new CallActionRefused(refusal.status, refusal.why);
    return e!;
  }

  async hold(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    const first = await this.checked(callId, 'hold', actor);
    // Answered but not bridged yet (connecting.ts bridges right after storing the connection).
    const members = await this.c.telephony.bridgeMembers(callBridgeId(callId));
    if (!members?.includes(first.d.channelId)) throw new CallActionRefused(409, `call "${callId}" is not connected to its agent yet`);
    const at = this.c.now();
    const { before, after } = await this.c.retry('hold', async () => {
      const cur = await this.checked(callId, 'hold', actor);
      const next: AcdEntry = { ...cur.d, heldAt: at };
      return { apply: () => this.c.store.updateEntry(cur, next), result: { before: cur.d, after: next } };
    });
    const tel = this.c.telephony;
    try {
      await tel.removeFromBridge(callBridgeId(callId), [after.channelId]);
    } catch (err) {
      await this.takeBack(callId, after, before);
      this.c.callLogs.of(callId).warn({ err }, 'could not put the call on hold');
      throw new CallActionRefused(503, `Asterisk could not put call "${callId}" on hold`);
    }
    const musicClass = this.c.config().queues.get(after.queue)?.musicClass ?? 'default';
    await tel.startMoh(after.channelId, musicClass).catch((err: unknown) => this.c.callLogs.of(callId).warn({ err }, 'no hold music'));
    await this.c.deps.events.publish({ type: 'queue.held', callId, queue: after.queue, agentId: after.agentId!, by, at });
    this.c.callLogs.of(callId).info({ by }, 'on hold');
    return after;
  }

  async resume(callId: string, actor: Actor, by: string): Promise<AcdEntry> {
    const at = this.c.now();
    const { before, after } = await this.c.retry('resume', async () => {
      const cur = await this.checked(callId, 'resume', actor);
      const next: AcdEntry = { ...cur.d, heldMs: heldMsAt(cur.d, at) };
      delete next.heldAt;
      return { apply: () => this.c.store.updateEntry(cur, next), result: { before: cur.d, after: next } };
    });
    const tel = this.c.telephony;
    await tel.stopMoh(after.channelId).catch(() => undefined);
    try {
      await tel.bridge(callBridgeId(callId), [after.channelId]);
    } catch (err) {
      // Still out of the bridge: on hold as before (the music back on).
      await this.takeBack(callId, after, before);
      await tel.startMoh(after.channelId, this.c.config().queues.get(after.queue)?.musicClass ?? 'default').catch(() => undefined);
      this.c.callLogs.of(callId).warn({ err }, 'could not take the call off hold');
      throw new CallActionRefused(503, `Asterisk could not take call "${callId}" off hold`);
    }
    const heldS = seconds(at - (before.heldAt ?? at));
    await this.c.deps.events.publish({ type: 'queue.resumed', callId, queue: after.queue, agentId: after.agentId!, by, heldS, at });
    this.c.callLogs.of(callId).info({ by, heldS }, 'resumed');
    return after;
  }

  /** Asterisk did not do what was stored: the entry goes back to `before` (unless the call moved on meanwhile). */
  private async takeBack(callId: string, stored: AcdEntry, before: AcdEntry): Promise<void> {
    const cur = await this.c.store.getEntry(callId);
    if (cur && cur.d.heldAt === stored.heldAt && cur.d.heldMs === stored.heldMs) await this.c.store.updateEntry(cur, before);
  }
}
