import Redis from 'ioredis';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { batchWritesPerTick } from '../batch-writes';

/**
 * One ioredis client that keeps retrying forever, fails commands fast while disconnected
 * (no offline queue: a caller's call must not hang on a Redis that is away), and logs an outage
 * once rather than on every retry.
 */
export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(200 * times, 5000),
    connectTimeout: 5000,
    lazyConnect: false,
  });
  // Commands issued in the same tick (a journal line and its queue_log line, a call's timers) leave in one write.
  redis.on('connect', () => batchWritesPerTick(redis.stream as Socket));
  let down = false;
  const safeUrl = url.replace(/\/\/[^@/]*@/, '//***@');
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ url: safeUrl, reason: err.message }, `cannot reach Redis at ${safeUrl} (${err.message}); is the stack up? Start it with "npm run demo:up" or "scripts/stack.sh up". Retrying until it answers`);
  });
  redis.on('ready', () => {
    if (down) logger.info({ url: safeUrl }, 'Redis reachable again');
    down = false;
  });
  return redis;
}

/** True for the errors ioredis raises while Redis cannot be reached (no offline queue, so they come at once). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'MaxRetriesPerRequestError' || /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT/.test(err.message);
}

/** Whether the state store (Redis) can be reached. */
export interface StoreHealth {
  up(): boolean;
  /** Resolves true once it can be reached, or false after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<boolean>;
}

/** Redis's reachability as the application sees it. */
export function storeHealth(redis: Redis): StoreHealth {
  return {
    up: () => redis.status === 'ready',
    whenUp: (timeoutMs) =>
      new Promise((resolve) => {
        if (redis.status === 'ready') return resolve(true);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          resolve(false);
        }, timeoutMs);
        redis.once('ready', onReady);
      }),
  };
}
