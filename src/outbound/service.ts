// Agents' own calls (blended work): an agent asks to call a number; their phone (or remote
// number) rings first, and once they answer the number is dialled through their trunk and the
// two are bridged. Meanwhile the agent is on a call for the ACD (no offers); when either side hangs
// up the other is hung up and the agent is available again. Only numbers matching the agent's
// configured pattern are dialled. Journaled under the agent's name.
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { ringEndpoint } from '../acd/domain';
import type { AgentProfile, AgentState } from '../acd/domain/model';
import type { EventSink } from '../events';
import { acceptNumber, trunkEndpoint } from '../kernel/dialable';
import { outboundIds } from '../kernel/ids';
import type { Clock } from '../platform/clock';
import type { Keys } from '../platform/redis/keys';
import { jsonDocs } from '../platform/redis/json-docs';

export interface OutboundCall {
  id: string;
  agentId: string;
  number: string;
  state: 'ringing-agent' | 'dialling' | 'talking';
  startedAt: number;
  answeredAt?: number;
  by: string;
}

export interface OutboundTelephony {
  originate(o: { endpoint: string; channelId: string; callerId: string; timeoutS: number }): Promise<'ok' | 'unknown-endpoint' | 'failed'>;
  bridge(bridgeId: string, channelIds: string[]): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  hangup(channelId: string): Promise<void>;
}

export interface OutboundDeps {
  redis: Redis;
  keys: Keys;
  telephony: OutboundTelephony;
  agents(): ReadonlyMap<string, AgentProfile>;
  agentState(agentId: string): Promise<AgentState | undefined>;
  /** The agent busy for the ACD (started) or available again; throws the ACD's refusal. */
  agentBusy(agentId: string, callId: string, started: boolean, by?: string): Promise<unknown>;
  events: EventSink;
  clock: Clock;
  logger: Logger;
}

export class OutboundRefused extends Error {
  constructor(
    readonly status: 404 | 409 | 422 | 503,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const KEEP_S = 86_400;
const AGENT_RING_S = 30;
const FAR_RING_S = 60;
type EndReason = 'agent-hung-up' | 'far-end-hung-up' | 'agent-not-answered' | 'not-answered' | 'failed' | 'stopped';

export class OutboundService {
  private readonly log: Logger;
  constructor(private readonly d: OutboundDeps) {
    this.log = d.logger.child({ component: 'outbound' });
  }

  async start(agentId: string, number: string, by: string): Promise<OutboundCall> {
    const profile = this.d.agents().get(agentId);
    if (!profile) throw new OutboundRefused(404, `no agent "${agentId}"`);
    if (!profile.outbound) throw new OutboundRefused(422, `agent "${agentId}" may not place calls (no outbound in the routing files)`, 'number');
    if (!acceptNumber(number, profile.outbound.numberPattern)) throw new OutboundRefused(422, `agent "${agentId}" may not call that number`, 'number');
    const call: OutboundCall = { id: `out-${randomBytes(6).toString('hex')}`, agentId, number, state: 'ringing-agent', startedAt: this.d.clock.now(), by };
    try {
      await this.d.agentBusy(agentId, call.id, true, by);
    } catch (err) {
      throw new OutboundRefused(409, err instanceof Error ? err.message : `agent "${agentId}" cannot place a call now`);
    }
    await this.save(call);
    await this.d.events.publish({ type: 'outbound.started', callId: call.id, agentId, number, by, at: call.startedAt });
    const endpoint = ringEndpoint(profile, await this.d.agentState(agentId));
    const rung = await this.d.telephony.originate({ endpoint, channelId: outboundIds(call.id).agentLeg, callerId: `"Calling ${number}" <${number}>`, timeoutS: AGENT_RING_S });
    if (rung !== 'ok') {
      await this.end(call.id, 'failed');
      throw new OutboundRefused(503, `could not ring agent "${agentId}"`);
    }
    this.log.info({ callId: call.id, agentId }, "ringing the agent for their own call");
    return call;
  }

  /** One of the call's legs entered the application: answered. */
  async legAnswered(channelId: string): Promise<void> {
    const id = channelId.replace(/-ob-(?:agent|far)$/, '');
    const call = await this.get(id);
    const ids = outboundIds(id);
    if (!call) return void (await this.d.telephony.hangup(channelId));
    if (channelId === ids.agentLeg && call.state === 'ringing-agent') {
      await this.update({ ...call, state: 'dialling' });
      const trunk = this.d.agents().get(call.agentId)?.outbound;
      const rung = trunk ? await this.d.telephony.originate({ endpoint: trunkEndpoint(call.number, trunk.trunk), channelId: ids.farLeg, callerId: trunk.callerId, timeoutS: FAR_RING_S }) : 'failed';
      if (rung !== 'ok') await this.end(id, 'failed');
      return;
    }
    if (channelId === ids.farLeg && call.state === 'dialling') {
      const at = this.d.clock.now();
      await this.update({ ...call, state: 'talking', answeredAt: at });
      try {
        await this.d.telephony.bridge(ids.bridge, [ids.agentLeg, ids.farLeg]);
      } catch (err) {
        this.log.warn({ err, callId: id }, 'could not bridge the agent and the called party');
        await this.end(id, 'failed');
        return;
      }
      await this.d.events.publish({ type: 'outbound.answered', callId: id, agentId: call.agentId, number: call.number, at });
    }
  }

  /** A leg is gone: the call is over. */
  async legEnded(channelId: string): Promise<void> {
    const id = channelId.replace(/-ob-(?:agent|far)$/, '');
    const call = await this.get(id);
    if (!call) return;
    const agentSide = channelId === outboundIds(id).agentLeg;
    const reason: EndReason = call.state === 'ringing-agent' ? 'agent-not-answered' : call.state === 'dialling' ? (agentSide ? 'agent-hung-up' : 'not-answered') : agentSide ? 'agent-hung-up' : 'far-end-hung-up';
    await this.end(id, reason);
  }

  /** Hangs up an agent's own call (the agent or a supervisor asks). */
  async stop(agentId: string, id: string): Promise<void> {
    const call = await this.get(id);
    if (!call || call.agentId !== agentId) throw new OutboundRefused(404, `no call "${id}" of agent "${agentId}"`);
    await this.end(id, 'stopped');
  }

  /** The calls of these ids still in progress (one read). */
  calls(ids: readonly string[]): Promise<OutboundCall[]> {
    return jsonDocs<OutboundCall>(this.d.redis, ids.map((id) => this.d.keys.outboundCall(id)));
  }

  async ofAgent(agentId: string): Promise<OutboundCall | undefined> {
    const state = await this.d.agentState(agentId);
    return state?.callId?.startsWith('out-') ? this.get(state.callId) : undefined;
  }

  private async end(id: string, reason: EndReason): Promise<void> {
    const call = await this.get(id);
    if (!call || (await this.d.redis.del(this.d.keys.outboundCall(id))) !== 1) return; // ended already
    const ids = outboundIds(id);
    const tel = this.d.telephony;
    await Promise.all([tel.hangup(ids.agentLeg), tel.hangup(ids.farLeg)].map((p) => p.catch(() => undefined)));
    await tel.destroyBridge(ids.bridge).catch(() => undefined);
    await this.d.agentBusy(call.agentId, id, false).catch((err: unknown) => this.log.error({ err, callId: id }, 'could not free the agent after their call'));
    const at = this.d.clock.now();
    const talkS = call.answeredAt !== undefined ? Math.max(0, Math.round((at - call.answeredAt) / 1000)) : 0;
    await this.d.events.publish({ type: 'outbound.ended', callId: id, agentId: call.agentId, number: call.number, answered: call.answeredAt !== undefined, talkS, reason, at });
    this.log.info({ callId: id, agentId: call.agentId, reason, talkS }, "agent's own call ended");
  }

  private async get(id: string): Promise<OutboundCall | undefined> {
    const raw = await this.d.redis.get(this.d.keys.outboundCall(id));
    return raw ? (JSON.parse(raw) as OutboundCall) : undefined;
  }

  private async save(c: OutboundCall): Promise<void> {
    await this.d.redis.set(this.d.keys.outboundCall(c.id), JSON.stringify(c), 'EX', KEEP_S);
  }

  /** Only while the call exists (an end in between is not undone). */
  private async update(c: OutboundCall): Promise<void> {
    await this.d.redis.set(this.d.keys.outboundCall(c.id), JSON.stringify(c), 'EX', KEEP_S, 'XX');
  }
}
