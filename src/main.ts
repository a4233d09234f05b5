// Composition only: the platform (Redis, ARI, timers, configuration), the event seam, and each
// feature (the call flow with the IVR, the ACD, callbacks, statistics, webhooks, contact history,
// recordings, monitoring, agents' own calls) wired to them; the HTTP face is composed in
// http-api.ts. No business rules here. About 460 lines: the ports each feature needs are wired
// inline, where a reader sees what connects to what.
import type { Server } from 'node:http';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { agentField, AcdOperations, AcdService, AcdStore, AriAcdTelephony, formatQueueLog, QueueLogFile, queueLogWriter, registerAcdAriHandlers, type AcdTimer } from './acd';
import { Admission, AriTelephony, CallController, CallStore, OVERLOAD_GATE_VARIABLE, reconcile, registerCallAriHandlers, type IvrPorts } from './calls';
import { AriCustomerTelephony, CallbackJobs, CallbackService, CallbackStore, InQueueOffers, registerCallbackAriHandlers } from './callbacks';
import { configVersion } from './config/http';
import { callContext } from './config/call-context';
import { loadRoutingDir } from './config/routing';
import { EventBus, RedisJournal } from './events';
import { nextOpenAt, runLookup, VoicemailStore } from './ivr';
import { channelKind } from './kernel/ids';
import { AriLink } from './platform/ari/link';
import { AriRest } from './platform/ari/rest';
import { AriRouter } from './platform/ari/router';
import { ariTransport } from './platform/ari/transports';
import { HttpTransport } from './platform/ari/http-transport';
import { systemClock, type Clock } from './platform/clock';
import type { Env } from './platform/config/env';
import { ConfigHolder } from './platform/config/holder';
import type { Readiness } from './platform/http/app';
import { keysFromEnv } from './platform/http/auth';
import { composeHttp } from './http-api';
import { createHttpServer, listen } from './platform/http/server';
import { connectRedis, storeHealth } from './platform/redis/connection';
import { LoadGauge } from './platform/load';
import { WebhookDelivery } from './webhooks';
import { createStats, settingsFromQueues } from './stats';
import { DispositionStore } from './dispositions';
import { ContactHistory, ContactStore } from './contacts';
import { createMonitoring } from './monitor';
import { createRecordings } from './recordings';
import { AriOutboundTelephony, OutboundService, registerOutboundAriHandlers } from './outbound';
import { Keys } from './platform/redis/keys';
import { RedisTimers } from './platform/timers/redis-timers';

export interface ServiceOptions {
  env: Env;
  logger: Logger;
  clock?: Clock;
  /** Overrides for tests (faster reconnects). */
  ari?: { backoffBaseMs?: number; backoffMaxMs?: number; pingIntervalMs?: number; authRetryMs?: number; connectTimeoutMs?: number };
  /** Period of the ACD's safety sweep (ms). */
  sweepEveryMs?: number;
  /** Check every JSON answer of the API against its declared schema (tests). */
  checkResponses?: boolean;
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

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { env, logger } = opts;
  const clock = opts.clock ?? systemClock;
  keysFromEnv(env.SWITCHBOARD_API_TOKENS); // a bad SWITCHBOARD_API_TOKENS stops the start here, before anything is connected
  const app = env.SWITCHBOARD_ARI_APP;
  // The running configuration's version and when it was applied (GET /api/v1/config).
  let applied = { version: '', loadedAt: 0 };
  /** The version being worked out for the configuration just swapped in (reloadConfig waits for it). */
  let applying: Promise<void> = Promise.resolve();
  const configApplied = async (files: readonly string[]): Promise<void> => {
    const at = clock.now();
    const version = await configVersion(files).catch(() => 'unknown'); // a file removed since it was read
    if (at >= applied.loadedAt) applied = { version, loadedAt: at };
  };

  // Configuration first: a missing or broken file stops the start (ConfigError propagates).
  // Every swap (API, SIGHUP or the folder watch) updates the running version (GET /api/v1/config).
  const config = new ConfigHolder({ dir: env.SWITCHBOARD_CONFIG_DIR, soundsDir: env.SWITCHBOARD_SOUNDS_DIR, logger, load: loadRoutingDir, onChange: (cfg) => void (applying = configApplied(cfg.files)) });
  const routing = await config.load();
  await configApplied(routing.files);
  logger.info({ files: routing.files, numbers: [...routing.numbers.keys()], queues: [...routing.queues.keys()], agents: [...routing.agents.keys()] }, 'routing configuration loaded');

  // ---- platform ----
  const redis: Redis = connectRedis(env.SWITCHBOARD_REDIS_URL, logger);
  const keys = new Keys(env.SWITCHBOARD_KEY_PREFIX);
  const transport = ariTransport({
    kind: env.SWITCHBOARD_ARI_TRANSPORT,
    url: env.SWITCHBOARD_ARI_URL,
    user: env.SWITCHBOARD_ARI_USER,
    password: env.SWITCHBOARD_ARI_PASSWORD,
    app,
    connections: env.SWITCHBOARD_ARI_CONNECTIONS,
    logger,
  });
  const rest = new AriRest({ url: env.SWITCHBOARD_ARI_URL, transport });
  /** Requests that must not queue behind the calls' ones: the overload gate, and calls sent back to the dialplan (refusals). */
  const control = new AriRest({ url: env.SWITCHBOARD_ARI_URL, transport: new HttpTransport({ url: env.SWITCHBOARD_ARI_URL, user: env.SWITCHBOARD_ARI_USER, password: env.SWITCHBOARD_ARI_PASSWORD, maxInFlight: 8 }) });
  const timers = new RedisTimers<AcdTimer>(redis, keys, clock, logger);
  const router = new AriRouter(logger);

  // ---- the event seam: the journal, and the queue_log as a subscriber ----
  const events = new EventBus(new RedisJournal(redis, keys, clock, env.SWITCHBOARD_JOURNAL_RETENTION_DAYS), logger);
  const queueLogFile = env.SWITCHBOARD_QUEUE_LOG ? new QueueLogFile(env.SWITCHBOARD_QUEUE_LOG) : undefined;
  const writeQueueLog = queueLogWriter(
    [async (line) => void (await redis.xadd(keys.queueLog(), 'MAXLEN', '~', '1000000', '*', 'line', formatQueueLog(line))), ...(queueLogFile ? [(line: Parameters<QueueLogFile['append']>[0]) => queueLogFile.append(line)] : [])],
    agentField(env.SWITCHBOARD_QUEUE_LOG_AGENT, () => config.current.agents),
  );
  events.subscribe('queue_log', writeQueueLog);
  // Statistics: a projector folds the journal into per-interval counters, exactly once across instances.
  const stats = createStats({ redis, keys, logger, retentionDays: env.SWITCHBOARD_STATS_RETENTION_DAYS, settings: () => settingsFromQueues(env.SWITCHBOARD_STATS_TIMEZONE, () => config.current.queues) });
  stats.runner.start();
  // A connected call's queue and agent, kept for its disposition at wrap-up.
  const dispositions = new DispositionStore(redis, keys);
  events.subscribe('dispositions', (e) => (e.type === 'queue.connected' ? dispositions.connected(e.callId, e.queue, e.agentId) : undefined));
  // Each caller's contacts (IVR path, queue, agent, disposition), for the screen pop.
  const contacts = new ContactHistory(new ContactStore(redis, keys), logger.child({ component: 'contacts' }));
  events.subscribe('contacts', contacts.subscriber);

  // ---- the ACD ----
  const acdStore = new AcdStore(redis, keys);
  // After a reconnect Redis may be another server or have lost its last writes (AOF): the ACD's
  // in-memory copies (agents, waiting calls) are read again in full.
  redis.on('ready', () => acdStore.forgetCopies());
  // Set once the call flow exists.
  let startFlow: (callId: string, flow: string) => Promise<void> = async () => undefined;
  let agentEnded: (callId: string) => Promise<void> = async () => undefined;
  let startAssist: (callId: string, flow: string) => Promise<boolean> = async () => false;
  let handedOff: (callId: string, legId: string) => Promise<void> = async () => undefined;
  let handedLegEnded: (callId: string, legId: string) => Promise<void> = async () => undefined;
  // Set once the callbacks feature exists (it needs the ACD too).
  let callbacks!: CallbackService;
  let inQueue!: InQueueOffers;
  const acd = new AcdService({
    store: new AcdOperations(acdStore),
    telephony: new AriAcdTelephony(rest, app),
    timers,
    config: () => config.current,
    events,
    clock,
    logger,
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    // Not awaited: the ACD runs inside the call's own queue, and the flow start queues behind it.
    afterCall: async ({ callId, flow }) => void startFlow(callId, flow),
    agentEnded: (callId) => void agentEnded(callId),
    // Called from an API request, not from the call's queue: waiting for the flow's start is safe.
    startAssist: ({ callId, flow }) => startAssist(callId, flow),
    destination: (id) => config.current.destinations.get(id),
    // Not awaited: these run inside the call's own queue, and the call flow's events queue behind.
    handedOff: (callId, legId) => void handedOff(callId, legId),
    handedLegEnded: (callId, legId) => void handedLegEnded(callId, legId),
    legVariables: (callId, callerId) => contacts.legVariables(callId, callerId),
    lastAgentOf: async (callerId) => (await contacts.recent(callerId)).find((c) => c.agentId !== undefined)?.agentId,
    dispositionPending: async (callId) => {
      // Most configurations require no disposition: then a wrap-up's end costs no Redis read.
      if (![...config.current.queues.values()].some((q) => q.requireDisposition)) return false;
      const call = await dispositions.call(callId);
      return call !== undefined && config.current.queues.get(call.queue)?.requireDisposition === true && (await dispositions.get(callId)) === undefined;
    },
    callbacks: {
      offered: (callId, agentId) => callbacks.offered(callId, agentId),
      offerMissed: (callId) => callbacks.offerMissed(callId),
      agentAnswered: (entry) => callbacks.agentAnswered(entry),
      agentLeft: (callId) => callbacks.agentLeft(callId),
      callerJoined: (entry) => inQueue.callerJoined(entry),
      callerDigit: (entry, digit) => inQueue.callerDigit(entry, digit),
      callerDone: (callId) => inQueue.callerDone(callId),
      inConversation: (callId) => inQueue.inConversation(callId),
    },
  });

  // ---- the call flow and the IVR ----
  const voicemails = new VoicemailStore(redis, keys);
  const ivr: IvrPorts = {
    dial: async (dialId, callId, callerId, destination) => {
      try {
        await rest.originate({ endpoint: destination.endpoint, channelId: dialId, app, appArgs: ['dial', callId], callerId, timeoutS: destination.timeoutS });
        return true;
      } catch (err) {
        logger.warn({ err, callId, destination: destination.id }, 'could not dial the destination');
        return false;
      }
    },
    connect: async (bridgeId, channelIds) => {
      await rest.createBridgeOnce(bridgeId);
      await rest.addToBridge(bridgeId, channelIds);
    },
    disconnect: (bridgeId) => rest.destroyBridgeQuietly(bridgeId),
    setTimer: (timerId, at, callId) => timers.set(timerId, at, { kind: 'ivr', callId, timerId }),
    cancelTimer: (timerId) => timers.cancel(timerId),
    lookup: async (lookupId, params, fields) => {
      const lookup = config.current.lookups.get(lookupId);
      if (!lookup) return { ok: false, fields: {}, reason: `lookup ${lookupId} not configured` };
      const r = await runLookup(lookup, params, fields);
      return r.ok ? { ok: true, fields: r.fields } : { ok: false, fields: {}, reason: r.reason };
    },
    saveVoicemail: (v) => voicemails.save(v),
  };
  const telephony = new AriTelephony(rest, app, control);
  const calls = new CallStore(redis, keys, app);
  const gauge = new LoadGauge({ ari: { load: () => rest.load(), durations: rest.durations }, ping: () => redis.ping() });
  const admission = new Admission({
    limits: {
      maxCalls: env.SWITCHBOARD_MAX_CALLS,
      maxLoopDelayMs: env.SWITCHBOARD_OVERLOAD_LOOP_DELAY_MS,
      maxAriMs: env.SWITCHBOARD_OVERLOAD_ARI_MS,
      maxAriWaiting: env.SWITCHBOARD_OVERLOAD_ARI_WAITING,
      maxRedisMs: env.SWITCHBOARD_OVERLOAD_REDIS_MS,
    },
    load: () => gauge.latest(),
    calls: () => controller.callsInProgress,
    // Over HTTP, not the request sockets: under overload those have a backlog, and the gate must not wait behind it.
    gate: (untilS) => control.setGlobal(OVERLOAD_GATE_VARIABLE, String(untilS)),
    mayShut: () => link.check().ok,
    clock,
    logger,
  });
  const controller = new CallController({ telephony, calls, events, ivr, acd, admission, context: () => callContext(config.current), clock, logger, store: storeHealth(redis) });
  startFlow = (callId, flow) => controller.handle({ type: 'FlowStart', callId, flow, at: clock.now() });
  startAssist = async (callId, flow) => {
    await controller.handle({ type: 'FlowStart', callId, flow, returnToAgent: true, at: clock.now() });
    return (await calls.get(callId))?.assist === true; // the flow started (the call was there, its flow too)
  };
  handedOff = (callId, legId) => controller.handle({ type: 'HandedOff', callId, legId, at: clock.now() });
  handedLegEnded = (callId, legId) => controller.handle({ type: 'HandedLegEnded', callId, legId, at: clock.now() });

  // ---- callbacks: records in Redis, due times on BullMQ, dialled through the ACD ----
  const callbackJobs = new CallbackJobs({ url: env.SWITCHBOARD_REDIS_URL, prefix: keys.bullPrefix(), clock, logger });
  callbacks = new CallbackService({
    store: new CallbackStore(redis, keys),
    jobs: callbackJobs,
    acd,
    telephony: new AriCustomerTelephony(rest, app),
    config: () => {
      const cfg = config.current;
      return {
        queues: cfg.queues,
        agents: cfg.agents,
        openAt: (id, at) => {
          const sch = cfg.schedules.get(id);
          return sch ? (nextOpenAt(sch, at) ?? at) : at;
        },
      };
    },
    events,
    clock,
    logger,
    serialize: (callId, what, work) => controller.run(callId, what, work),
  });
  inQueue = new InQueueOffers({
    callbacks,
    leaveQueue: (callId, key) => acd.leaveForCallback(callId, key),
    telephony: {
      play: (channelId, playbackId, media) => rest.playOnce(channelId, playbackId, media),
      record: (channelId, name, maxSeconds, silenceSeconds) => rest.record(channelId, { name, format: 'wav', maxDurationSeconds: maxSeconds, maxSilenceSeconds: silenceSeconds, beep: true, terminateOn: '#' }),
      stopPlayback: (playbackId) => rest.stopPlaybackQuietly(playbackId),
      startMoh: (channelId, mohClass) => rest.startMoh(channelId, mohClass),
      stopMoh: (channelId) => rest.stopMohQuietly(channelId),
    },
    timers,
    queues: () => config.current.queues,
    clock,
    logger,
  });
  let callbackJobsStarted = false;

  // ---- webhooks: each event a hook wants becomes a BullMQ job (delivery never holds up a call) ----
  const webhooks = new WebhookDelivery({ url: env.SWITCHBOARD_REDIS_URL, prefix: keys.bullPrefix(), hooks: () => config.current.webhooks, clock, logger });
  events.subscribe('webhooks', webhooks.subscriber);
  webhooks.start();
  agentEnded = (callId) => controller.handle({ type: 'AgentHungUp', callId, at: clock.now() });

  // ---- ARI: each feature's events, and the link ----
  registerCallAriHandlers(router, { handle: (e) => controller.handle(e), clock });
  registerAcdAriHandlers(router, { acd, serialize: (callId, what, work) => void controller.run(callId, what, work), logger });
  registerCallbackAriHandlers(router, { callbacks, inQueue, serialize: (callId, what, work) => void controller.run(callId, what, work) });
  const recordings = createRecordings({ redis, keys, rest, ari: { url: env.SWITCHBOARD_ARI_URL, user: env.SWITCHBOARD_ARI_USER, password: env.SWITCHBOARD_ARI_PASSWORD }, router, events, queues: () => config.current.queues, clock, logger });
  const outbound = new OutboundService({ redis, keys, telephony: new AriOutboundTelephony(rest, app), agents: () => config.current.agents, agentState: async (id) => (await acdStore.getAgent(id))?.d, agentBusy: (id, callId, started, by) => acd.agentOutbound(id, callId, started, by), events, clock, logger });
  registerOutboundAriHandlers(router, outbound, (callId, what, work) => void controller.run(callId, what, work));
  const monitor = createMonitoring({ redis, keys, rest, app, router, events, clock, logger, phones: () => config.current.supervisors, serialize: (callId, what, work) => void controller.run(callId, what, work), call: async (callId) => (await acdStore.getEntry(callId))?.d });
  const claimKey = keys.ariClaim(app);
  const link = new AriLink({
    url: env.SWITCHBOARD_ARI_URL,
    user: env.SWITCHBOARD_ARI_USER,
    password: env.SWITCHBOARD_ARI_PASSWORD,
    app,
    logger,
    rest,
    router,
    ...opts.ari,
    claims: {
      get: async () => (await redis.get(claimKey)) ?? undefined,
      set: async (id, ttlMs) => void (await redis.set(claimKey, id, 'PX', ttlMs)),
      release: async (id) => void ((await redis.get(claimKey)) === id && (await redis.del(claimKey))),
    },
    reconcile: async () => {
      // Agent legs and dial legs are the features' own; everything else in the application is a caller.
      await reconcile({ telephony, calls, controller, clock, logger, ownedElsewhere: (id) => channelKind(id) !== 'caller' });
      await acd.refreshEndpoints();
      await acd.reconcile();
      await callbacks.resume();
      // Due callbacks are taken once Asterisk can ring their agents.
      if (!callbackJobsStarted) {
        callbackJobsStarted = true;
        callbackJobs.start((job) => callbacks.due(job));
      }
    },
  });
  // Redis back after an outage: what happened meanwhile (hang-ups, answers) was not recorded.
  let redisDown = false;
  redis.on('close', () => (redisDown = true));
  redis.on('ready', () => {
    if (!redisDown) return;
    redisDown = false;
    logger.info('Redis is back: reconciling the calls in progress');
    link.requestReconcile();
  });
  transport.start();
  gauge.onSample(() => admission.tick());
  gauge.start();
  link.start();
  void events.publish({ type: 'service.started', instance: link.instanceId, at: clock.now() });

  // ---- deadlines, the safety sweep ----
  timers.start(async (_id, payload) => {
    if (payload.kind === 'ivr') return controller.handle({ type: 'FlowTimer', callId: payload.callId, timerId: payload.timerId, at: clock.now() });
    if (payload.kind === 'callback-dialogue') return controller.run(payload.callId, 'callback answer timed out', () => inQueue.timeout(payload.callId, payload.seq));
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
    if (link.ready && redis.status === 'ready') void acd.sweep().catch((err: unknown) => logger.error({ err }, 'ACD sweep failed'));
  }, opts.sweepEveryMs ?? 1000);
  // Recordings past their queue's retention go once a minute.
  const retention = setInterval(() => {
    if (link.ready && redis.status === 'ready') void recordings.service.sweep().catch((err: unknown) => logger.error({ err }, 'recording retention failed'));
  }, 60_000);

  // ---- readiness, reloads, HTTP ----
  const readiness = (): Readiness => {
    const ari = link.check();
    const redisOk = redis.status === 'ready';
    const cfg = config.status();
    const admitting = admission.state();
    return {
      ready: ari.ok && redisOk,
      checks: {
        ari,
        redis: { ok: redisOk, detail: redisOk ? 'connected' : `${redis.status} (${env.SWITCHBOARD_REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')})` },
        // A refused reload does not make the service unready: it keeps running the last good configuration.
        config: { ok: !cfg.lastError, detail: cfg.lastError ? `last reload refused, running the previous configuration: ${cfg.lastError}` : `${cfg.files.length} file(s) loaded` },
        // Refusing calls under load is the service protecting its calls, not a fault: it does not make it unready.
        admission: { ok: true, detail: `${admitting.detail} (${controller.callsInProgress} in progress, ${admitting.refused} refused since start)` },
      },
      load: gauge.latest(),
    };
  };
  const reloadConfig = async (): Promise<{ ok: boolean; detail: string }> => {
    const r = await config.reload();
    if (!r.ok) {
      await events.publish({ type: 'config.refused', problems: r.error.message.split('\n'), at: clock.now() });
      return { ok: false, detail: r.error.message };
    }
    await applying; // onChange started it: the answer must carry the new version
    logger.info({ files: r.config.files }, 'routing configuration reloaded');
    await events.publish({ type: 'config.reloaded', files: r.config.files, at: clock.now() });
    if (link.ready) await acd.refreshEndpoints();
    return { ok: true, detail: `${r.config.files.length} file(s) loaded` };
  };
  if (env.SWITCHBOARD_WATCH_CONFIG === 'true') config.watch();

  const { app: http, eventStream } = composeHttp({
    env,
    config,
    applied: () => applied,
    redis,
    keys,
    clock,
    logger,
    events,
    acd,
    acdStore,
    calls,
    callbacks,
    voicemails,
    rest,
    stats,
    dispositions,
    monitor,
    recordings,
    contacts,
    outbound,
    link,
    readiness,
    reloadConfig,
    checkResponses: opts.checkResponses,
  });
  const server: Server = createHttpServer(http, { logger });
  const stopAll = async (): Promise<void> => {
    clearInterval(sweeper);
    clearInterval(retention);
    gauge.stop();
    await admission.openGate();
    config.stop();
    await callbackJobs.stop();
    await link.stop();
    await timers.stop();
    await controller.idle();
    await events.drained();
    await webhooks.stop();
    await eventStream.stop();
    await stats.runner.stop();
    await transport.stop();
  };
  let httpPort: number;
  try {
    httpPort = await listen(server, env.SWITCHBOARD_HTTP_PORT, env.SWITCHBOARD_HTTP_HOST);
  } catch (err) {
    await stopAll();
    redis.disconnect();
    throw err;
  }
  logger.info({ host: env.SWITCHBOARD_HTTP_HOST, port: httpPort }, 'HTTP listening');

  return {
    httpPort,
    acd,
    readiness,
    reloadConfig,
    dropAriConnection: () => link.drop(),
    get ariConnections() {
      return link.connections;
    },
    idle: async () => {
      await controller.idle();
      await events.drained();
    },
    async stop() {
      await stopAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive sockets would hold close() open
      await closed;
      redis.disconnect();
      logger.info('stopped');
    },
  };
}
