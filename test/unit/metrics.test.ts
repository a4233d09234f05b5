// The metrics feature: counters and histograms from a scripted day of events, gauges from fake
// sources, the naming rules, and scrapes that survive failing or hanging sources.
import { EVENT_VERSION, type NewEvent, type SwitchboardEvent } from '../../src/events/catalogue';
import { Metrics, summariseQueues, type MetricsOptions, type MetricsSources, type QueueSnapshot } from '../../src/metrics';

interface Sample {
  value?: string;
  labels?: Record<string, string>;
}
interface Family {
  name: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}
// The package ships no types; this is the shape its README documents.
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

const ev = (e: NewEvent): SwitchboardEvent => ({ v: EVENT_VERSION, ...e }) as SwitchboardEvent;

const QUEUES: QueueSnapshot[] = [
  { id: 'sales', waiting: 2, longestWaitS: 42.5, agents: { available: 3, 'on-call': 1 }, serviceLevelGoal: { thresholdS: 20, targetRatio: 0.8 } },
  { id: 'support', waiting: 0, longestWaitS: 0, agents: {} },
  { id: 'quiet', waiting: 0, longestWaitS: 0, agents: { paused: 1 } },
];

function fakeSources(over: Partial<MetricsSources> = {}): MetricsSources {
  return {
    queues: async () => QUEUES,
    serviceLevel: async (q) => ({ sales: 0.75, support: null, quiet: null })[q] ?? null,
    ariConnected: () => true,
    redisPing: async () => 'PONG',
    ...over,
  };
}

const debug = jest.fn();
function metrics(over: Partial<MetricsSources> = {}, options: Partial<MetricsOptions> = {}): Metrics {
  return new Metrics({ sources: fakeSources(over), logger: { debug }, timeoutMs: 200, ...options });
}

interface Scrape {
  families: Map<string, Family>;
  /** Every series by sample name, histograms as their _bucket, _sum and _count samples. */
  series: Map<string, Sample[]>;
}

async function scrape(m: Metrics): Promise<Scrape> {
  const text = await m.render();
  const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
  // parse-prometheus-text-format merges a histogram's labelled series into one and drops their
  // labels; read as untyped, each _bucket, _sum and _count line keeps its labels.
  const series = new Map<string, Sample[]>();
  for (const f of parsePrometheus(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'))) series.set(f.name, [...(series.get(f.name) ?? []), ...f.metrics]);
  return { families, series };
}

/** The samples named `name` whose labels include `labels`. */
function samples(s: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  const found = s.series.get(name);
  if (!found) throw new Error(`no metric ${name}`);
  return found.filter((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
}
function value(s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(s, name, labels);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0] ? Number(found[0].value) : undefined;
}
function histogram(s: Scrape, name: string, labels: Record<string, string>): { count: number | undefined; sum: number | undefined; buckets: Record<string, number> } {
  expect(s.families.get(name)?.type).toBe('HISTOGRAM');
  const buckets = Object.fromEntries(samples(s, `${name}_bucket`, labels).map((b) => [b.labels?.le, Number(b.value)]));
  return { count: value(s, `${name}_count`, labels), sum: value(s, `${name}_sum`, labels), buckets };
}

const q = (queue: string) => ({ queue });

/** A scripted stretch of a day: every counter and histogram below is derived from it by hand. */
const SCRIPT: NewEvent[] = [
  { type: 'call.arrived', at: 1, callId: 'c1', number: '100', callerId: '555' },
  { type: 'call.arrived', at: 1, callId: 'c2', number: '100', callerId: '555' },
  { type: 'call.arrived', at: 1, callId: 'c3', number: '100', callerId: '555' },
  { type: 'call.refused', at: 1, callId: 'c9', number: '100', callerId: '555', reason: 'event-loop' },
  { type: 'queue.entered', at: 2, callId: 'c1', queue: 'sales', callerId: '555', position: 1, priority: 0 },
  { type: 'queue.entered', at: 2, callId: 'c2', queue: 'sales', callerId: '555', position: 2, priority: 0 },
  { type: 'queue.entered', at: 2, callId: 'c3', queue: 'support', callerId: '555', position: 1, priority: 0 },
  { type: 'queue.entered', at: 2, callId: 'cb-1', queue: 'sales', callerId: '556', position: 3, priority: 0 },
  { type: 'queue.ring-no-answer', at: 3, callId: 'c1', queue: 'sales', agentId: 'a1', ringMs: 15_000, cause: 'no-answer' },
  { type: 'queue.connected', at: 4, callId: 'c1', queue: 'sales', agentId: 'a2', legId: 'l1', holdS: 25, ringS: 4 },
  { type: 'queue.connected', at: 4, callId: 'cb-1', queue: 'sales', agentId: 'a3', legId: 'l2', holdS: 3, ringS: 2 },
  { type: 'queue.ring-canceled', at: 5, callId: 'c2', queue: 'sales', agentId: 'a1', ringMs: 2_500 },
  { type: 'queue.abandoned', at: 5, callId: 'c2', queue: 'sales', position: 1, origPosition: 2, waitS: 70, ringing: true },
  { type: 'queue.abandoned', at: 5, callId: 'c3', queue: 'support', position: 1, origPosition: 1, waitS: 4, ringing: false },
  { type: 'queue.completed', at: 6, callId: 'c1', queue: 'sales', agentId: 'a2', by: 'caller', holdS: 25, talkS: 200, origPosition: 1 },
  { type: 'queue.completed', at: 6, callId: 'cb-1', queue: 'sales', agentId: 'a3', by: 'agent', holdS: 3, talkS: 40, origPosition: 3 },
  { type: 'queue.refused', at: 7, callId: 'c4', queue: 'support', callerId: '555', reason: 'full', position: 9 },
  { type: 'queue.exited', at: 7, callId: 'c5', queue: 'sales', position: 1, origPosition: 1, waitS: 300, reason: 'timeout' },
  { type: 'callback.requested', at: 8, callbackId: 'k1', queue: 'sales', number: '556', origin: 'in-queue', dueAt: 8, priority: 0, createdBy: 'caller' },
  { type: 'callback.requested', at: 8, callbackId: 'k2', queue: 'sales', number: '557', origin: 'scheduled', dueAt: 8, priority: 0, createdBy: 'admin' },
  { type: 'callback.connected', at: 9, callbackId: 'k1', callId: 'cb-1', queue: 'sales', agentId: 'a3', attempt: 1 },
  { type: 'callback.failed', at: 9, callbackId: 'k2', queue: 'sales', attempt: 3, reason: 'no-answer' },
  { type: 'callback.cancelled', at: 9, callbackId: 'k3', queue: 'support', by: 'admin' },
  { type: 'queue.sla-breached', at: 9, callId: 'c1', queue: 'sales', waitS: 20, thresholdS: 20 },
  { type: 'queue.sla-breached', at: 9, callId: 'c2', queue: 'sales', waitS: 20, thresholdS: 20 },
  // Events the metrics do not count must pass through harmlessly.
  { type: 'agent.logged-in', at: 10, agentId: 'a1', queues: ['sales'] },
  { type: 'config.reloaded', at: 10, files: [] },
];

function feed(m: Metrics): void {
  for (const e of SCRIPT) m.subscriber(ev(e));
}

describe('Metrics: counters and histograms from events', () => {
  let fams: Scrape;
  beforeAll(async () => {
    const m = metrics({}, { shortAbandonS: (queue) => (queue === 'support' ? 5 : undefined) });
    feed(m);
    fams = await scrape(m);
  });

  it('counts calls at the door', () => {
    expect(value(fams, 'switchboard_calls_arrived_total')).toBe(3);
    expect(value(fams, 'switchboard_calls_refused_total', { reason: 'event-loop' })).toBe(1);
    expect(value(fams, 'switchboard_calls_refused_total', { reason: 'max-calls' })).toBe(0);
  });

  it('counts offered, answered, abandoned, SLA breaches per queue', () => {
    expect(value(fams, 'switchboard_calls_offered_total', q('sales'))).toBe(3);
    expect(value(fams, 'switchboard_calls_offered_total', q('support'))).toBe(1);
    expect(value(fams, 'switchboard_calls_answered_total', q('sales'))).toBe(2);
    expect(value(fams, 'switchboard_calls_answered_total', q('support'))).toBe(0);
    expect(value(fams, 'switchboard_calls_abandoned_total', q('sales'))).toBe(1);
    expect(value(fams, 'switchboard_calls_abandoned_total', q('support'))).toBe(1);
    expect(value(fams, 'switchboard_calls_abandoned_short_total', q('support'))).toBe(1);
    expect(value(fams, 'switchboard_calls_abandoned_short_total', q('sales'))).toBe(0);
    expect(value(fams, 'switchboard_sla_breaches_total', q('sales'))).toBe(2);
    expect(value(fams, 'switchboard_queue_refused_total', { queue: 'support', reason: 'full' })).toBe(1);
    expect(value(fams, 'switchboard_queue_exited_total', { queue: 'sales', reason: 'timeout' })).toBe(1);
  });

  it('counts callbacks by outcome', () => {
    const cb = (queue: string, outcome: string) => value(fams, 'switchboard_callbacks_total', { queue, outcome });
    expect([cb('sales', 'requested'), cb('sales', 'connected'), cb('sales', 'failed'), cb('sales', 'cancelled')]).toEqual([2, 1, 1, 0]);
    expect(cb('support', 'cancelled')).toBe(1);
  });

  it('observes waits by outcome, rings and talk times exactly', () => {
    const answered = histogram(fams, 'switchboard_queue_wait_seconds', { queue: 'sales', outcome: 'answered' });
    expect(answered).toMatchObject({ count: 2, sum: 28 });
    expect(answered.buckets).toMatchObject({ '2': 0, '5': 1, '20': 1, '30': 2, '+Inf': 2 });
    expect(histogram(fams, 'switchboard_queue_wait_seconds', { queue: 'sales', outcome: 'abandoned' })).toMatchObject({ count: 1, sum: 70 });
    expect(histogram(fams, 'switchboard_queue_wait_seconds', { queue: 'support', outcome: 'abandoned' })).toMatchObject({ count: 1, sum: 4 });
    expect(histogram(fams, 'switchboard_agent_ring_seconds', { queue: 'sales', outcome: 'answered' })).toMatchObject({ count: 2, sum: 6 });
    expect(histogram(fams, 'switchboard_agent_ring_seconds', { queue: 'sales', outcome: 'no-answer' })).toMatchObject({ count: 1, sum: 15 });
    expect(histogram(fams, 'switchboard_agent_ring_seconds', { queue: 'sales', outcome: 'canceled' })).toMatchObject({ count: 1, sum: 2.5 });
    const talk = histogram(fams, 'switchboard_call_talk_seconds', q('sales'));
    expect(talk).toMatchObject({ count: 2, sum: 240 });
    expect(talk.buckets).toMatchObject({ '30': 0, '60': 1, '180': 1, '300': 2 });
  });

  it('has every configured queue at zero before its first call (so increase() sees the first one)', () => {
    expect(value(fams, 'switchboard_calls_offered_total', q('quiet'))).toBe(0);
    expect(histogram(fams, 'switchboard_queue_wait_seconds', { queue: 'quiet', outcome: 'answered' })).toMatchObject({ count: 0, sum: 0 });
  });

  it('returns nothing to the event bus (which would take a returned value for a promise and log a failed subscriber)', () => {
    const m = metrics({}, { shortAbandonS: () => 5 });
    expect(SCRIPT.map((e) => m.subscriber(ev(e)))).toEqual(SCRIPT.map(() => undefined));
  });

  it('has no short-abandon counter without a threshold function', async () => {
    expect((await scrape(metrics())).families.has('switchboard_calls_abandoned_short_total')).toBe(false);
  });
});

describe('Metrics: gauges read at scrape', () => {
  it('reports waiting calls, longest wait, agents by state, service level and its goal', async () => {
    const fams = await scrape(metrics());
    expect(value(fams, 'switchboard_queue_waiting_calls', q('sales'))).toBe(2);
    expect(value(fams, 'switchboard_queue_longest_wait_seconds', q('sales'))).toBe(42.5);
    const agents = (queue: string) => Object.fromEntries(samples(fams, 'switchboard_queue_agents', q(queue)).map((s) => [s.labels?.state, Number(s.value)]));
    expect(agents('sales')).toEqual({ available: 3, reserved: 0, 'on-call': 1, 'wrap-up': 0, paused: 0 });
    expect(agents('quiet')).toEqual({ available: 0, reserved: 0, 'on-call': 0, 'wrap-up': 0, paused: 1 });
    expect(value(fams, 'switchboard_queue_service_level_ratio', { queue: 'sales', period: 'interval' })).toBe(0.75);
    // null: nothing to rate yet, so no sample (not a misleading 0 or 1).
    expect(samples(fams, 'switchboard_queue_service_level_ratio', q('support'))).toEqual([]);
    expect(value(fams, 'switchboard_queue_service_level_target_ratio', q('sales'))).toBe(0.8);
    expect(value(fams, 'switchboard_queue_service_level_threshold_seconds', q('sales'))).toBe(20);
    expect(samples(fams, 'switchboard_queue_service_level_target_ratio', q('support'))).toEqual([]);
    expect(value(fams, 'switchboard_ari_connected')).toBe(1);
    expect(value(fams, 'switchboard_redis_up')).toBe(1);
    expect(value(fams, 'switchboard_redis_latency_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('reads the queues once per scrape, and drops a queue that is gone', async () => {
    let reads = 0;
    let figures = QUEUES;
    const m = metrics({ queues: async () => (reads++, figures) });
    await m.render();
    expect(reads).toBe(1);
    figures = QUEUES.filter((x) => x.id !== 'sales');
    const fams = await scrape(m);
    expect(samples(fams, 'switchboard_queue_waiting_calls', q('sales'))).toEqual([]);
    expect(samples(fams, 'switchboard_queue_agents', q('sales'))).toEqual([]);
  });

  it('says ARI is down with 0', async () => {
    expect(value(await scrape(metrics({ ariConnected: () => false })), 'switchboard_ari_connected')).toBe(0);
  });
});

describe('Metrics: a failing source never breaks the scrape', () => {
  beforeEach(() => debug.mockClear());

  it('leaves out the samples of sources that throw, and logs them at debug', async () => {
    const m = metrics({
      queues: async () => {
        throw new Error('redis away');
      },
      ariConnected: () => {
        throw new Error('no link');
      },
      redisPing: () => Promise.reject(new Error('ECONNREFUSED')),
    });
    m.subscriber(ev(SCRIPT[0]!));
    const fams = await scrape(m);
    expect(samples(fams, 'switchboard_queue_waiting_calls')).toEqual([]);
    expect(samples(fams, 'switchboard_queue_service_level_ratio')).toEqual([]);
    // Unlabelled gauges cannot be left out: NaN is Prometheus's "unknown".
    expect(value(fams, 'switchboard_ari_connected')).toBeNaN();
    expect(value(fams, 'switchboard_redis_up')).toBe(0);
    expect(value(fams, 'switchboard_redis_latency_seconds')).toBeNaN();
    // The rest is still there.
    expect(value(fams, 'switchboard_calls_arrived_total')).toBe(1);
    expect(fams.families.has('switchboard_process_cpu_seconds_total')).toBe(true);
    expect(debug).toHaveBeenCalled();
  });

  it('survives sources that throw synchronously and a service level that fails for one queue', async () => {
    const m = metrics({
      queues: () => {
        throw new Error('sync');
      },
    });
    expect(samples(await scrape(m), 'switchboard_queue_waiting_calls')).toEqual([]);
    const fams = await scrape(metrics({ serviceLevel: async (queue) => (queue === 'sales' ? Promise.reject(new Error('stats down')) : 0.5) }));
    expect(samples(fams, 'switchboard_queue_service_level_ratio', q('sales'))).toEqual([]);
    expect(value(fams, 'switchboard_queue_service_level_ratio', q('support'))).toBe(0.5);
  });

  it('does not hang on a Redis (or any source) that never answers', async () => {
    const never = () => new Promise<never>(() => undefined);
    const m = metrics({ redisPing: never, queues: never }, { timeoutMs: 50 });
    const started = Date.now();
    const fams = await scrape(m);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(value(fams, 'switchboard_redis_up')).toBe(0);
    expect(value(fams, 'switchboard_redis_latency_seconds')).toBeNaN();
    expect(samples(fams, 'switchboard_queue_waiting_calls')).toEqual([]);
  });
});

describe('Metrics: names and registries', () => {
  it('names every metric switchboard_*, counters *_total, histograms and durations *_seconds', async () => {
    const m = metrics({}, { shortAbandonS: () => 5 });
    feed(m);
    const fams = [...(await scrape(m)).families.values()];
    expect(fams.length).toBeGreaterThan(20);
    for (const f of fams) {
      expect(f.name).toMatch(/^switchboard_[a-z0-9_]+$/);
      if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
      if (f.type === 'HISTOGRAM') expect(f.name).toMatch(/_seconds$/);
      // Durations are in seconds, never milliseconds or minutes.
      expect(f.name).not.toMatch(/_(ms|milliseconds|minutes|hours)(_|$)/);
    }
    const durations = fams.filter((f) => /wait_|ring_|talk_|latency|lag|threshold/.test(f.name) && f.type !== 'COUNTER');
    expect(durations.length).toBeGreaterThan(5);
    for (const f of durations) expect(f.name).toMatch(/_seconds$/);
  });

  it('keeps each instance in its own registry (two in one process do not collide)', async () => {
    const a = metrics();
    const b = metrics();
    a.subscriber(ev(SCRIPT[0]!));
    expect(value(await scrape(a), 'switchboard_calls_arrived_total')).toBe(1);
    expect(value(await scrape(b), 'switchboard_calls_arrived_total')).toBe(0);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('summariseQueues', () => {
  it('counts waiting callers, the longest wait and serving agents by state', () => {
    const now = 100_000;
    const figures = summariseQueues({
      queues: [{ id: 'sales', serviceLevel: { thresholdS: 20, targetPct: 80 } }, { id: 'support' }],
      entries: [
        { queue: 'sales', queuedAt: 70_000, state: 'waiting' },
        { queue: 'sales', queuedAt: 40_000, state: 'offered' },
        { queue: 'sales', queuedAt: 10_000, state: 'connected' },
        { queue: 'gone', queuedAt: 95_000 },
      ],
      agents: [
        { id: 'a1', status: 'available' },
        { id: 'a2', status: 'on-call' },
        { id: 'a3', status: 'logged-out' },
        { id: 'a4', status: 'paused' },
      ],
      serves: (agent, queue) => queue === 'sales' || agent === 'a4',
      now,
    });
    expect(figures).toEqual([
      { id: 'sales', waiting: 2, longestWaitS: 60, agents: { available: 1, 'on-call': 1, paused: 1 }, serviceLevelGoal: { thresholdS: 20, targetRatio: 0.8 } },
      { id: 'support', waiting: 0, longestWaitS: 0, agents: { paused: 1 } },
      { id: 'gone', waiting: 1, longestWaitS: 5, agents: { paused: 1 } },
    ]);
  });
});
