// docs/grafana/switchboard.json only queries metrics the registry really exposes: a renamed
// metric must break this test, not the dashboard in production.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_VERSION, type NewEvent, type SwitchboardEvent } from '../../src/events/catalogue';
import { Metrics } from '../../src/metrics';

interface Family {
  name: string;
  type: string;
}
// The package ships no types; this is the shape its README documents.
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> };
}

const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'grafana', 'switchboard.json'), 'utf8')) as Dashboard;
const allPanels = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');

/** One event of each kind the metrics count. */
const ONE_OF_EACH: NewEvent[] = [
  { type: 'call.arrived', at: 1, callId: 'c1', number: '100', callerId: '555' },
  { type: 'call.refused', at: 1, callId: 'c2', number: '100', callerId: '555', reason: 'max-calls' },
  { type: 'queue.entered', at: 1, callId: 'c1', queue: 'sales', callerId: '555', position: 1, priority: 0 },
  { type: 'queue.refused', at: 1, callId: 'c3', queue: 'sales', callerId: '555', reason: 'full', position: 2 },
  { type: 'queue.ring-no-answer', at: 1, callId: 'c1', queue: 'sales', agentId: 'a1', ringMs: 1000, cause: 'busy' },
  { type: 'queue.ring-canceled', at: 1, callId: 'c1', queue: 'sales', agentId: 'a1', ringMs: 1000 },
  { type: 'queue.connected', at: 1, callId: 'c1', queue: 'sales', agentId: 'a1', legId: 'l', holdS: 1, ringS: 1 },
  { type: 'queue.abandoned', at: 1, callId: 'c4', queue: 'sales', position: 1, origPosition: 1, waitS: 1, ringing: false },
  { type: 'queue.exited', at: 1, callId: 'c5', queue: 'sales', position: 1, origPosition: 1, waitS: 1, reason: 'timeout' },
  { type: 'queue.completed', at: 1, callId: 'c1', queue: 'sales', agentId: 'a1', by: 'agent', holdS: 1, talkS: 1, origPosition: 1 },
  { type: 'callback.requested', at: 1, callbackId: 'k', queue: 'sales', number: '5', origin: 'in-queue', dueAt: 1, priority: 0, createdBy: 'caller' },
  { type: 'callback.connected', at: 1, callbackId: 'k', callId: 'cb-k', queue: 'sales', agentId: 'a1', attempt: 1 },
  { type: 'callback.failed', at: 1, callbackId: 'k', queue: 'sales', attempt: 1, reason: 'busy' },
  { type: 'callback.cancelled', at: 1, callbackId: 'k', queue: 'sales', by: 'admin' },
  { type: 'queue.sla-breached', at: 1, callId: 'c1', queue: 'sales', waitS: 30, thresholdS: 20 },
];

async function exposedNames(): Promise<Set<string>> {
  const m = new Metrics({
    sources: {
      queues: async () => [{ id: 'sales', waiting: 1, longestWaitS: 1, agents: { available: 1 }, serviceLevelGoal: { thresholdS: 20, targetRatio: 0.8 } }],
      serviceLevel: async () => 0.9,
      ariConnected: () => true,
      redisPing: async () => 'PONG',
    },
    logger: { debug: () => undefined },
    shortAbandonS: () => 5,
  });
  for (const e of ONE_OF_EACH) m.subscriber({ v: EVENT_VERSION, ...e } as SwitchboardEvent);
  const names = new Set<string>();
  for (const f of parsePrometheus(await m.render())) {
    names.add(f.name);
    // A histogram is queried through its series.
    if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) names.add(f.name + s);
  }
  return names;
}

describe('the Grafana dashboard (docs/grafana/switchboard.json)', () => {
  it('is a schema 39 dashboard with a Prometheus data source variable and a queue variable', () => {
    expect(dashboard.schemaVersion).toBe(39);
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.queue).toMatchObject({ type: 'query', query: { query: 'label_values(switchboard_queue_waiting_calls, queue)' } });
  });

  it('queries through the data source variable in every panel', () => {
    expect(panels.length).toBeGreaterThan(10);
    for (const p of panels) expect({ title: p.title, uid: p.datasource?.uid }).toEqual({ title: p.title, uid: '${datasource}' });
  });

  it('names only metrics the registry exposes', async () => {
    const exposed = await exposedNames();
    const used = new Set<string>(['switchboard_queue_waiting_calls']); // the queue variable's query
    for (const p of panels) for (const t of p.targets ?? []) for (const [name] of t.expr.matchAll(/\bswitchboard_[a-z0-9_]+/g)) used.add(name);
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((n) => !exposed.has(n))).toEqual([]);
  });

  it('covers the metrics the brief lists', () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const needed of [
      'switchboard_queue_waiting_calls',
      'switchboard_queue_longest_wait_seconds',
      'switchboard_queue_agents',
      'switchboard_queue_service_level_ratio',
      'increase(switchboard_calls_offered_total',
      'increase(switchboard_calls_answered_total',
      'increase(switchboard_calls_abandoned_total',
      'histogram_quantile(0.9, sum by (le, queue) (rate(switchboard_queue_wait_seconds_bucket',
      'switchboard_callbacks_total',
      'switchboard_sla_breaches_total',
      'switchboard_ari_connected',
      'switchboard_redis_latency_seconds',
      'switchboard_nodejs_eventloop_lag',
      'switchboard_process_cpu_seconds_total',
      'switchboard_process_resident_memory_bytes',
    ])
      expect(exprs).toContain(needed);
  });
});
