// The statistics projector on real Redis: events appended with the real journal, two runners at
// once (each event counted exactly once: the figures equal a single pure fold), a rebuild, a
// restart, and the retention of the counters.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import pino from 'pino';
import type { SwitchboardEvent } from '../../src/events/catalogue';
import { RedisJournal } from '../../src/events/journal';
import type { Clock } from '../../src/platform/clock';
import { Keys } from '../../src/platform/redis/keys';
import { createStats, type Stats } from '../../src/stats';
import { agentFigures, CounterBook, initialState, projectAll, queueFigures, slotLabel, sumSlots } from '../../src/stats/domain';
import { paris, scenario, SETTINGS } from '../support/stats-scenario';
import { OwnRedis } from '../support/own-redis';
import { redisUrl } from '../support/stack';

jest.setTimeout(60_000);

const silent = pino({ level: 'silent' });
const clock: Clock = { now: () => paris('12:00:00') };
const RETENTION_DAYS = 36_500; // the scenario's dates stay within retention whatever today is
const IDS = { queue: ['sales', 'support'], agent: ['a1', 'a2'] } as const;
const DATES = ['2026-01-15', '2026-01-16'];

interface Instance {
  redis: Redis;
  stats: Stats;
}

const bySlot = <T>(slots: Map<number, T>): Array<[number, T]> => [...slots].sort((x, y) => x[0] - y[0]);

/** The rows a single pure fold of `events` gives, in the queries' shape. */
function expected(events: readonly SwitchboardEvent[]) {
  const p = projectAll(initialState(), events.map((event, i) => ({ id: `${i + 1}-0`, event })), SETTINGS);
  const book = new CounterBook().add(p.deltas);
  const out: unknown[] = [];
  for (const date of DATES) {
    for (const queue of IDS.queue) {
      const d = book.get('queue', queue, date);
      if (!d) continue;
      const formula = SETTINGS.queue(queue).formula;
      out.push({ queue, date, ...queueFigures(sumSlots(d.slots.values()), formula) });
      for (const [slot, c] of bySlot(d.slots)) out.push({ queue, date, interval: slotLabel(slot), ...queueFigures(c, formula) });
    }
    for (const agent of IDS.agent) {
      const d = book.get('agent', agent, date);
      if (!d) continue;
      out.push({ agent, date, ...agentFigures(sumSlots(d.slots.values())) });
      for (const [slot, c] of bySlot(d.slots)) out.push({ agent, date, interval: slotLabel(slot), ...agentFigures(c) });
    }
  }
  return out;
}

/** The same rows read back through the queries. */
async function actual(stats: Stats) {
  const out: unknown[] = [];
  for (const date of DATES) {
    const [qDay, qInt, aDay, aInt] = await Promise.all([
      stats.queries.queues({ date, interval: false }),
      stats.queries.queues({ date, interval: true }),
      stats.queries.agents({ date, interval: false }),
      stats.queries.agents({ date, interval: true }),
    ]);
    for (const queue of IDS.queue) out.push(...qDay.filter((r) => r.queue === queue), ...qInt.filter((r) => r.queue === queue));
    for (const agent of IDS.agent) out.push(...aDay.filter((r) => r.agent === agent), ...aInt.filter((r) => r.agent === agent));
  }
  return out;
}

describe('statistics projector on Redis', () => {
  const prefix = `t-stats-${randomUUID()}`;
  const keys = new Keys(prefix);
  const instances: Instance[] = [];
  let admin: Redis;
  let journal: RedisJournal;

  const instance = (batchSize: number): Instance => {
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const stats = createStats({ redis, keys, logger: silent, retentionDays: RETENTION_DAYS, settings: () => SETTINGS, runner: { batchSize, blockMs: 200 } });
    const i = { redis, stats };
    instances.push(i);
    return i;
  };

  beforeAll(() => {
    admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    journal = new RedisJournal(admin, keys, clock, RETENTION_DAYS);
  });

  afterAll(async () => {
    for (const i of instances) {
      await i.stats.runner.stop();
      i.redis.disconnect();
    }
    let cursor = '0';
    do {
      const [next, found] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await admin.del(...found);
    } while (cursor !== '0');
    admin.disconnect();
  });

  const events = scenario();

  it('two runners at once count every event exactly once', async () => {
    const a = instance(3);
    const b = instance(4);
    a.stats.runner.start();
    b.stats.runner.start();
    // Appended while both run, in small bursts, so their batches race for the same events.
    for (let i = 0; i < events.length; i += 5) {
      await Promise.all(events.slice(i, i + 5).map((e) => journal.append(e)));
      await Promise.all([a.stats.runner.caughtUp(), b.stats.runner.caughtUp()].slice(0, (i / 5) % 2 === 0 ? 1 : 2));
    }
    await Promise.all([a.stats.runner.caughtUp(), b.stats.runner.caughtUp()]);
    // Appends in a burst may land in any order: the fold takes them in journal order.
    const inJournal = (await journal.read('-', 10_000)).map((r) => r.event);
    expect(inJournal).toHaveLength(events.length);
    expect(await actual(a.stats)).toEqual(expected(inJournal));
    expect(await actual(b.stats)).toEqual(await actual(a.stats));
    expect((await a.stats.store.cursor()).n).toBe(events.length);
  });

  it('rebuild gives the same figures, in a new generation, while another runner runs', async () => {
    const [a, b] = instances;
    const before = await actual(a!.stats);
    const result = await b!.stats.runner.rebuild();
    expect(result).toMatchObject({ generation: 1, events: events.length });
    expect(result.dropped).toBeGreaterThan(0);
    await a!.stats.runner.caughtUp();
    expect(await actual(a!.stats)).toEqual(before);
    const [, old] = await admin.scan('0', 'MATCH', `${keys.statsGeneration(0)}*`, 'COUNT', 10_000);
    expect(old).toEqual([]);
  });

  it('a restart (runners stopped, a new one started) changes nothing, and goes on with new events', async () => {
    const before = await actual(instances[0]!.stats);
    for (const i of instances) await i.stats.runner.stop();
    const c = instance(100);
    c.stats.runner.start();
    await c.stats.runner.caughtUp();
    expect(await actual(c.stats)).toEqual(before);
    await journal.append({ v: 1, type: 'queue.entered', callId: 'c8', queue: 'sales', callerId: '1', position: 1, priority: 0, at: paris('11:00:00') });
    await c.stats.runner.caughtUp();
    const [sales] = await c.stats.queries.queues({ date: '2026-01-15', interval: false, queue: 'sales' });
    expect(sales?.offered).toBe(8);
    expect((await c.stats.store.cursor()).n).toBe(events.length + 1);
  });

  it('keeps each day for the retention after that day (EXPIREAT on counters and index)', async () => {
    const { stats } = instances[instances.length - 1]!;
    const gen = await stats.store.generation();
    const want = stats.store.expireAt('2026-01-15');
    expect(want).toBe(Date.UTC(2026, 0, 17) / 1000 + RETENTION_DAYS * 86_400);
    for (const key of [keys.statsDay(gen, 'queue', '2026-01-15', 'sales'), keys.statsIndex(gen, 'agent', '2026-01-15')]) {
      expect(Number(await admin.call('EXPIRETIME', key))).toBe(want);
    }
  });

  it('applies a batch only at the cursor it was read at, and never into a generation it was not read in', async () => {
    const { stats } = instances[instances.length - 1]!;
    const from = await stats.store.cursor();
    const batch = (lastId: string) => ({ lastId, events: 1, state: from.state, counters: new CounterBook().add([{ scope: 'queue', id: 'cas', date: '2026-01-15', slot: 0, metric: 'offered', value: 1 }]) });
    const next = `${Number(from.id.split('-')[0]) + 1}-0`;
    expect(await stats.store.apply(from, batch(next))).toBe(true);
    expect(await stats.store.apply(from, batch(`${Number(from.id.split('-')[0]) + 2}-0`))).toBe(false); // read before the first
    const after = await stats.store.cursor();
    expect(after).toMatchObject({ id: next, n: from.n + 1 });
    expect(await admin.hget(keys.statsDay(from.gen, 'queue', '2026-01-15', 'cas'), '0:offered')).toBe('1');
    // A runner that read before a rebuild bumped the generation cannot write into the new one.
    await stats.store.reset();
    expect(await stats.store.apply(after, batch(`${Number(next.split('-')[0]) + 1}-0`))).toBe(false);
    await stats.runner.caughtUp();
    expect((await stats.queries.queues({ date: '2026-01-15', interval: false })).map((r) => r.queue)).toEqual(['sales', 'support']);
  });

  it('keeps going after errors, pausing in between', async () => {
    const { stats } = instances[instances.length - 1]!;
    let failures = 2;
    const flaky = Object.create(stats.store) as typeof stats.store;
    flaky.cursor = () => (failures-- > 0 ? Promise.reject(new Error('Connection is closed.')) : stats.store.cursor());
    const pauses: number[] = [];
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const { ProjectorRunner } = await import('../../src/stats');
    const runner = new ProjectorRunner({ redis, keys, store: flaky, settings: () => SETTINGS, logger: silent, blockMs: 100, errorPauseMs: 1234, pause: async (ms) => void pauses.push(ms) });
    runner.start();
    await journal.append({ v: 1, type: 'queue.entered', callId: 'c9', queue: 'support', callerId: '1', position: 1, priority: 0, at: paris('11:00:00') });
    const deadline = Date.now() + 10_000;
    while ((await stats.queries.queues({ date: '2026-01-15', interval: false, queue: 'support' }))[0]?.offered !== 2) {
      if (Date.now() > deadline) throw new Error('the runner did not recover');
      await runner.caughtUp().catch(() => undefined);
    }
    await runner.stop();
    redis.disconnect();
    expect(pauses).toEqual([1234, 1234]);
  });

  it('answers the live view of a queue', async () => {
    const { stats } = instances[instances.length - 1]!;
    expect(await stats.queries.current('sales', paris('10:05:00'))).toMatchObject({ date: '2026-01-15', intervalStart: '10:00', formula: 'sl1', today: 0.5, interval: 0.5, offeredToday: 8, answeredToday: 2 });
    expect(await stats.queries.current('sales', paris('10:20:00'))).toMatchObject({ intervalStart: '10:15', interval: null });
    expect(await stats.queries.queues({ date: '2026-01-15', interval: false, ids: new Set(['support']) })).toHaveLength(1);
  });
});

describe('statistics projector across a Redis crash (append-only file, fsync always)', () => {
  let own: OwnRedis;
  afterAll(async () => {
    await own?.stop();
  });

  it('Redis killed with SIGKILL and restarted mid-stream: every event counted once, the runner carries on by itself', async () => {
    own = await OwnRedis.start();
    const keys = new Keys(`t-stats-crash-${randomUUID().slice(0, 8)}`);
    const events = scenario();
    const half = Math.floor(events.length / 2);
    const writer = new Redis(own.url, { maxRetriesPerRequest: 20 });
    const journal = new RedisJournal(writer, keys, clock, RETENTION_DAYS);
    const redis = new Redis(own.url, { maxRetriesPerRequest: 20 });
    const stats = createStats({ redis, keys, logger: silent, retentionDays: RETENTION_DAYS, settings: () => SETTINGS, runner: { batchSize: 4, blockMs: 200, errorPauseMs: 50 } });
    stats.runner.start();
    try {
      for (const e of events.slice(0, half)) await journal.append(e);
      await stats.runner.caughtUp();
      await own.crash();
      await own.restart();
      for (const e of events.slice(half)) await journal.append(e);
      await stats.runner.caughtUp();
      const inJournal = (await journal.read('-', 10_000)).map((r) => r.event);
      expect(inJournal).toHaveLength(events.length);
      expect(await actual(stats)).toEqual(expected(inJournal));
      expect((await stats.store.cursor()).n).toBe(events.length);
    } finally {
      await stats.runner.stop();
      redis.disconnect();
      writer.disconnect();
    }
  });
});
