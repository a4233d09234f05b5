// The HTTP face's composition: API keys and rate limits, Prometheus metrics, the event stream,
// and every feature's routes with the ports they read (main.ts hands in the running parts).
// Composition only: what each route does is in its feature's http.ts.
import type { Express } from 'express';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { agentScope, inScope, type AcdService, type AcdStore } from './acd';
import { queuesServed } from './acd/domain';
import { apiRoutes, API_VERSION } from './api';
import { transferFlowId, type CallStore } from './calls';
import { CallbackRefused, type CallbackService } from './callbacks';
import type { DispositionStore } from './dispositions';
import type { ContactHistory } from './contacts';
import type { MonitorService } from './monitor';
import type { OutboundService } from './outbound';
import type { RecordingService } from './recordings';
import { configVersion } from './config/http';
import { ConfigError, formatProblem, loadRoutingDir, type RoutingConfig } from './config/routing';
import type { EventBus, SwitchboardEvent } from './events';
import { forgetVoicemail, getVoicemail, type VoicemailStore } from './ivr';
import { Metrics, summariseQueues } from './metrics';
import type { AriLink } from './platform/ari/link';
import type { AriRest } from './platform/ari/rest';
import type { Clock } from './platform/clock';
import type { Env } from './platform/config/env';
import type { ConfigHolder } from './platform/config/holder';
import { createHttpApp, type Readiness } from './platform/http/app';
import { ApiKeys, keysFromEnv, type Principal } from './platform/http/auth';
import { RateLimits } from './platform/http/rate-limit';
import { isRedisUnavailable } from './platform/redis/connection';
import type { Keys } from './platform/redis/keys';
import { settingsFromQueues, type Stats, type StatsScope } from './stats';
import { createEventStream, type EventStream } from './stream';

export interface HttpComposition {
  env: Env;
  config: ConfigHolder<RoutingConfig>;
  /** The running configuration's version and when it was applied. */
  applied: () => { version: string; loadedAt: number };
  redis: Redis;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  acd: AcdService;
  acdStore: AcdStore;
  calls: CallStore;
  callbacks: CallbackService;
  voicemails: VoicemailStore;
  rest: AriRest;
  stats: Stats;
  dispositions: DispositionStore;
  monitor: MonitorService;
  recordings: { service: RecordingService; file(id: string): Promise<Buffer | undefined> };
  contacts: ContactHistory;
  outbound: OutboundService;
  link: AriLink;
  readiness: () => Readiness;
  reloadConfig: () => Promise<{ ok: boolean; detail: string }>;
  checkResponses?: boolean;
}

export function composeHttp(d: HttpComposition): { app: Express; eventStream: EventStream } {
  const { env, config, redis, keys, clock, logger, events, acd, acdStore, calls, callbacks, voicemails, rest, stats, link, readiness, reloadConfig, applied, dispositions, monitor, recordings, contacts, outbound } = d;
  /** What a key may see: all, or some agents and the queues they serve (an agent key: itself and no queue). */
  const keyScope = (p: Principal): StatsScope => {
    const cfg = config.current;
    const agents = agentScope(p, cfg.teams);
    if (agents === 'all') return { agents, queues: 'all' };
    if (p.role === 'agent') return { agents, queues: new Set() };
    return { agents, queues: new Set([...agents].flatMap((id) => { const a = cfg.agents.get(id); return a ? queuesServed(a, cfg.queues.values()) : []; })) };
  };
  /** Which calls a key may see: its agents', and a supervisor's also those of the queues their teams serve. */
  const visibility = (p: Principal, scope = keyScope(p)): ((call: { queue?: string; agentId?: string }) => boolean) => {
    if (scope.agents === 'all') return () => true;
    const { agents, queues } = scope;
    return (c) => inScope(agents, c.agentId) || (c.queue !== undefined && queues !== 'all' && queues.has(c.queue));
  };
  /** A key as the call actions' decisions see it: its role, its agent, the agents it may act on. */
  const actorOf = (p: Principal) => {
    const scope = agentScope(p, config.current.teams);
    return { role: p.role, agentId: p.agentId, seesAgent: (id: string) => inScope(scope, id) };
  };
  // ---- Prometheus metrics: counters from events, gauges read at scrape ----
  const metrics = new Metrics({
    logger: logger.child({ component: 'metrics' }),
    sources: {
      queues: async () => {
        const cfg = config.current;
        const [states, waiting] = await Promise.all([acdStore.allAgents(), acdStore.waitingEntries()]);
        const offered = await acdStore.getEntries(states.flatMap((a) => (a.d.status === 'reserved' && a.d.callId !== undefined ? [a.d.callId] : [])));
        const serves = new Map([...cfg.agents.values()].map((a) => [a.id, new Set(queuesServed(a, cfg.queues.values()))]));
        const entries = [...waiting, ...offered].flatMap((e) => (e ? [e.d] : []));
        return summariseQueues({ queues: cfg.queues.values(), entries, agents: states.map((a) => a.d), serves: (agentId, queue) => serves.get(agentId)?.has(queue) ?? false, now: clock.now() });
      },
      serviceLevel: async (queue) => (await stats.queries.current(queue, clock.now())).interval,
      ariConnected: () => link.check().ok,
      redisPing: () => redis.ping(),
    },
    // The statistics' own rule (waitS < the queue's shortAbandon), so both count the same short abandons.
    shortAbandonS: (queue) => settingsFromQueues(env.SWITCHBOARD_STATS_TIMEZONE, () => config.current.queues).queue(queue).shortAbandonS,
  });
  events.subscribe('metrics', metrics.subscriber);
  // ---- the event stream: one journal reader per process, fanned out to SSE clients ----
  const eventStream = createEventStream({ redis, keys, logger: logger.child({ component: 'event-stream' }) });
  /** Events a key may see: a supervisor's teams' agents and queues (and configuration), an agent its own. */
  const eventsVisibleTo = (p: Principal) => {
    const scope = keyScope(p);
    if (scope.agents === 'all') return () => true;
    const calls = visibility(p, scope);
    return (e: SwitchboardEvent): boolean => {
      const agentId = 'agentId' in e ? e.agentId : undefined;
      const queue = 'queue' in e ? e.queue : undefined;
      if (agentId === undefined && queue === undefined) return p.role === 'supervisor' && (e.type.startsWith('config.') || e.type === 'service.started');
      return calls({ agentId, queue });
    };
  };
  const apiKeys = new ApiKeys(keysFromEnv(env.SWITCHBOARD_API_TOKENS), () => config.current.apiKeys);
  const limits = new RateLimits(redis, { perKeyPerMinute: env.SWITCHBOARD_API_RATE_PER_MINUTE, authFailuresPerMinute: env.SWITCHBOARD_API_AUTH_FAILURES_PER_MINUTE, prefix: env.SWITCHBOARD_KEY_PREFIX });
  const http = createHttpApp({
    readiness,
    logger,
    // Redis away: the API answers 503 with Retry-After (the reason names no URL: clients read it).
    unavailable: (err) => (isRedisUnavailable(err) || redis.status !== 'ready' ? 'the state store is unreachable; retry shortly' : undefined),
    keys: apiKeys,
    limits,
    metrics,
    checkResponses: d.checkResponses,
    version: API_VERSION,
    routes: apiRoutes({
      clock,
      agents: {
        command: (id, command, reason, by, remote) => acd.agentCommand(id, command, reason, by, remote),
        exists: (id) => config.current.agents.has(id),
        snapshot: async () => {
          const cfg = config.current;
          const [states, waiting] = await Promise.all([acdStore.allAgents(), acdStore.waitingEntries()]);
          return { agents: [...cfg.agents.values()], states: new Map(states.map((a) => [a.d.id, a.d])), queues: [...cfg.queues.values()], waiting: waiting.map((e) => e.d) };
        },
        scope: (p) => agentScope(p, config.current.teams),
        serviceLevel: async (queue) => {
          const sl = await stats.queries.current(queue, clock.now());
          return { today: sl.today, interval: sl.interval };
        },
        now: () => clock.now(),
      },
      calls: {
        active: () => calls.active(),
        queued: async () => {
          const active = await calls.activeIds();
          const agents = await acdStore.allAgents();
          const ids = [...new Set([...active, ...agents.flatMap((a) => (a.d.callId !== undefined ? [a.d.callId] : []))])];
          const [entries, waiting] = await Promise.all([acdStore.getEntries(ids), acdStore.waitingEntries()]);
          const all = new Map([...entries, ...waiting].flatMap((e) => (e ? [[e.d.callId, e.d] as const] : [])));
          return [...all.values()];
        },
        visibility: async (p) => visibility(p),
        ownCalls: async () => {
          // The ACD's copy of the agents (refreshed from the change feed), not a second full read per request.
          const ids = [...(await acdStore.currentAgents()).docs.values()].flatMap((a) => (a.d.callId?.startsWith('out-') ? [a.d.callId] : []));
          return (await outbound.calls(ids)).map((c) => ({ ...c, callerId: config.current.agents.get(c.agentId)?.outbound?.callerId ?? '' }));
        },
        one: async (callId) => {
          const [call, entry] = await Promise.all([calls.get(callId), acdStore.getEntry(callId)]);
          if (!call && !entry) return undefined;
          return { ...(call && call.phase !== 'ended' ? { call } : {}), ...(entry ? { queued: entry.d } : {}) };
        },
        screenPop: async (callId, callerId) => {
          const [record, recent, call] = await Promise.all([contacts.get(callId), contacts.recent(callerId, callId), calls.get(callId)]);
          return { path: record?.path ?? [], inputs: record?.inputs ?? {}, variables: { ...(call?.ivr?.vars ?? {}) }, recent };
        },
        queueOf: async (callId) => (await acdStore.getEntry(callId))?.d.queue,
        setPriority: async (callId, priority, by) => {
          const e = await acd.setPriority(callId, priority, by);
          return { queue: e.queue, priority: e.priority };
        },
        moveWaiting: async (callId, queue, keepPlace, by) => {
          const e = await acd.moveWaiting(callId, queue, keepPlace, by);
          return { queue: e.queue, priority: e.priority };
        },
        queueExists: (queue) => config.current.queues.has(queue),
        withdraw: async (callId, destination, by) => ({ queue: (await acd.withdrawWaiting(callId, destination, transferFlowId(destination), by)).queue }),
        destinationExists: (destination) => config.current.destinations.has(destination),
        now: () => clock.now(),
      },
      monitor: { service: monitor, actor: actorOf },
      outbound: { service: outbound, mayActFor: (p, agentId) => (p.role === 'agent' ? p.agentId === agentId : actorOf(p).seesAgent(agentId)) },
      recordings: { service: recordings.service, file: recordings.file, viewer: actorOf },
      control: {
        hold: (callId, actor, by) => acd.hold(callId, actor, by),
        resume: (callId, actor, by) => acd.resume(callId, actor, by),
        transfer: (callId, target, actor, by) => acd.transfer(callId, target, actor, by),
        consult: (callId, agentId, actor, by) => acd.consult(callId, agentId, actor, by),
        consultQueue: (callId, queue, actor, by) => acd.consultQueue(callId, queue, actor, by),
        consultDestination: (callId, destination, actor, by) => acd.consultDestination(callId, destination, actor, by),
        completeTransfer: (callId, actor, by) => acd.completeTransfer(callId, actor, by),
        cancelTransfer: (callId, actor, by) => acd.cancelTransfer(callId, actor, by),
        assist: (callId, flow, actor, by) => acd.startAssist(callId, flow, actor, by),
        targets: () => {
          const cfg = config.current;
          return { queues: new Set(cfg.queues.keys()), agents: new Set(cfg.agents.keys()), destinations: new Set(cfg.destinations.keys()) };
        },
        destinationFlow: transferFlowId,
        actor: actorOf,
      },
      callbacks,
      events: { stream: eventStream, visibleTo: eventsVisibleTo },
      dispositions: {
        store: dispositions,
        agentState: async (id) => (await acdStore.getAgent(id))?.d,
        seesAgent: (p) => actorOf(p).seesAgent,
        codes: () => config.current.dispositions,
        callerNumber: async (callId) => (await calls.get(callId))?.callerId,
        followUp: async (o) => {
          try {
            const { callback } = await callbacks.request({ queue: o.queue, number: o.number, at: o.at, agent: o.agent, note: o.note, origin: 'scheduled', createdBy: o.createdBy });
            return { ok: true, id: callback.id };
          } catch (err) {
            if (err instanceof CallbackRefused) return { ok: false, field: err.field ?? 'at', why: err.message };
            throw err;
          }
        },
        cancelFollowUp: async (id, by) => void (await callbacks.cancel(id, by).catch(() => undefined)),
        publish: (e) => events.publish(e),
        recorded: (agentId, callId) => acd.dispositionRecorded(agentId, callId),
        now: () => clock.now(),
      },
      stats: {
        queries: stats.queries,
        scopeOf: keyScope,
      },
      voicemails: {
        list: (limit, offset) => voicemails.list(limit, offset),
        get: (id) => getVoicemail(redis, keys, id),
        audio: async (id) => {
          const res = await fetch(`${env.SWITCHBOARD_ARI_URL}/ari/recordings/stored/${encodeURIComponent(id)}/file`, {
            headers: { Authorization: `Basic ${Buffer.from(`${env.SWITCHBOARD_ARI_USER}:${env.SWITCHBOARD_ARI_PASSWORD}`).toString('base64')}` },
          });
          if (res.status === 404) return undefined;
          if (!res.ok || !res.body) throw new Error(`Asterisk answered ${res.status} for the recording`);
          const length = Number(res.headers.get('content-length'));
          return { body: res.body, ...(Number.isFinite(length) && length > 0 ? { length } : {}) };
        },
        remove: async (id) => {
          if (!(await getVoicemail(redis, keys, id))) return false;
          await rest.deleteStoredRecordingQuietly(id);
          return forgetVoicemail(redis, keys, id);
        },
      },
      config: {
        status: () => {
          const st = config.status();
          return { ...applied(), files: config.current.files, ...(st.lastReloadAt !== undefined ? { lastReloadAt: st.lastReloadAt } : {}), ...(st.lastError !== undefined ? { lastError: st.lastError } : {}) };
        },
        validate: async () => {
          try {
            const cfg = await loadRoutingDir(env.SWITCHBOARD_CONFIG_DIR, { soundsDir: env.SWITCHBOARD_SOUNDS_DIR });
            return { ok: true, version: await configVersion(cfg.files), files: cfg.files };
          } catch (err) {
            if (err instanceof ConfigError) return { ok: false, problems: err.problems.map(formatProblem) };
            throw err;
          }
        },
        reload: async () => {
          const r = await reloadConfig();
          return r.ok ? { ok: true } : { ok: false, problems: r.detail.split('\n') };
        },
      },
    }),
  });
  if (apiKeys.size === 0) logger.warn('no API keys (SWITCHBOARD_API_TOKENS, apiKeys in the routing files): every /api route answers 401');
  return { app: http, eventStream };
}
