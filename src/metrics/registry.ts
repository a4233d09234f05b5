// The metrics feature's one object: its own prom-client Registry (never the global one, so tests
// and two services in one process do not collide), the event-fed counters and histograms, the
// gauges read at scrape time, and Node's process metrics (CPU, memory, event-loop lag, GC).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { EventMetrics } from './event-metrics';
import { ScrapeMetrics, type DebugLogger } from './scrape-metrics';
import type { MetricsSources } from './sources';

export interface MetricsOptions {
  sources: MetricsSources;
  /** Failing sources are logged at debug (a scrape every 15 s must not flood the log). */
  logger: DebugLogger;
  /** How long each source may take in a scrape (ms); default 2000, under Prometheus's 10 s scrape timeout. */
  timeoutMs?: number;
  /** A queue's short-abandon threshold in seconds; given, switchboard_calls_abandoned_short_total exists. */
  shortAbandonS?: (queue: string) => number | undefined;
  /** Process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  /** The Content-Type of render()'s text (Prometheus text format 0.0.4). */
  readonly contentType: string = this.registry.contentType;
  /** For `bus.subscribe('metrics', metrics.subscriber)`. */
  readonly subscriber: EventMetrics['subscriber'];
  private readonly events: EventMetrics;
  private readonly scrape: ScrapeMetrics;

  constructor(options: MetricsOptions) {
    // Default metrics include switchboard_nodejs_eventloop_lag_seconds and its percentiles: the
    // load gauge's event-loop figures would only repeat them.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    this.events = new EventMetrics(this.registry, options.shortAbandonS ? { shortAbandonS: options.shortAbandonS } : {});
    this.subscriber = this.events.subscriber;
    this.scrape = new ScrapeMetrics(this.registry, options.sources, options.logger, options.timeoutMs ?? 2000);
  }

  /**
   * The exposition text for GET /metrics. A failing or slow source only leaves its samples out;
   * a rejection here would be a bug in this module (the handler answers 500, Prometheus marks the
   * target down).
   */
  render(): Promise<string> {
    return this.scrape.during(async (queues) => {
      // Counters of a configured queue exist at 0 before its first call.
      if (queues) this.events.knowQueues(queues.map((q) => q.id));
      return this.registry.metrics();
    });
  }
}
