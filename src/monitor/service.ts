// Listen, whisper and barge: a supervisor's phone is rung, and once answered it joins the agent's
// call: through a snoop on the agent's leg (listen: hears both sides, heard by nobody; whisper:
// heard by the agent only) or in the call's own bridge (barge). The mode changes during the
// session (a new snoop replaces the old one); ending the session, or the supervisor hanging up,
// never touches the call; the call ending ends its sessions. Every session is journaled.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventSink } from '../events';
import { callBridgeId, monitorBridgeId, monitorLegId, snoopId } from '../kernel/ids';
import type { Clock } from '../platform/clock';
import { placementOf, refuseMonitor, type MonitorMode, type Monitorer } from './domain/decide';
import type { SupervisorPhone } from './config';
import type { MonitorSession, MonitorStore } from './store';

/** How long the supervisor's phone rings before the session is given up. */
const RING_S = 30;

export interface MonitorTelephony {
  /** Rings the supervisor's phone as a channel of ours (appArgs "monitor-leg"). */
  ring(o: { endpoint: string; channelId: string; callerId: string; timeoutS: number }): Promise<'ok' | 'unknown-endpoint' | 'failed'>;
  snoop(channelId: string, o: { snoopId: string; spy: 'both'; whisper: 'none' | 'out' }): Promise<void>;
  /** Creates the bridge (once) and puts the channels in it. */
  bridge(bridgeId: string, channelIds: string[]): Promise<void>;
  /** Quiet when the bridge or the channel is gone. */
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  hangup(channelId: string): Promise<void>;
  endpointState(endpoint: string): Promise<{ online: boolean; busy: boolean } | undefined>;
}

/** What monitoring reads of a call (its queue entry). */
export interface MonitoredCall {
  state: 'waiting' | 'offered' | 'connected';
  queue: string;
  agentId?: string;
  legId?: string;
  callbackPending?: boolean;
}

export interface MonitorDeps {
  store: MonitorStore;
  telephony: MonitorTelephony;
  call(callId: string): Promise<MonitoredCall | undefined>;
  phones(): ReadonlyMap<string, SupervisorPhone>;
  events: EventSink;
  clock: Clock;
  logger: Logger;
}

export class MonitorRefused extends Error {
  constructor(
    readonly status: 403 | 404 | 409 | 422 | 503,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type EndReason = 'stopped' | 'supervisor-hung-up' | 'not-answered' | 'call-ended';

export class MonitorService {
  private readonly log: Logger;
  constructor(private readonly d: MonitorDeps) {
    this.log = d.logger.child({ component: 'monitor' });
  }

  /** Rings the supervisor's phone for a session on `callId`; it starts when the phone answers. */
  async start(callId: string, o: { mode: MonitorMode; supervisor: string }, actor: Monitorer, by: string): Promise<MonitorSession> {
    const call = await this.d.call(callId);
    const phone = this.d.phones().get(o.supervisor);
    const reach = phone ? await this.d.telephony.endpointState(phone.endpoint) : undefined;
    const inUse = await this.d.store.phoneInUse(o.supervisor);
    const refusal = refuseMonitor(callId, o.supervisor, { call, phone: phone && { id: phone.id, reach }, phoneInUse: inUse }, actor);
    if (refusal) throw new MonitorRefused(refusal.status, refusal.why, refusal.field);
    const session: MonitorSession = {
      id: monitorLegId(callId, randomBytes(4).toString('hex')),
      callId,
      agentId: call!.agentId!,
      queue: call!.queue,
      agentLeg: call!.legId!,
      supervisor: o.supervisor,
      endpoint: phone!.endpoint,
      mode: o.mode,
      state: 'ringing',
      snoops: 0,
      by,
      createdAt: this.d.clock.now(),
    };
    if (!(await this.d.store.create(session))) throw new MonitorRefused(409, `supervisor phone "${o.supervisor}" is busy`);
    const rung = await this.d.telephony.ring({ endpoint: session.endpoint, channelId: session.id, callerId: `"Monitor ${session.agentId}" <${session.agentId}>`, timeoutS: RING_S });
    if (rung !== 'ok') {
      await this.d.store.end(session);
      throw new MonitorRefused(rung === 'unknown-endpoint' ? 409 : 503, `could not ring supervisor phone "${o.supervisor}"`);
    }
    this.logOf(session).info({ mode: o.mode, by }, 'ringing the supervisor for a monitoring session');
    return session;
  }

  /** The supervisor answered: the session starts in its mode, if the call is still connected to the same agent leg. */
  async legAnswered(sessionId: string): Promise<void> {
    const s = await this.d.store.get(sessionId);
    if (!s) {
      await this.d.telephony.hangup(sessionId);
      return;
    }
    const call = await this.d.call(s.callId);
    if (call?.state !== 'connected' || call.legId !== s.agentLeg) {
      await this.end(s, 'call-ended');
      return;
    }
    const active: MonitorSession = { ...s, state: 'active', startedAt: this.d.clock.now() };
    const placed = await this.place(active, undefined);
    if (!placed) return;
    await this.d.store.update(placed);
    await this.publishStarted(placed);
  }

  /** Another mode for a session (applied at the answer if the phone still rings). */
  async changeMode(sessionId: string, mode: MonitorMode, actor: Monitorer, by: string): Promise<MonitorSession> {
    const s = await this.visible(sessionId, actor);
    if (s.mode === mode) return s;
    const next = s.state === 'active' ? await this.place({ ...s, mode }, s) : { ...s, mode };
    if (!next) throw new MonitorRefused(404, `monitoring session "${sessionId}" ended`);
    if (!(await this.d.store.update(next))) throw new MonitorRefused(404, `monitoring session "${sessionId}" ended`);
    if (next.state === 'active') await this.d.events.publish({ type: 'monitor.mode-changed', callId: s.callId, queue: s.queue, agentId: s.agentId, sessionId: s.id, supervisor: s.supervisor, from: s.mode, to: mode, by, at: this.d.clock.now() });
    this.logOf(s).info({ from: s.mode, to: mode, by }, 'monitoring mode changed');
    return next;
  }

  /** Ends a session at a supervisor's request: the call goes on untouched. */
  async stop(sessionId: string, actor: Monitorer): Promise<void> {
    await this.end(await this.visible(sessionId, actor), 'stopped');
  }

  async sessions(actor: Monitorer): Promise<MonitorSession[]> {
    if (actor.role === 'agent') return [];
    return (await this.d.store.all()).filter((s) => actor.seesAgent(s.agentId)).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The supervisor's leg is gone: hung up, or never answered. */
  async legEnded(sessionId: string): Promise<void> {
    const s = await this.d.store.get(sessionId);
    if (s) await this.end(s, s.state === 'ringing' ? 'not-answered' : 'supervisor-hung-up');
  }

  /** The call is over for its agent: its sessions end. */
  async callOver(callId: string): Promise<void> {
    for (const s of await this.d.store.ofCall(callId)) await this.end(s, 'call-ended');
  }

  private async visible(sessionId: string, actor: Monitorer): Promise<MonitorSession> {
    const s = await this.d.store.get(sessionId);
    if (!s || actor.role === 'agent' || !actor.seesAgent(s.agentId)) throw new MonitorRefused(404, `no monitoring session "${sessionId}"`);
    return s;
  }

  /**
   * Puts the supervisor's leg where the mode wants it, leaving where `before` had it. A failure
   * (the agent's leg gone meanwhile) ends the session: undefined.
   */
  private async place(s: MonitorSession, before: MonitorSession | undefined): Promise<MonitorSession | undefined> {
    const tel = this.d.telephony;
    const want = placementOf(s.mode);
    const had = before ? placementOf(before.mode) : undefined;
    try {
      if (want.kind === 'call-bridge') {
        if (had?.kind === 'snoop') {
          await tel.removeFromBridge(monitorBridgeId(s.id), [s.id]);
          await tel.hangup(snoopId(s.id, s.snoops));
          await tel.destroyBridge(monitorBridgeId(s.id));
        }
        await tel.bridge(callBridgeId(s.callId), [s.id]);
        return s;
      }
      if (had?.kind === 'call-bridge') await tel.removeFromBridge(callBridgeId(s.callId), [s.id]);
      const n = s.snoops + 1;
      await tel.snoop(s.agentLeg, { snoopId: snoopId(s.id, n), spy: want.spy, whisper: want.whisper });
      await tel.bridge(monitorBridgeId(s.id), [s.id, snoopId(s.id, n)]);
      if (had?.kind === 'snoop') await tel.hangup(snoopId(s.id, s.snoops)); // the new one is in place first: no gap
      return { ...s, snoops: n };
    } catch (err) {
      this.logOf(s).warn({ err, mode: s.mode }, 'could not place the supervisor in the call; ending the session');
      await this.end(s, 'call-ended');
      return undefined;
    }
  }

  private async end(s: MonitorSession, reason: EndReason): Promise<void> {
    if (!(await this.d.store.end(s))) return; // ended already (by another event, or another instance)
    const tel = this.d.telephony;
    await Promise.all([tel.hangup(s.id), s.snoops > 0 ? tel.hangup(snoopId(s.id, s.snoops)) : undefined].map((p) => p?.catch(() => undefined)));
    await tel.destroyBridge(monitorBridgeId(s.id)).catch(() => undefined);
    const at = this.d.clock.now();
    const durationS = s.startedAt !== undefined ? Math.max(0, Math.round((at - s.startedAt) / 1000)) : 0;
    await this.d.events.publish({ type: 'monitor.ended', callId: s.callId, queue: s.queue, agentId: s.agentId, sessionId: s.id, supervisor: s.supervisor, answered: s.startedAt !== undefined, reason, durationS, at });
    this.logOf(s).info({ reason, durationS }, 'monitoring session ended');
  }

  private async publishStarted(s: MonitorSession): Promise<void> {
    await this.d.events.publish({ type: 'monitor.started', callId: s.callId, queue: s.queue, agentId: s.agentId, sessionId: s.id, supervisor: s.supervisor, mode: s.mode, by: s.by, at: s.startedAt ?? this.d.clock.now() });
    this.logOf(s).info({ mode: s.mode }, 'monitoring session started');
  }

  private logOf(s: MonitorSession): Logger {
    return this.log.child({ callId: s.callId, agentId: s.agentId, sessionId: s.id, supervisor: s.supervisor });
  }
}
