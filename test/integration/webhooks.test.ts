// Webhooks on real Redis and BullMQ, to a receiver this test runs: an event is delivered once and
// its signature verifies; a failing receiver is retried with backoff, then given up (logged, with
// neither secret nor body); a receiver that never answers does not slow EventBus.publish, and each
// request times out.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import pino from 'pino';
import { EventBus, EVENT_TYPES, RedisJournal } from '../../src/events';
import { systemClock } from '../../src/platform/clock';
import { Keys } from '../../src/platform/redis/keys';
import { verifySignature, WEBHOOK_QUEUE, WebhookDelivery, type Webhook } from '../../src/webhooks';
import { typesMatching } from '../../src/webhooks/domain';
import { Queue } from 'bullmq';
import { waitFor } from '../support/net';
import { redisUrl } from '../support/stack';

jest.setTimeout(60_000);

const SECRET = 'test-secret-0123456789abcdef';
const env = { HOOK_SECRET: SECRET };

interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1: `answer` decides each request's fate (a status, or 'hang': never answer). */
async function receiver(answer: (n: number) => number | 'hang'): Promise<{ url: string; got: Received[]; server: http.Server; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answer(got.length);
      if (a !== 'hang') res.writeHead(a).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function hook(id: string, url: string, over: Partial<Webhook> = {}): Webhook {
  const events = over.events ?? ['*'];
  return { id, url, events, types: new Set(events.flatMap((p) => typesMatching(p, EVENT_TYPES))), secretEnv: 'HOOK_SECRET', maxAttempts: 8, backoffS: 2, timeoutS: 5, ...over };
}

/** The log lines, parsed, kept in memory. */
function capturedLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>>; raw: string[] } {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines, raw };
}

let prefix: string;
let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  prefix = `sbwh-${randomUUID().slice(0, 8)}`;
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
  redis.disconnect();
});

/** A bus journaling to Redis, and deliveries for `hooks`, started. */
async function rig(hooks: Webhook[], logger: pino.Logger, start = true): Promise<{ events: EventBus; delivery: WebhookDelivery; keys: Keys }> {
  const keys = new Keys(prefix);
  const events = new EventBus(new RedisJournal(redis, keys, systemClock, 1), logger);
  const map = new Map(hooks.map((h) => [h.id, h]));
  const delivery = new WebhookDelivery({ url: redisUrl(), prefix: keys.bullPrefix(), hooks: () => map, clock: systemClock, logger, env });
  cleanups.push(() => delivery.stop(1000));
  await delivery.ready();
  events.subscribe('webhooks', delivery.subscriber);
  if (start) delivery.start();
  return { events, delivery, keys };
}

async function jobCounts(keys: Keys): Promise<Record<string, number>> {
  const q = new Queue(WEBHOOK_QUEUE, { connection: { host: new URL(redisUrl()).hostname, port: Number(new URL(redisUrl()).port) }, prefix: keys.bullPrefix() });
  try {
    return await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  } finally {
    await q.close();
  }
}

test('a published event is delivered once, signed; a repeated add of the same job is harmless', async () => {
  const rx = await receiver(() => 204);
  cleanups.push(rx.close);
  const { logger } = capturedLogger();
  const { events, delivery, keys } = await rig([hook('crm', rx.url, { events: ['call.*'] })], logger, false);

  await events.publish({ type: 'call.answered', at: Date.now(), callId: 'c-1' });
  await events.publish({ type: 'agent.logged-in', at: Date.now(), agentId: 'a1', queues: [] }); // no hook wants it
  await events.drained();
  // The subscriber runs again for the same journal id while the job waits: same job id, one job.
  const [journalId] = (await redis.xrange(keys.journal(), '-', '+', 'COUNT', 1)).map(([id]) => id);
  await delivery.subscriber({ v: 1, type: 'call.answered', at: Date.now(), callId: 'c-1' }, Promise.resolve(journalId));
  expect((await jobCounts(keys)).waiting).toBe(1);
  delivery.start();
  const [first] = await waitFor('the delivery', () => rx.got.length > 0 && rx.got);
  expect(first!.headers['switchboard-event-id']).toBe(journalId);
  await waitFor('the queue to be empty', async () => {
    const c = await jobCounts(keys);
    return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0;
  });

  expect(rx.got).toHaveLength(1);
  const body = JSON.parse(first!.body) as { id: string; hook: string; event: { type: string; callId: string } };
  expect(body).toMatchObject({ id: journalId, hook: 'crm', event: { v: 1, type: 'call.answered', callId: 'c-1' } });
  expect(journalId).toMatch(/^\d+-\d+$/);
  expect(first!.headers).toMatchObject({ 'content-type': 'application/json', 'switchboard-event-type': 'call.answered', 'switchboard-webhook': 'crm' });
  const header = String(first!.headers['switchboard-signature']);
  expect(verifySignature(SECRET, header, first!.body, Math.floor(Date.now() / 1000))).toBe(true);
  expect(verifySignature('not-the-secret-0123456789', header, first!.body, Math.floor(Date.now() / 1000))).toBe(false);
});

test('a receiver answering 500, then down, is retried with backoff, then given up and logged', async () => {
  let rx: Awaited<ReturnType<typeof receiver>>;
  rx = await receiver((n) => {
    // After the second 500 the receiver goes away: the next attempts find the port closed.
    if (n === 2) setImmediate(() => void rx.close());
    return 500;
  });
  cleanups.push(async () => {
    if (rx.server.listening) await rx.close();
  });
  const { logger, lines, raw } = capturedLogger();
  const { events, keys } = await rig([hook('crm', rx.url, { maxAttempts: 4, backoffS: 0.2 })], logger);

  const started = performance.now();
  await events.publish({ type: 'queue.abandoned', at: Date.now(), callId: 'c-secret-body', queue: 'sales', position: 1, origPosition: 1, waitS: 3, ringing: false });
  const gaveUp = await waitFor('the give-up', () => lines.find((l) => l.msg === 'webhook given up'), 20_000);
  const elapsed = performance.now() - started;

  expect(rx.got).toHaveLength(2);
  // Retry 1 comes backoff (200 ms) after the first attempt (BullMQ's delayed set; allow its tick).
  expect(rx.got[1]!.at - rx.got[0]!.at).toBeGreaterThanOrEqual(190);
  expect(gaveUp).toMatchObject({ level: 40, hookId: 'crm', type: 'queue.abandoned', attempts: 4, lastError: 'ECONNREFUSED' });
  expect(gaveUp.journalId).toBe(rx.got[0]!.headers['switchboard-event-id']);
  // Three retries: 200 + 400 + 800 ms at least.
  expect(elapsed).toBeGreaterThanOrEqual(1400);
  const retried = lines.filter((l) => l.msg === 'webhook delivery failed; it is retried');
  expect(retried.map((l) => [l.attempts, l.lastStatus ?? l.lastError])).toEqual([
    [1, 500],
    [2, 500],
    [3, 'ECONNREFUSED'],
  ]);
  // Neither the secret nor anything of the body reaches the log.
  expect(raw.join('')).not.toContain(SECRET);
  expect(raw.join('')).not.toContain('c-secret-body');
  // Kept among the failed jobs for inspection.
  expect((await jobCounts(keys)).failed).toBe(1);
  process.stdout.write(`webhooks: given up after 4 attempts (backoff 0.2 s) in ${Math.round(elapsed)} ms\n`);
});

test('a receiver that never answers does not slow publish, and each request times out', async () => {
  const rx = await receiver(() => 'hang');
  cleanups.push(rx.close);
  const { logger, lines } = capturedLogger();
  const { events } = await rig([hook('slow', rx.url, { maxAttempts: 1, timeoutS: 0.5 })], logger);

  const perCall: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    const s = performance.now();
    await events.publish({ type: 'call.answered', at: Date.now(), callId: `c-${i}` });
    perCall.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  perCall.sort((a, b) => a - b);
  const p99 = perCall[Math.floor(perCall.length * 0.99)]!;
  const max = perCall.at(-1)!;
  process.stdout.write(`webhooks: 1,000 publish() with a hook to a hanging receiver: total ${total.toFixed(1)} ms, p99 ${(p99 * 1000).toFixed(0)} µs, max ${max.toFixed(2)} ms\n`);
  // Generous bounds: publish only issues work; nothing waits on the receiver (or on Redis).
  expect(max).toBeLessThan(50);
  expect(total).toBeLessThan(2000);
  await events.drained(); // every job added

  // The worker's 8 slots are held by requests that never get an answer: each gives up at its timeout.
  await waitFor('the first requests', () => rx.got.length >= 8);
  const firstArrived = rx.got[0]!.at;
  const timedOut = await waitFor('a request to time out', () => lines.find((l) => l.msg === 'webhook given up'), 10_000);
  const after = performance.now() - firstArrived;
  expect(timedOut).toMatchObject({ hookId: 'slow', type: 'call.answered', attempts: 1, lastError: 'no answer within 0.5 s' });
  expect(after).toBeGreaterThanOrEqual(450);
  expect(after).toBeLessThan(3000);
});
