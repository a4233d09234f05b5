// Composition root: wires adapters to the application layer and runs until stopped.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { AriEventSocket } from './adapters/ari/event-socket';
import { AriRest } from './adapters/ari/rest';
import { AriTelephony } from './adapters/ari/telephony';
import { toDomain } from './adapters/ari/to-domain';
import { KNOWN_EVENT_TYPES, KnownEventSchema } from './adapters/ari/types';
import { createHttpApp, type Readiness } from './adapters/http/app';
import { CallStore } from './adapters/redis/call-store';
import { connectRedis } from './adapters/redis/connection';
import { RedisJournal } from './adapters/redis/journal';
import { Keys } from './adapters/redis/keys';
import { CallController } from './app/call-controller';
import { systemClock, type Clock } from './app/ports';
import { reconcile } from './app/reconcile';
import type { Env } from './config/env';
import { loadRoutingDir, type RoutingConfig } from './config/routing';

export interface ServiceOptions {
  env: Env;
  logger: Logger;
  clock?: Clock;
  /** Overrides for tests (faster reconnects). */
  ari?: { backoffBaseMs?: number; backoffMaxMs?: number; pingIntervalMs?: number; authRetryMs?: number };
}

export interface RunningService {
  readonly httpPort: number;
  readiness(): Readiness;
  /** Drops the ARI WebSocket as a network failure would. */
  dropAriConnection(): void;
  /** How many times the ARI WebSocket has opened since start. */
  readonly ariConnections: number;
  /** Waits until every ARI event received so far has been handled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type Phase = 'starting' | 'reconciling' | 'ready' | 'disconnected';

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { env, logger } = opts;
  const clock = opts.clock ?? systemClock;

  // Configuration first: a missing or broken file stops the start (ConfigError propagates).
  const routing: RoutingConfig = await loadRoutingDir(env.SWITCHBOARD_CONFIG_DIR);
  logger.info({ files: routing.files, numbers: [...routing.numbers.keys()] }, 'routing configuration loaded');

  const redis: Redis = connectRedis(env.SWITCHBOARD_REDIS_URL, logger);
  const keys = new Keys(env.SWITCHBOARD_KEY_PREFIX);
  const calls = new CallStore(redis, keys, env.SWITCHBOARD_ARI_APP);
  const journal = new RedisJournal(redis, keys);
  const rest = new AriRest({ url: env.SWITCHBOARD_ARI_URL, user: env.SWITCHBOARD_ARI_USER, password: env.SWITCHBOARD_ARI_PASSWORD });
  const telephony = new AriTelephony(rest, env.SWITCHBOARD_ARI_APP);
  const controller = new CallController({ telephony, calls, journal, clock, logger, routes: (n) => routing.numbers.get(n) });

  let phase: Phase = 'starting';
  let reconcileError = '';
  let connections = 0;
  let generation = 0; // bumped on every connect, so a stale reconcile does not mark us ready
  const seenUnknown = new Set<string>();
  let retryTimer: NodeJS.Timeout | undefined;

  const runReconcile = async (gen: number): Promise<void> => {
    if (gen !== generation) return; // the connection it was for is gone
    try {
      await reconcile({ telephony, calls, controller, clock, logger });
      if (gen === generation && phase === 'reconciling') {
        phase = 'ready';
        reconcileError = '';
        logger.info('ready');
      }
    } catch (err) {
      reconcileError = (err as Error).message;
      logger.error({ err }, 'reconcile with Asterisk failed; retrying');
      retryTimer = setTimeout(() => void runReconcile(gen), 1000);
    }
  };

  const socket = new AriEventSocket({
    url: env.SWITCHBOARD_ARI_URL,
    user: env.SWITCHBOARD_ARI_USER,
    password: env.SWITCHBOARD_ARI_PASSWORD,
    app: env.SWITCHBOARD_ARI_APP,
    logger,
    ...opts.ari,
    onOpen: () => {
      generation++;
      connections++;
      phase = 'reconciling';
      void runReconcile(generation);
    },
    onClose: () => {
      phase = 'disconnected';
      generation++;
      clearTimeout(retryTimer);
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
      if (parsed.data.type === 'ApplicationReplaced') {
        logger.error({ app: env.SWITCHBOARD_ARI_APP }, 'another client took over the ARI application; this instance no longer receives calls');
        return;
      }
      const event = toDomain(parsed.data, clock.now());
      if (event) void controller.handle(event);
    },
  });
  socket.start();

  const readiness = (): Readiness => {
    const s = socket.state;
    const ariOk = s.status === 'open' && phase === 'ready';
    let ariDetail: string;
    if (s.status === 'open') ariDetail = phase === 'ready' ? 'connected' : `connected, reconciling${reconcileError ? ` (last error: ${reconcileError})` : ''}`;
    else if (s.status === 'auth-failed') ariDetail = `credentials rejected (${s.lastError}); next try in ${Math.round(s.retryInMs / 1000)} s`;
    else if (s.status === 'waiting') ariDetail = `unreachable at ${env.SWITCHBOARD_ARI_URL}: ${s.lastError}`;
    else ariDetail = s.status;
    const redisOk = redis.status === 'ready';
    return {
      ready: ariOk && redisOk,
      checks: {
        ari: { ok: ariOk, detail: ariDetail },
        redis: { ok: redisOk, detail: redisOk ? 'connected' : `${redis.status} (${env.SWITCHBOARD_REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')})` },
      },
    };
  };

  const app = createHttpApp({ readiness });
  const server: Server = app.listen(env.SWITCHBOARD_HTTP_PORT, env.SWITCHBOARD_HTTP_HOST);
  try {
    await once(server, 'listening');
  } catch (err) {
    await socket.stop();
    redis.disconnect();
    throw err;
  }
  const httpPort = (server.address() as AddressInfo).port;
  logger.info({ host: env.SWITCHBOARD_HTTP_HOST, port: httpPort }, 'HTTP listening');

  return {
    httpPort,
    readiness,
    dropAriConnection: () => socket.drop(),
    get ariConnections() {
      return connections;
    },
    idle: () => controller.idle(),
    async stop() {
      clearTimeout(retryTimer);
      await socket.stop();
      await controller.idle();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive sockets would hold close() open
      await closed;
      redis.disconnect();
      logger.info('stopped');
    },
  };
}
