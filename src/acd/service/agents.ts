// Agents' status: login, logout, pause and ready as they or a supervisor ask; whether their phone
// is reachable (registered, not busy outside Switchboard); and the events every change announces.
import { applyAgentEvent, isOfferable, NO_ANSWER_REASON, type AgentEvent } from '../domain/agent';
import { queuesServed } from '../domain/eligibility';
import type { AgentProfile, AgentState } from '../domain/model';
import type { EndpointReach } from '../ports';
import { acceptNumber } from '../../kernel/dialable';
import { DispositionPending, PauseReasonRefused, RemoteLoginRefused, type AcdCore } from './core';

export type AgentCommand = 'login' | 'logout' | 'pause' | 'ready';

/** Agents by their endpoint, built once per configuration (endpoint events come twice a call). */
const byEndpoint = new WeakMap<ReadonlyMap<string, AgentProfile>, Map<string, AgentProfile>>();

function agentAt(agents: ReadonlyMap<string, AgentProfile>, endpoint: string): AgentProfile | undefined {
  let index = byEndpoint.get(agents);
  if (!index) {
    index = new Map();
    for (const p of agents.values()) if (!index.has(p.endpoint)) index.set(p.endpoint, p); // the first, as a search would find
    byEndpoint.set(agents, index);
  }
  return index.get(endpoint);
}

export class Agents {
  /** Endpoints already reported unknown (logged once). */
  readonly unknownEndpoints = new Set<string>();

  constructor(private readonly c: AcdCore) {}

  /** `reason`: the pause reason, or why the agent logs out; `by`: who asked (recorded in the journal); `remote`: a login at this external number. */
  async command(agentId: string, command: AgentCommand, reason?: string, by?: string, remote?: string): Promise<AgentState> {
    const profile = this.c.profile(agentId);
    if (remote !== undefined) {
      if (command !== 'login' || !profile.remote) throw new RemoteLoginRefused(agentId, 'not-allowed');
      if (!acceptNumber(remote, profile.remote.numberPattern)) throw new RemoteLoginRefused(agentId, 'number');
    }
    if (command === 'pause') {
      const r = reason ?? 'break';
      if (r === NO_ANSWER_REASON) throw new PauseReasonRefused(r, 'reserved');
      if (!this.c.config().pauseReasons.has(r)) throw new PauseReasonRefused(r, 'unknown');
    }
    if (command === 'ready' || command === 'pause') {
      // Logging out stays possible (the agent leaves); becoming ready or pausing is leaving wrap-up.
      const now = (await this.c.loadAgent(agentId)).d;
      if (now.status === 'wrap-up' && now.callId && (await this.c.deps.dispositionPending?.(now.callId))) throw new DispositionPending(agentId, now.callId);
    }
    const at = this.c.now();
    const event: AgentEvent = command === 'pause' ? { type: 'pause', reason: reason ?? 'break', at } : command === 'login' && remote !== undefined ? { type: 'login', remote, at } : { type: command, at };
    const { before, after } = await this.c.retry('agent command', async () => {
      const cur = await this.c.loadAgent(agentId);
      const next = applyAgentEvent(cur.d, event);
      return { apply: next === cur.d ? undefined : () => this.c.store.saveAgent({ cur, next }), result: { before: cur.d, after: next } };
    });
    await this.changed(agentId, before, after, at, { by, ...(command === 'logout' && reason !== undefined ? { logoutReason: reason } : {}) });
    if (before.remote !== undefined && after.remote === undefined) await this.endpointChanged(profile.endpoint); // back on the SIP phone: is it there?
    if (after.remote !== undefined && after.remote !== before.remote) this.c.agentLogs.of(agentId).info({ remote: true }, 'logged in at an external number');
    return after;
  }

  /** The agent's own call (src/outbound) begins or ends: busy for the ACD meanwhile. */
  async outbound(agentId: string, callId: string, started: boolean, by?: string): Promise<AgentState> {
    this.c.profile(agentId);
    if (started) {
      const now = (await this.c.loadAgent(agentId)).d;
      if (now.status === 'wrap-up' && now.callId && (await this.c.deps.dispositionPending?.(now.callId))) throw new DispositionPending(agentId, now.callId);
    }
    const at = this.c.now();
    const { before, after } = await this.c.retry('outbound call', async () => {
      const cur = await this.c.loadAgent(agentId);
      const next = applyAgentEvent(cur.d, started ? { type: 'outboundStarted', callId, at } : { type: 'outboundEnded', callId, at });
      return { apply: next === cur.d ? undefined : () => this.c.store.saveAgent({ cur, next }), result: { before: cur.d, after: next } };
    });
    await this.changed(agentId, before, after, at, { by });
    return after;
  }

  /** The phone registered / unregistered / got busy outside Switchboard. */
  async setReachable(agentId: string, reachable: boolean): Promise<void> {
    const profile = this.c.profile(agentId);
    const at = this.c.now();
    const { before, after } = await this.c.retry('reachability', async () => {
      const cur = await this.c.loadAgent(agentId);
      let next = applyAgentEvent(cur.d, { type: 'reachability', reachable, at });
      if (profile.autoLogin && reachable && next.status === 'logged-out') next = applyAgentEvent(next, { type: 'login', at });
      // A remote agent's SIP phone does not log it in or out.
      if (profile.autoLogin && !reachable && cur.d.remote === undefined && (next.status === 'available' || next.status === 'paused' || next.status === 'wrap-up')) next = applyAgentEvent(next, { type: 'logout', at });
      return { apply: next === cur.d ? undefined : () => this.c.store.saveAgent({ cur, next }), result: { before: cur.d, after: next } };
    });
    if (before !== after) this.c.agentLogs.of(agentId).info({ reachable, status: after.status }, reachable ? 'phone reachable' : 'phone unreachable');
    await this.changed(agentId, before, after, at);
  }

  /** Announces what changed for the agent (and who asked, why it logged out), and looks for work when the agent became offerable. */
  async changed(agentId: string, before: AgentState, after: AgentState, at: number, asked: { by?: string; logoutReason?: string } = {}): Promise<void> {
    if (before === after) return;
    const events = this.c.deps.events;
    const profile = this.c.config().agents.get(agentId);
    const queues = profile ? queuesServed(profile, this.c.config().queues.values()) : [];
    if (before.status === 'logged-out' && after.status !== 'logged-out') await events.publish({ type: 'agent.logged-in', agentId, queues, at });
    if (before.status === 'paused' && after.status !== 'paused' && after.status !== 'logged-out')
      await events.publish({ type: 'agent.unpaused', agentId, queues, reason: before.pauseReason ?? '', at });
    if (after.status === 'paused' && (before.status !== 'paused' || before.pauseReason !== after.pauseReason)) await events.publish({ type: 'agent.paused', agentId, queues, reason: after.pauseReason ?? '', at });
    if (after.status === 'wrap-up' && before.status !== 'wrap-up') await events.publish({ type: 'agent.wrap-up-started', agentId, callId: after.callId ?? '', untilAt: after.wrapUpUntil ?? at, at });
    if (before.status === 'wrap-up' && after.status !== 'wrap-up') {
      await events.publish({ type: 'agent.wrap-up-ended', agentId, callId: before.callId ?? '', at });
      // Ended early (ready, pause, logout): its deadline would only fire to find nothing to do.
      await this.c.deps.timers.cancel(`wrap:${agentId}`);
    }
    if (before.reachable !== after.reachable) await events.publish({ type: 'agent.reachability', agentId, reachable: after.reachable, at });
    if (before.status !== after.status || before.pauseReason !== after.pauseReason) {
      await events.publish({ type: 'agent.state-changed', agentId, from: before.status, to: after.status, reason: after.pauseReason ?? asked.logoutReason, callId: after.callId ?? before.callId, ...(asked.by !== undefined ? { by: asked.by } : {}), at });
    }
    if (after.status === 'logged-out' && before.status !== 'logged-out')
      await events.publish({ type: 'agent.logged-out', agentId, queues, ...(asked.logoutReason !== undefined ? { reason: asked.logoutReason } : {}), ...(asked.by !== undefined ? { by: asked.by } : {}), at });
    if (before.status !== after.status) this.c.agentLogs.of(agentId).info({ from: before.status, to: after.status, reason: after.pauseReason }, 'agent state');
    if (isOfferable(after) && !isOfferable(before)) await this.c.parts.matching.matchAgent(agentId);
  }

  /** Checks every configured agent's endpoint with Asterisk (at start, after a reconnect or a reload). */
  async refreshEndpoints(): Promise<void> {
    for (const profile of this.c.config().agents.values()) {
      try {
        await this.c.telephony.watchEndpoint(profile.endpoint);
        const st = await this.c.telephony.endpointState(profile.endpoint);
        if (!st) {
          this.unknownEndpoint(profile.id, profile.endpoint);
          await this.setReachable(profile.id, false);
          continue;
        }
        this.unknownEndpoints.delete(profile.endpoint);
        await this.setReachable(profile.id, st.online && !st.busy);
      } catch (err) {
        this.c.agentLogs.of(profile.id).error({ err }, 'could not refresh endpoint state');
      }
    }
  }

  /** Logged once per endpoint: the agent gets no calls until Asterisk knows it. */
  unknownEndpoint(agentId: string, endpoint: string): void {
    if (this.unknownEndpoints.has(endpoint)) return;
    this.unknownEndpoints.add(endpoint);
    this.c.agentLogs.of(agentId).warn({ endpoint }, 'Asterisk does not know this endpoint: the agent is unreachable and gets no calls');
  }

  /** An EndpointStateChange from ARI, with the state it carried (the event's own snapshot, in order) or without (ask). */
  async endpointChanged(endpoint: string, state?: EndpointReach): Promise<void> {
    const profile = agentAt(this.c.config().agents, endpoint);
    if (!profile) return;
    const st = state ?? (await this.c.telephony.endpointState(endpoint));
    await this.setReachable(profile.id, !!st && st.online && !st.busy);
  }
}
