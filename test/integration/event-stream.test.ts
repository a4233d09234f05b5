// The event stream (GET /api/v1/events) on a real Redis, through a plain Node HTTP server, read by
// a real client (fetch + eventsource-parser): order and ids, resumption without gaps or
// duplicates (also while events keep coming), an expired position, heartbeats, visibility,
// refusals, another instance's events, a Redis connection cut, and a client that stops reading.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import pino from 'pino';
import type { SwitchboardEvent } from '../../src/events';
import { RedisJournal } from '../../src/events/journal';
import { Keys } from '../../src/platform/redis/keys';
import { createEventStream, StreamRequestError, streamRequestOf, type EventStream, type EventStreamDeps } from '../../src/stream';
import { redisUrl } from '../support/stack';

import type * as Esp from 'eventsource-parser';
import { createParser } from '../support/sse-client';

const logger = pino({ level: 'silent' });
let redis: Redis;
let other: Redis; // a second Switchboard instance's connection
let keys: Keys;
let prefix: string;
let journal: RedisJournal;
let stream: EventStream;
let server: Server;
let base: string;
const open: Array<{ close(): void }> = [];

beforeAll(() => {
  redis = new Redis(redisUrl());
  other = new Redis(redisUrl());
});
afterAll(() => {
  redis.disconnect();
  other.disconnect();
});

async function serve(options: Partial<EventStreamDeps> = {}): Promise<void> {
  stream = createEventStream({ redis, keys, logger, heartbeatMs: 60_000, pause: () => new Promise((r) => setTimeout(r, 20)), blockMs: 1000, ...options });
  server = createServer((req, res) => {
    // The test's stand-in for roles: "x-agent" sees only events that name that agent.
    const agent = req.headers['x-agent'];
    const visible = (e: SwitchboardEvent) => typeof agent !== 'string' || ('agentId' in e && e.agentId === agent);
    stream.handle(req, res, { visible, ...streamRequestOf(req) }).catch((err: unknown) => {
      const status = err instanceof StreamRequestError ? err.status : 500;
      res.writeHead(status, { 'Content-Type': 'application/problem+json' }).end(JSON.stringify({ status, detail: String(err), invalid: err instanceof StreamRequestError ? err.invalid : undefined }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`;
}

async function shutServer(): Promise<void> {
  const closed = new Promise((r) => server.close(r));
  server.closeAllConnections(); // kept-alive client connections would hold close() up
  await closed;
}

beforeEach(async () => {
  prefix = `sbit-sse-${randomUUID().slice(0, 8)}`;
  keys = new Keys(prefix);
  journal = new RedisJournal(redis, keys, { now: () => Date.now() }, 1);
  await serve();
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await stream.stop();
  await shutServer();
  const found = await redis.keys(`${prefix}:*`);
  if (found.length > 0) await redis.del(...found);
});

/** Waits for a condition, polling, until a deadline. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Sse {
  status: number;
  headers: Headers;
  messages: Esp.EventSourceMessage[];
  events: Esp.EventSourceMessage[]; // without error events
  comments: string[];
  retry: number | undefined;
  ended: boolean;
  /** Stop / go on reading the body (a client that stops reading). */
  pause(): void;
  resume(): void;
  close(): void;
}

/** Opens the stream; resolves once the server has subscribed it (the retry hint arrived). */
async function connect(query = '', headers: Record<string, string> = {}): Promise<Sse> {
  const abort = new AbortController();
  const res = await fetch(`${base}${query}`, { headers, signal: abort.signal });
  let paused = false;
  let reading = false;
  const sse: Sse = {
    status: res.status,
    headers: res.headers,
    messages: [],
    events: [],
    comments: [],
    retry: undefined,
    ended: false,
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      void read();
    },
    close: () => abort.abort(),
  };
  open.push(sse);
  if (!res.ok || !res.body) return sse;
  const parser = createParser({
    onEvent: (m) => {
      sse.messages.push(m);
      if (m.event !== 'error') sse.events.push(m);
    },
    onComment: (c) => void sse.comments.push(c),
    onRetry: (ms) => void (sse.retry = ms),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const read = async (): Promise<void> => {
    if (reading) return;
    reading = true;
    try {
      while (!paused) {
        const { done, value } = await reader.read();
        if (done) return void (sse.ended = true);
        parser.feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      sse.ended = true; // aborted
    } finally {
      reading = false;
    }
  };
  void read();
  await until(() => sse.retry !== undefined, 'the retry hint');
  return sse;
}

const answered = (i: number): SwitchboardEvent => ({ v: 1, type: 'call.answered', callId: `c${i}`, at: i });
async function append(from: number, to: number, j: RedisJournal = journal): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i <= to; i++) ids.push(await j.append(answered(i)));
  return ids;
}
const callIds = (s: Sse) => s.events.map((m) => (JSON.parse(m.data) as { callId: string }).callId);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `c${from + k}`);

test('journal events arrive in order, each with its journal id, type and JSON; SSE headers, retry and heartbeats', async () => {
  await stream.stop();
  await shutServer();
  await serve({ heartbeatMs: 30 });
  const s = await connect();
  expect(s.status).toBe(200);
  expect([s.headers.get('content-type'), s.headers.get('cache-control'), s.headers.get('x-accel-buffering')]).toEqual(['text/event-stream; charset=utf-8', 'no-cache', 'no']);
  expect(s.retry).toBe(2000);
  const ids = await append(1, 5);
  await until(() => s.events.length === 5, 'five events');
  expect(s.events.map((m) => [m.id, m.event])).toEqual(ids.map((id) => [id, 'call.answered']));
  expect(JSON.parse(s.events[2]!.data)).toEqual(answered(3));
  await until(() => s.comments.length >= 2, 'heartbeats');
  expect(s.comments[0]).toBe('keep-alive');
});

test('a client that reconnects with Last-Event-ID gets exactly what it missed, then live events', async () => {
  const first = await connect();
  const ids = await append(1, 3);
  await until(() => first.events.length === 3, 'three events');
  first.close();
  await until(() => stream.stats().clients === 0, 'the server to drop the client');
  expect(stream.stats().tail).toEqual({ listeners: 0, running: false }); // the last client left: the tail stops
  const missed = await append(4, 8);
  const again = await connect('', { 'Last-Event-ID': ids[2]! });
  await until(() => again.events.length === 5, 'the backlog');
  expect(again.events.map((m) => m.id)).toEqual(missed);
  await append(9, 10);
  await until(() => again.events.length === 7, 'live events');
  expect(callIds(again)).toEqual(range(4, 10));
  expect(again.messages.filter((m) => m.event === 'error')).toEqual([]);
  // ?since= does the same for clients that cannot set headers.
  const since = await connect(`?since=${missed[3]}`);
  await until(() => since.events.length === 3, 'since');
  expect(callIds(since)).toEqual(range(8, 10));
});

test('while events keep coming, a reconnection is gapless and without duplicates', async () => {
  let appending = true;
  const writer = new RedisJournal(other, keys, { now: () => Date.now() }, 1);
  let n = 0;
  const loop = (async () => {
    while (appending) await writer.append(answered(++n));
  })();
  try {
    const first = await connect();
    await until(() => first.events.length >= 50, 'some events');
    first.close();
    const lastSeen = first.events[first.events.length - 1]!.id!; // what the client had when it left
    const again = await connect('', { 'Last-Event-ID': lastSeen });
    await until(() => again.events.length >= 300, 'events after the reconnection', 10_000);
    appending = false;
    await loop;
    const expected = (await redis.xrange(keys.journal(), `(${lastSeen}`, '+')).map(([id]) => id);
    await until(() => again.events.length >= expected.length, 'the rest');
    expect(again.events.map((m) => m.id)).toEqual(expected);
  } finally {
    appending = false;
    await loop;
  }
});

test('a long resumption with a small buffer stays gapless while events keep coming (the journal refills what was dropped)', async () => {
  await stream.stop();
  await shutServer();
  await serve({ maxBuffered: 5, pageSize: 20 });
  const [start] = await append(1, 400);
  let appending = true;
  const writer = new RedisJournal(other, keys, { now: () => Date.now() }, 1);
  let n = 400;
  const loop = (async () => {
    while (appending) await writer.append(answered(++n));
  })();
  try {
    const s = await connect('', { 'Last-Event-ID': start! });
    await until(() => s.events.length >= 700, 'the backlog and live events', 10_000);
    appending = false;
    await loop;
    await until(() => s.events.length >= n - 1, 'the rest');
    expect(callIds(s)).toEqual(range(2, n));
    expect(s.messages.filter((m) => m.event === 'error')).toEqual([]);
  } finally {
    appending = false;
    await loop;
  }
});

test('a position older than what the journal holds gets an error event, then the oldest kept events', async () => {
  const ids = await append(1, 10);
  await redis.xtrim(keys.journal(), 'MINID', ids[5]!); // keeps events 6..10
  const late = await connect('', { 'Last-Event-ID': ids[2]! });
  await until(() => late.events.length === 5, 'the kept events');
  const error = late.messages[0]!;
  expect([error.event, error.id]).toEqual(['error', undefined]);
  const problem = JSON.parse(error.data) as Record<string, string>;
  expect(problem).toMatchObject({ type: 'urn:switchboard:problem:stream-position-expired', oldest: ids[5] });
  expect(problem.detail).toContain(`continues from the oldest event it still holds (${ids[5]})`);
  expect(callIds(late)).toEqual(range(6, 10));
  // A position still held resumes without an error.
  const fine = await connect('', { 'Last-Event-ID': ids[6]! });
  await until(() => fine.events.length === 3, 'events 8..10');
  expect([fine.messages.length, callIds(fine)]).toEqual([3, range(8, 10)]);
});

test('the visibility predicate and the types filter apply to backlog and live events', async () => {
  const agentEvent = (agentId: string, at: number): SwitchboardEvent => ({ v: 1, type: 'agent.reachability', agentId, reachable: true, at });
  const start = await journal.append(answered(0));
  await journal.append(agentEvent('a1', 1));
  await journal.append(agentEvent('a2', 2));
  const agent = await connect('', { 'x-agent': 'a1', 'Last-Event-ID': start });
  const typed = await connect(`?since=${start}&types=agent.*`);
  await journal.append(answered(3));
  await journal.append(agentEvent('a1', 4));
  await journal.append(agentEvent('a2', 5));
  await until(() => agent.events.length === 2 && typed.events.length === 4, 'the filtered events');
  expect(agent.events.map((m) => JSON.parse(m.data) as { agentId: string; at: number }).map((e) => [e.agentId, e.at])).toEqual([
    ['a1', 1],
    ['a1', 4],
  ]);
  expect(typed.events.map((m) => m.event)).toEqual(Array(4).fill('agent.reachability'));
});

test('a bad Last-Event-ID or types filter is refused with 400 before the stream starts', async () => {
  const bad = await fetch(base, { headers: { 'Last-Event-ID': 'not-an-id' } });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ invalid: [{ name: 'Last-Event-ID' }] });
  const badSince = await fetch(`${base}?since=123`);
  expect(badSince.status).toBe(400);
  const badTypes = await fetch(`${base}?types=queue.nope`);
  expect(badTypes.status).toBe(400);
  expect(await badTypes.json()).toMatchObject({ invalid: [{ name: 'types' }] });
  expect(stream.stats()).toEqual({ clients: 0, buffered: 0, tail: { listeners: 0, running: false } });
});

test("another instance's appends are streamed, also across a cut of the tail's Redis connection", async () => {
  const s = await connect();
  const elsewhere = new RedisJournal(other, keys, { now: () => Date.now() }, 1);
  await append(1, 3, elsewhere);
  await until(() => s.events.length === 3, "the other instance's events");
  // Cut the tail's connection (as a Redis restart would); it reconnects and goes on from its last id.
  const list = await redis.client('LIST');
  const tailIds = String(list)
    .split('\n')
    .filter((l) => l.includes(`name=journal-tail:${prefix}:journal `))
    .map((l) => /\bid=(\d+)/.exec(l)?.[1]);
  expect(tailIds).toHaveLength(1);
  await redis.client('KILL', 'ID', tailIds[0]!);
  await append(4, 6, elsewhere);
  await until(() => s.events.length === 6, 'events after the cut');
  expect(callIds(s)).toEqual(range(1, 6));
});

test('a client that stops reading is cut with stream-too-slow instead of growing memory', async () => {
  await stream.stop();
  await shutServer();
  await serve({ maxBuffered: 50 });
  const s = await connect();
  s.pause();
  // Big events fill the socket buffers quickly, so the server's own buffer starts to fill.
  const big = (i: number): SwitchboardEvent => ({ v: 1, type: 'config.refused', problems: [`${i}`, 'x'.repeat(16_000)], at: i });
  let appended = 0;
  let maxBuffered = 0;
  await until(
    async () => {
      await Promise.all(Array.from({ length: 20 }, () => journal.append(big(++appended))));
      maxBuffered = Math.max(maxBuffered, stream.stats().buffered);
      return stream.stats().clients === 0;
    },
    'the slow client to be cut',
    30_000,
  );
  expect(maxBuffered).toBeLessThanOrEqual(50);
  s.resume();
  await until(() => s.ended, 'the end of the stream', 10_000);
  const last = s.messages[s.messages.length - 1]!;
  expect(last.event).toBe('error');
  expect(JSON.parse(last.data)).toMatchObject({ type: 'urn:switchboard:problem:stream-too-slow' });
  expect(s.events.length).toBeLessThan(appended); // what it could not take was not kept for it
  // What it received is a gapless prefix, so it can resume with Last-Event-ID.
  expect(s.events.map((m) => Number((JSON.parse(m.data) as { problems: string[] }).problems[0]))).toEqual(Array.from({ length: s.events.length }, (_, k) => k + 1));
});
