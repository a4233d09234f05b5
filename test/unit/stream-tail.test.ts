// The journal tail against a scripted Redis: it starts at the journal's end, pauses after a failed
// read and goes on from the same id, and stops when its last listener leaves.
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import pino from 'pino';
import { Keys } from '../../src/platform/redis/keys';
import { JournalTail, type JournalEntry } from '../../src/stream/journal-tail';

type Row = [string, string[]];
const row = (id: string, type = 'call.answered'): Row => [id, ['type', type, 'event', JSON.stringify({ v: 1, type, callId: 'c', at: 1 })]];

/** The tail's own connection: each XREAD takes the next scripted answer, or blocks until disconnected. */
class FakeConn extends EventEmitter {
  status = 'ready';
  readonly reads: string[] = [];
  private pending: ((err: Error) => void) | undefined;
  constructor(private readonly script: Array<Error | Row[]>) {
    super();
  }
  xread(...args: Array<string | number>): Promise<Array<[string, Row[]]> | null> {
    this.reads.push(String(args[args.length - 1]));
    const next = this.script.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next) return Promise.resolve([['sb:journal', next]]);
    return new Promise((_resolve, reject) => (this.pending = reject));
  }
  disconnect(): void {
    this.status = 'end';
    this.pending?.(new Error('Connection is closed.'));
    this.emit('end');
  }
}

function fakeRedis(end: string | undefined, script: Array<Error | Row[]>, failStart = false) {
  const conns: FakeConn[] = [];
  const redis = {
    xrevrange: async () => {
      if (failStart) throw new Error('connect ECONNREFUSED');
      return end ? [row(end)] : [];
    },
    duplicate: () => {
      const c = new FakeConn(script);
      conns.push(c);
      return c;
    },
  };
  return { redis: redis as unknown as Redis, conns };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const logger = pino({ level: 'silent' });

test('reads from the end of the journal, survives failed reads with a pause, and goes on from its last id', async () => {
  const { redis, conns } = fakeRedis('10-0', [new Error('read ECONNRESET'), new Error('Connection is closed.'), [row('11-0'), row('12-0', 'call.ended')], [row('13-0')]]);
  const pauses: number[] = [];
  const tail = new JournalTail(redis, new Keys('sb'), logger, { retryMs: 250, pause: async (ms) => void pauses.push(ms) });
  const got: JournalEntry[] = [];
  const leave = await tail.subscribe((entries) => got.push(...entries));
  await until(() => got.length === 3, 'three entries');
  expect(got.map((e) => [e.id, e.event.type])).toEqual([
    ['11-0', 'call.answered'],
    ['12-0', 'call.ended'],
    ['13-0', 'call.answered'],
  ]);
  expect(got[1]!.frame).toMatch(/^id: 12-0\nevent: call\.ended\ndata: \{.*\}\n\n$/);
  expect(pauses).toEqual([250, 250]); // one pause per failed read: no busy loop
  await until(() => conns[0]!.reads.length === 5, 'the next read');
  expect(conns[0]!.reads).toEqual(['10-0', '10-0', '10-0', '12-0', '13-0']);
  expect(tail.stats()).toEqual({ listeners: 1, running: true });
  leave();
  await until(() => conns[0]!.status === 'end', 'the connection to close');
  expect(tail.stats()).toEqual({ listeners: 0, running: false });
});

test('starts once for many listeners, stops with the last, and starts afresh for the next', async () => {
  const { redis, conns } = fakeRedis(undefined, []);
  const tail = new JournalTail(redis, new Keys('sb'), logger, { pause: async () => undefined });
  const a = await tail.subscribe(() => undefined);
  const b = await tail.subscribe(() => undefined);
  await until(() => conns[0]?.reads.length === 1, 'a read');
  expect(conns[0]!.reads).toEqual(['0-0']); // an empty journal
  a();
  expect(tail.stats().running).toBe(true);
  b();
  await until(() => conns[0]!.status === 'end', 'the connection to close');
  const c = await tail.subscribe(() => undefined);
  await until(() => conns.length === 2 && conns[1]!.reads.length === 1, 'a second connection');
  c();
  await tail.stop();
  expect(conns.map((x) => x.status)).toEqual(['end', 'end']);
});

test('a tail that cannot learn where the journal ends refuses the subscriber and keeps nothing', async () => {
  const { redis, conns } = fakeRedis('1-0', [], true);
  const tail = new JournalTail(redis, new Keys('sb'), logger, { pause: async () => undefined });
  await expect(tail.subscribe(() => undefined)).rejects.toThrow('ECONNREFUSED');
  expect(tail.stats()).toEqual({ listeners: 0, running: false });
  expect(conns).toHaveLength(0);
});

test('a row that is not a readable event is skipped, and the tail still moves past it', async () => {
  const { redis, conns } = fakeRedis('1-0', [[['2-0', ['type', 'x', 'event', '{oops']], row('3-0')]]);
  const tail = new JournalTail(redis, new Keys('sb'), logger, { pause: async () => undefined });
  const got: string[] = [];
  const leave = await tail.subscribe((entries) => got.push(...entries.map((e) => e.id)));
  await until(() => conns[0]!.reads.length === 2, 'the next read');
  expect(got).toEqual(['3-0']);
  expect(conns[0]!.reads[1]).toBe('3-0');
  leave();
});
