// Starts Switchboard in-process against the test stack, with its own Redis key prefix and
// its logs captured for assertions.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import { parseEnv } from '../../src/platform/config/env';
import { createLogger } from '../../src/platform/logging';
import { startService, type RunningService, type ServiceOptions } from '../../src/main';
import { waitFor } from './net';
import { ariUrl, redisUrl, ROOT, TEST } from './stack';

export type JournalEvent = { type: string; callId?: string; [field: string]: unknown };

export interface TestService {
  service: RunningService;
  prefix: string;
  logs: Array<Record<string, unknown>>;
  redis: Redis;
  /** The journal's events, oldest first (loosely typed for tests: see src/events/catalogue.ts). */
  journal(): Promise<JournalEvent[]>;
  stop(): Promise<void>;
}

/** The environment of a Switchboard on the test stack: its own key prefix, a fixture folder, any free HTTP port. */
export function testServiceEnv(prefix: string, fixture: string): Record<string, string> {
  return {
    SWITCHBOARD_ARI_URL: ariUrl(),
    SWITCHBOARD_ARI_USER: TEST.ARI_USER,
    SWITCHBOARD_ARI_PASSWORD: TEST.ARI_PASSWORD,
    SWITCHBOARD_ARI_APP: TEST.ARI_APP,
    SWITCHBOARD_REDIS_URL: redisUrl(),
    SWITCHBOARD_KEY_PREFIX: prefix,
    SWITCHBOARD_HTTP_PORT: '0',
    SWITCHBOARD_CONFIG_DIR: path.join(ROOT, 'test', 'fixtures', fixture),
  };
}

export async function startTestService(over: Record<string, string> = {}, opts: { ari?: ServiceOptions['ari'] } = {}): Promise<TestService> {
  const prefix = `sbtest-${randomUUID().slice(0, 8)}`;
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const env = parseEnv({ ...testServiceEnv(prefix, 'greeting'), SWITCHBOARD_LOG_LEVEL: 'debug', ...over });
  const service = await startService({ env, logger: createLogger(env.SWITCHBOARD_LOG_LEVEL, sink, { maskCallerNumbers: env.SWITCHBOARD_LOG_CALLER_NUMBERS === 'masked' }), checkResponses: true, ari: { backoffBaseMs: 100, backoffMaxMs: 1000, pingIntervalMs: 1000, ...opts.ari } });
  const redis = new Redis(redisUrl());
  return {
    service,
    prefix,
    logs,
    redis,
    async journal() {
      const rows = await redis.xrange(`${prefix}:journal`, '-', '+');
      return rows.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1] ?? '{}') as JournalEvent);
    },
    async stop() {
      await service.stop();
      redis.disconnect();
    },
  };
}

export async function waitReady(t: TestService, timeoutMs = 15_000): Promise<void> {
  await waitFor('Switchboard ready', () => t.service.readiness().ready, timeoutMs);
}

/** One JSON request to the service's API as `token`; the status and the parsed body ({} when empty). */
export async function apiAs(t: TestService, method: string, route: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${t.service.httpPort}/api/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
