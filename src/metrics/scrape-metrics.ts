// Gauges read at scrape time from the sources (ports). A scrape must never fail or hang because
// one source does: each read has a timeout, and a source that throws or times out is logged at
// debug and its samples are left out (Redis also says so in switchboard_redis_up). A gauge without
// labels cannot be left out (prom-client always writes it): it reads NaN, Prometheus's "unknown".
import { performance } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { SERVING_STATUSES, type MetricsSources, type QueueSnapshot } from './sources';

export type DebugLogger = Pick<Logger, 'debug'>;

/** `p`, or a rejection after `ms`; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

type Figures = readonly QueueSnapshot[] | undefined;

export class ScrapeMetrics {
  /** The current scrape's queue read, shared by every gauge that needs it (one read per scrape). */
  private scrapeQueues: Promise<Figures> | undefined;

  constructor(
    registry: Registry,
    private readonly sources: MetricsSources,
    private readonly logger: DebugLogger,
    private readonly timeoutMs: number,
  ) {
    const registers = [registry];
    /** A gauge refilled from the queue figures at each scrape (a queue gone from them disappears). */
    const perQueue = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, q: QueueSnapshot) => void) => {
      const g: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect: async () => {
          const figures = await this.queues();
          // Reset and refill in one synchronous step: nobody reads a half-filled gauge.
          g.reset();
          for (const q of figures ?? []) fill(g, q);
        },
      });
    };
    perQueue('switchboard_queue_waiting_calls', 'Callers waiting in the queue now (including those whose agent is ringing)', ['queue'], (g, q) => g.set({ queue: q.id }, q.waiting));
    perQueue('switchboard_queue_longest_wait_seconds', 'The longest current wait in the queue', ['queue'], (g, q) => g.set({ queue: q.id }, q.longestWaitS));
    perQueue('switchboard_queue_agents', 'Logged-in agents serving the queue, by state', ['queue', 'state'], (g, q) => {
      for (const state of SERVING_STATUSES) g.set({ queue: q.id, state }, q.agents[state] ?? 0);
    });
    perQueue('switchboard_queue_service_level_target_ratio', "The queue's service-level target (share to answer within the threshold)", ['queue'], (g, q) => {
      if (q.serviceLevelGoal) g.set({ queue: q.id }, q.serviceLevelGoal.targetRatio);
    });
    perQueue('switchboard_queue_service_level_threshold_seconds', "The queue's service-level threshold", ['queue'], (g, q) => {
      if (q.serviceLevelGoal) g.set({ queue: q.id }, q.serviceLevelGoal.thresholdS);
    });

    const serviceLevel: Gauge<'queue' | 'period'> = new Gauge({
      name: 'switchboard_queue_service_level_ratio',
      help: 'Share of calls answered within the threshold in the current statistics interval (0-1); absent while there is nothing to rate',
      labelNames: ['queue', 'period'],
      registers,
      collect: async () => {
        const figures = await this.queues();
        const levels = await Promise.all((figures ?? []).map(async (q) => ({ queue: q.id, level: await this.read(`service level of ${q.id}`, () => sources.serviceLevel(q.id)) })));
        serviceLevel.reset();
        for (const { queue, level } of levels) if (typeof level === 'number' && Number.isFinite(level)) serviceLevel.set({ queue, period: 'interval' }, level);
      },
    });

    const ari: Gauge = new Gauge({
      name: 'switchboard_ari_connected',
      help: '1 when the ARI link to Asterisk is up and ours, else 0',
      registers,
      collect: () => {
        try {
          ari.set(sources.ariConnected() ? 1 : 0);
        } catch (err) {
          ari.set(Number.NaN);
          logger.debug({ err }, 'metrics: ARI state unavailable');
        }
      },
    });

    // Both Redis gauges come from one PING per scrape.
    let ping: Promise<void> | undefined;
    const collectRedis = async (): Promise<void> => {
      ping ??= this.pingRedis(redisUp, redisLatency).finally(() => (ping = undefined));
      await ping;
    };
    const redisUp: Gauge = new Gauge({ name: 'switchboard_redis_up', help: '1 when Redis answered a PING within the scrape timeout, else 0', registers, collect: collectRedis });
    const redisLatency: Gauge = new Gauge({
      name: 'switchboard_redis_latency_seconds',
      help: 'Round trip of a PING to Redis, measured at scrape (NaN when it failed)',
      registers,
      collect: collectRedis,
    });
  }

  /** Runs `render` with the queues read once for this scrape (every gauge that needs them shares the read). */
  async during<T>(render: (figures: Figures) => Promise<T>): Promise<T> {
    const own = this.read('queues', () => this.sources.queues());
    this.scrapeQueues = own;
    try {
      return await render(await own);
    } finally {
      if (this.scrapeQueues === own) this.scrapeQueues = undefined;
    }
  }

  private queues(): Promise<Figures> {
    return this.scrapeQueues ?? this.read('queues', () => this.sources.queues());
  }

  private async pingRedis(up: Gauge, latency: Gauge): Promise<void> {
    const sent = performance.now();
    const ok = await this.read('Redis PING', async () => {
      await this.sources.redisPing();
      return true;
    });
    up.set(ok ? 1 : 0);
    latency.set(ok ? (performance.now() - sent) / 1000 : Number.NaN);
  }

  /** The source's answer, or undefined (logged) when it throws or takes longer than the timeout. */
  private async read<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      // then(): a source that throws synchronously is caught like one that rejects.
      return await withTimeout(Promise.resolve().then(fn), this.timeoutMs);
    } catch (err) {
      this.logger.debug({ err, source: what }, 'metrics: source failed, its samples are left out');
      return undefined;
    }
  }
}
