// Composition root: wires adapters to the application layer and runs until stopped.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { agentRoutes, AcdService, AcdStore, AriAcdTelephony, callIdOfLeg, formatQueueLog, LEG_MARK, QueueLogFile, type AcdStorePort, type AcdTimer, type QueueLogLine } from './acd';
import { AppOwnership, PROBE_EVENT } from './platform/ari/app-ownership';
import { AriEventSocket } from './platform/ari/event-socket';
import { AriRest } from './platform/ari/rest';
import { KNOWN_EVENT_TYPES, KnownEventSchema, type AriEvent } from './platform/ari/types';
import { ApiTokens } from './platform/http/auth';
import { createHttpApp, type Readiness } from './platform/http/app';
import { createHttpServer, listen } from './platform/http/server';
import { connectRedis, isRedisUnavailable, storeHealth } from './platform/redis/connection';
import { RedisJournal } from './events/journal';
import { Keys } from './platform/redis/keys';
import { RedisTimers } from './platform/timers/redis-timers';
import { AriTelephony, CallController, CallStore, DIAL_MARK, domainEventFrom, reconcile } from './calls';
import { runLookup, scheduleStateAt, VoicemailStore, type FlowContext } from './ivr';
import { systemClock, type Clock } from './platform/clock';
import type { Env } from './platform/config/env';
import { ConfigHolder } from './platform/config/holder';

export interface ServiceOptions {
  env: Env;
  logger: Logger;
  clock?: Clock;
  /** Overrides for tests (faster reconnects). */
  ari?: { backoffBaseMs?: number; backoffMaxMs?: number; pingIntervalMs?: number; authRetryMs?: number; connectTimeoutMs?: number };
  /** Period of the ACD's safety sweep (ms). */
  sweepEveryMs?: number;
}

export interface RunningService {
  readonly httpPort: number;
  readonly acd: AcdService;
  readiness(): Readiness;
  /** Drops the ARI WebSocket as a network failure would. */
  dropAriConnection(): void;
  /** How many times the ARI WebSocket has opened since start. */
  readonly ariConnections: number;
  /** Validates the routing folder and swaps it in, or keeps the running one and says why. */
  reloadConfig(): Promise<{ ok: boolean; detail: string }>;
  /** Waits until every ARI event received so far has been handled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type Phase = 'starting' | 'reconciling' | 'ready' | 'disconnected';

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { env, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const tokens = ApiTokens.parse(env.SWITCHBOARD_API_TOKENS);

  // Configuration first: a missing or broken file stops the start (ConfigError propagates).
  const config = new ConfigHolder({ dir: env.SWITCHBOARD_CONFIG_DIR, soundsDir: env.SWITCHBOARD_SOUNDS_DIR, logger });
  const routing = await config.load();
  logger.info({ files: routing.files, numbers: [...routing.numbers.keys()], queues: [...routing.queues.keys()], agents: [...routing.agents.keys()] }, 'routing configuration loaded');

  const redis: Redis = connectRedis(env.SWITCHBOARD_REDIS_URL, logger);
  const keys = new Keys(env.SWITCHBOARD_KEY_PREFIX);
  const calls = new CallStore(redis, keys, env.SWITCHBOARD_ARI_APP);
  const journal = new RedisJournal(redis, keys);
  const rest = new AriRest({ url: env.SWITCHBOARD_ARI_URL, user: env.SWITCHBOARD_ARI_USER, password: env.SWITCHBOARD_ARI_PASSWORD });
  const telephony = new AriTelephony(rest, env.SWITCHBOARD_ARI_APP);
  const queueLogFile = env.SWITCHBOARD_QUEUE_LOG ? new QueueLogFile(env.SWITCHBOARD_QUEUE_LOG) : undefined;
  const queueLog = async (line: QueueLogLine): Promise<void> => {
    await Promise.all([redis.xadd(keys.queueLog(), 'MAXLEN', '~', '1000000', '*', 'line', formatQueueLog(line)), queueLogFile?.append(line)]);
  };
  const timers = new RedisTimers<AcdTimer>(redis, keys, clock, logger);
  // The store's documents hold AcdEntry, which extends the QueueEntry it is typed with.
  const acdStore = new AcdStore(redis, keys);
  // After a reconnect Redis may be another server or have lost its last writes (AOF): the ACD's
  // in-memory copies (agents, waiting calls) are read again in full.
  redis.on('ready', () => acdStore.forgetCopies());
  const store = acdStore as unknown as AcdStorePort;
  // `controller` is created below; the ACD only calls afterCall once calls flow.
  let startFlow: (callId: string, flow: string) => Promise<void> = async () => undefined;
  const acd = new AcdService({
    store,
    telephony: new AriAcdTelephony(rest, env.SWITCHBOARD_ARI_APP),
    timers,
    config: () => config.current,
    queueLog,
    clock,
    logger,
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // Not awaited: the ACD runs inside the call's own queue, and the flow start queues behind it.
    afterCall: async ({ callId, flow }) => void startFlow(callId, flow),
  });
  const voicemails = new VoicemailStore(redis, keys);
  const flowContext = (): FlowContext => {
    const cfg = config.current;
    return {
      flows: cfg.flows,
      lookups: cfg.lookups,
      destinations: cfg.destinations,
      callerLists: cfg.callerLists,
      // A schedule the flow names but the configuration lost (a reload) counts as closed.
      scheduleState: (id, at) => {
        const sch = cfg.schedules.get(id);
        return sch ? scheduleStateAt(sch, at).state : 'closed';
      },
    };
  };
  const controller = new CallController({
    telephony,
    calls,
    journal,
    clock,
    logger,
    store: storeHealth(redis),
    acd,
    routes: (n) => config.current.numbers.get(n),
    ivr: {
      context: flowContext,
      dial: async (dialId, callId, callerId, destination) => {
        try {
          await rest.originate({ endpoint: destination.endpoint, channelId: dialId, app: env.SWITCHBOARD_ARI_APP, appArgs: ['dial', callId], callerId, timeoutS: destination.timeoutS });
          return true;
        } catch (err) {
          logger.warn({ err, callId, destination: destination.id }, 'could not dial the destination');
          return false;
        }
      },
      connect: async (callId, channelIds) => {
        await rest.createBridge(`${callId}-dial-bridge`, 'mixing');
        await rest.addToBridge(`${callId}-dial-bridge`, channelIds);
      },
      disconnect: (callId) => rest.destroyBridgeQuietly(`${callId}-dial-bridge`),
      setTimer: (timerId, at, callId) => timers.set(timerId, at, { kind: 'ivr', callId, timerId }),
      cancelTimer: (timerId) => timers.cancel(timerId),
      lookup: async (lookupId, params, fields) => {
        const lookup = config.current.lookups.get(lookupId);
        if (!lookup) return { ok: false, fields: {}, reason: `lookup ${lookupId} not configured` };
        const r = await runLookup(lookup, params, fields);
        return r.ok ? { ok: true, fields: r.fields } : { ok: false, fields: {}, reason: r.reason };
      },
      saveVoicemail: (v) => voicemails.save(v),
    },
  });

  startFlow = (callId, flow) => controller.handle({ type: 'FlowStart', callId, flow, at: clock.now() });

  let phase: Phase = 'starting';
  let reconcileError = '';
  let connections = 0;
  let generation = 0; // bumped on every connect and disconnect, so a stale reconcile does not mark us ready
  const seenUnknown = new Set<string>();
  let stopped = false;
  let reconciling: Promise<void> | undefined;
  let reconcileAgain = false;

  /** One "ready" line whenever the service becomes able to take calls (reconciled, and the application proven ours). */
  const sayIfReady = (): void => {
    if (phase === 'ready' && ownership.state.status === 'owned') logger.info('ready');
  };

  /**
   * Settles Redis against what Asterisk has (ARI replays nothing): after every ARI connect, and
   * when Redis comes back after an outage (events it could not record were lost). Never two at
   * once; a request during a run makes one more run. A failed run is retried every second.
   */
  const requestReconcile = (): void => {
    phase = 'reconciling';
    reconcileAgain = true;
    if (reconciling) return;
    reconciling = (async () => {
      while (reconcileAgain && !stopped && socket.state.status === 'open') {
        reconcileAgain = false;
        const gen = generation;
        try {
          await reconcile({ telephony, calls, controller, clock, logger, ownedElsewhere: (id) => id.includes(LEG_MARK) || id.includes(DIAL_MARK) });
          await acd.refreshEndpoints();
          await acd.reconcile();
          if (gen === generation && !reconcileAgain) {
            phase = 'ready';
            reconcileError = '';
            sayIfReady();
          }
        } catch (err) {
          reconcileError = (err as Error).message;
          logger.error({ err }, 'reconcile with Asterisk failed; retrying');
          reconcileAgain = true;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    })().finally(() => (reconciling = undefined));
  };

  // Redis back after an outage: what happened meanwhile (hang-ups, answers) was not recorded.
  let redisDown = false;
  redis.on('close', () => (redisDown = true));
  redis.on('ready', () => {
    if (!redisDown) return;
    redisDown = false;
    if (socket.state.status !== 'open') return; // the ARI connect reconciles
    logger.info('Redis is back: reconciling the calls in progress');
    requestReconcile();
  });

  /** Work for one call runs in that call's queue, in arrival order. */
  const forCall = (callId: string, what: string, work: () => Promise<void>) => void controller.run(callId, what, work);

  const dispatch = (ev: AriEvent): void => {
    if (ev.type === 'ApplicationReplaced') {
      ownership.replaced();
      return;
    }
    if (ev.type === 'ChannelUserevent') {
      if (ev.eventname === PROBE_EVENT) ownership.echo(String(ev.userevent.nonce ?? ''));
      return;
    }
    if (ev.type === 'EndpointStateChange') {
      const endpoint = `${ev.endpoint.technology}/${ev.endpoint.resource}`;
      void acd.endpointChanged(endpoint).catch((err: unknown) => logger.error({ err, endpoint }, 'endpoint update failed'));
      return;
    }
    // A flow's dial leg: its answer and its end are events of the caller's call.
    if ('channel' in ev && ev.channel.id.includes(DIAL_MARK)) {
      const dialId = ev.channel.id;
      const callId = dialId.slice(0, dialId.indexOf(DIAL_MARK));
      if (ev.type === 'StasisStart') void controller.handle({ type: 'DialAnswered', callId, dialId, at: clock.now() });
      else if (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd') void controller.handle({ type: 'DialEnded', callId, dialId, at: clock.now() });
      return;
    }
    // Agent legs belong to the ACD; everything else is a caller's channel and goes to the call flow.
    if ('channel' in ev && ev.channel.id.includes(LEG_MARK)) {
      const legId = ev.channel.id;
      const callId = callIdOfLeg(legId) ?? legId;
      if (ev.type === 'StasisStart') forCall(callId, 'leg answered', () => acd.legAnswered(legId));
      else if (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd' || ev.type === 'ChannelHangupRequest')
        forCall(callId, 'leg ended', () => acd.legEnded(legId, ev.type === 'ChannelDestroyed' ? `cause ${ev.cause ?? '?'}` : ev.type));
      return;
    }
    if (ev.type === 'PlaybackFinished' && /-(ann-\d+|exit)$/.test(ev.playback.id)) {
      const callId = ev.playback.target_uri.replace(/^channel:/, '');
      forCall(callId, 'announcement finished', () => acd.playbackFinished(callId, ev.playback.id));
      return;
    }
    const event = domainEventFrom(ev, clock.now());
    if (event) void controller.handle(event);
  };

  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const ariApp = env.SWITCHBOARD_ARI_APP;
  const ownership = new AppOwnership({
    instanceId,
    logger,
    onOwned: () => sayIfReady(),
    probeEveryMs: opts.ari?.pingIntervalMs,
    probeTimeoutMs: opts.ari?.pingIntervalMs,
    sendProbe: (nonce) => rest.userEvent(ariApp, PROBE_EVENT, { nonce }),
    reclaim: (delayMs) => socket.restart(delayMs),
    claimant: async () => (await redis.get(keys.ariClaim(ariApp))) ?? undefined,
    claim: async (ttlMs) => void (await redis.set(keys.ariClaim(ariApp), instanceId, 'PX', ttlMs)),
  });
  const socket = new AriEventSocket({
    url: env.SWITCHBOARD_ARI_URL,
    user: env.SWITCHBOARD_ARI_USER,
    password: env.SWITCHBOARD_ARI_PASSWORD,
    app: env.SWITCHBOARD_ARI_APP,
    logger,
    ...opts.ari,
    onConnecting: () => ownership.connecting(),
    onOpen: () => {
      generation++;
      connections++;
      ownership.opened();
      requestReconcile();
    },
    onClose: () => {
      phase = 'disconnected';
      generation++;
      ownership.closed();
    },
    onMessage: (raw) => {
      const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type) : '';
      if (!KNOWN_EVENT_TYPES.has(type)) {
        if (!seenUnknown.has(type)) {
          seenUnknown.add(type);
          logger.debug({ type }, 'ARI event type not handled; ignoring it');
        }
        return;
      }
      const parsed = KnownEventSchema.safeParse(raw);
      if (!parsed.success) {
        logger.warn({ type, issues: parsed.error.issues.slice(0, 3) }, 'malformed ARI event ignored');
        return;
      }
      dispatch(parsed.data);
    },
  });
  socket.start();

  timers.start(async (_id, payload) => {
    if (payload.kind === 'ivr') return controller.handle({ type: 'FlowTimer', callId: payload.callId, timerId: payload.timerId, at: clock.now() });
    const callId = 'callId' in payload ? payload.callId : undefined;
    if (!callId) return acd.onTimer(payload);
    // In the call's queue; a failure is rethrown so the timer is not acknowledged and fires again.
    let failure: unknown;
    await controller.run(callId, `timer ${payload.kind}`, () =>
      acd.onTimer(payload).catch((err: unknown) => {
        failure = err;
        throw err;
      }),
    );
    if (failure) throw failure;
  });
  const sweeper = setInterval(() => {
    if (phase === 'ready' && redis.status === 'ready') void acd.sweep().catch((err: unknown) => logger.error({ err }, 'ACD sweep failed'));
  }, opts.sweepEveryMs ?? 1000);

  const readiness = (): Readiness => {
    const s = socket.state;
    const owned = ownership.state;
    const ariOk = s.status === 'open' && phase === 'ready' && owned.status === 'owned';
    let ariDetail: string;
    if (s.status === 'open' && owned.status === 'lost') ariDetail = `connected, but the application is not ours: ${owned.detail}`;
    else if (s.status === 'open' && phase !== 'ready') ariDetail = `connected, reconciling${reconcileError ? ` (last error: ${reconcileError})` : ''}`;
    else if (s.status === 'open') ariDetail = owned.status === 'owned' ? 'connected' : 'connected, proving the application is ours';
    else if (s.status === 'auth-failed') ariDetail = `credentials rejected (${s.lastError}); next try in ${Math.round(s.retryInMs / 1000)} s`;
    else if (s.status === 'waiting') ariDetail = `unreachable at ${env.SWITCHBOARD_ARI_URL}: ${s.lastError}`;
    else ariDetail = s.status;
    const redisOk = redis.status === 'ready';
    const cfg = config.status();
    return {
      ready: ariOk && redisOk,
      checks: {
        ari: { ok: ariOk, detail: ariDetail },
        redis: { ok: redisOk, detail: redisOk ? 'connected' : `${redis.status} (${env.SWITCHBOARD_REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')})` },
        // A refused reload does not make the service unready: it keeps running the last good configuration.
        config: { ok: !cfg.lastError, detail: cfg.lastError ? `last reload refused, running the previous configuration: ${cfg.lastError}` : `${cfg.files.length} file(s) loaded` },
      },
    };
  };

  const reloadConfig = async (): Promise<{ ok: boolean; detail: string }> => {
    const r = await config.reload();
    if (r.ok) {
      logger.info({ files: r.config.files }, 'routing configuration reloaded');
      if (phase === 'ready') await acd.refreshEndpoints();
      return { ok: true, detail: `${r.config.files.length} file(s) loaded` };
    }
    return { ok: false, detail: r.error.message };
  };
  if (env.SWITCHBOARD_WATCH_CONFIG === 'true') config.watch();

  const app = createHttpApp({
    readiness,
    logger,
    // Redis away: the API answers 503 with Retry-After (the reason names no URL: clients read it).
    unavailable: (err) => (isRedisUnavailable(err) || redis.status !== 'ready' ? 'the state store is unreachable; retry shortly' : undefined),
    tokens: tokens.size > 0 ? tokens : undefined,
    reloadConfig,
    routes: [
      agentRoutes({
        command: (id, command, reason) => acd.agentCommand(id, command, reason),
        exists: (id) => config.current.agents.has(id),
        list: async () => {
          const states = new Map((await store.allAgents()).map((a) => [a.d.id, a.d]));
          return [...config.current.agents.values()].map((p) => ({ id: p.id, name: p.name, state: states.get(p.id) }));
        },
      }),
    ],
  });
  if (tokens.size === 0) logger.warn('SWITCHBOARD_API_TOKENS is empty: the /api routes are disabled');
  const server: Server = createHttpServer(app, { logger });
  let httpPort: number;
  try {
    httpPort = await listen(server, env.SWITCHBOARD_HTTP_PORT, env.SWITCHBOARD_HTTP_HOST);
  } catch (err) {
    stopped = true;
    await socket.stop();
    clearInterval(sweeper);
    await timers.stop();
    config.stop();
    redis.disconnect();
    throw err;
  }
  logger.info({ host: env.SWITCHBOARD_HTTP_HOST, port: httpPort }, 'HTTP listening');

  return {
    httpPort,
    acd,
    readiness,
    reloadConfig,
    dropAriConnection: () => socket.drop(),
    get ariConnections() {
      return connections;
    },
    idle: () => controller.idle(),
    async stop() {
      stopped = true;
      clearInterval(sweeper);
      config.stop();
      ownership.stop();
      await socket.stop();
      await reconciling?.catch(() => undefined);
      await timers.stop();
      await controller.idle();
      // A standby instance may take the application at once rather than when our claim lapses.
      await redis
        .get(keys.ariClaim(ariApp))
        .then((holder) => (holder === instanceId ? redis.del(keys.ariClaim(ariApp)) : 0))
        .catch(() => undefined);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive sockets would hold close() open
      await closed;
      redis.disconnect();
      logger.info('stopped');
    },
  };
}
