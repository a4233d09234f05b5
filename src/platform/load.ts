// How loaded the service is, measured in short windows: the event loop (delay p99 and max,
// utilisation), ARI (requests in flight and waiting for a connection, how long the oldest
// unanswered one has waited, and how long the window's requests took), and Redis (the round trip
// of a PING, or the age of one still unanswered). The admission control decides on these
// figures (calls/admission.ts); /readyz shows them. No business rule here.
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

export interface LoadFigures {
  /** When the window ended (ms since epoch). */
  at: number;
  eventLoop: { delayP99Ms: number; delayMaxMs: number; utilisation: number };
  /** `oldestMs`: how long the oldest unanswered request has waited; the rest describe the window's finished requests. */
  ari: { inFlight: number; waiting: number; oldestMs: number; requests: number; meanMs: number; maxMs: number };
  /** Undefined until the first PING answered; the PING's round trip otherwise (a PING still unanswered counts for its age). */
  redis: { pingMs: number | undefined };
}

/** Durations of finished requests in the current window. */
export class DurationWindow {
  private count = 0;
  private sum = 0;
  private max = 0;

  record(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The window's figures; starts a new window. */
  take(): { requests: number; meanMs: number; maxMs: number } {
    const out = { requests: this.count, meanMs: this.count > 0 ? this.sum / this.count : 0, maxMs: this.max };
    this.count = 0;
    this.sum = 0;
    this.max = 0;
    return out;
  }
}

export interface LoadGaugeDeps {
  ari: { load(): { inFlight: number; waiting: number; oldestMs: number }; durations: DurationWindow };
  /** Resolves when Redis answers a PING. */
  ping(): Promise<unknown>;
  windowMs?: number;
}

export class LoadGauge {
  private readonly delay: IntervalHistogram;
  private elu: EventLoopUtilization | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pingSentAt: number | undefined;
  private pingMs: number | undefined;
  private last: LoadFigures | undefined;
  private readonly listeners: Array<(f: LoadFigures) => void> = [];

  constructor(private readonly deps: LoadGaugeDeps) {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): void {
    this.delay.enable();
    this.elu = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.sample(), this.deps.windowMs ?? 500);
    this.timer.unref();
    this.ping();
  }

  stop(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }

  /** The last complete window (undefined before the first one ends). */
  latest(): LoadFigures | undefined {
    return this.last;
  }

  /** Called with each window's figures as it ends. */
  onSample(fn: (f: LoadFigures) => void): void {
    this.listeners.push(fn);
  }

  private ping(): void {
    const sent = performance.now();
    this.pingSentAt = sent;
    this.deps.ping().then(
      () => {
        if (this.pingSentAt === sent) this.pingSentAt = undefined;
        this.pingMs = performance.now() - sent;
      },
      () => {
        // Refused at once (not connected): Redis being away is its own health check's business.
        if (this.pingSentAt === sent) this.pingSentAt = undefined;
        this.pingMs = undefined;
      },
    );
  }

  private sample(): void {
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const ns = (v: number) => (Number.isFinite(v) ? v / 1e6 : 0);
    // The histogram counts how late the loop's 10 ms timer fired: the delay is what exceeds it.
    const eventLoop = { delayP99Ms: Math.max(0, ns(this.delay.percentile(99)) - 10), delayMaxMs: Math.max(0, ns(this.delay.max) - 10), utilisation: elu.utilization };
    this.delay.reset();
    const unanswered = this.pingSentAt !== undefined ? performance.now() - this.pingSentAt : undefined;
    const redis = { pingMs: unanswered !== undefined && (this.pingMs === undefined || unanswered > this.pingMs) ? unanswered : this.pingMs };
    const { inFlight, waiting, oldestMs } = this.deps.ari.load();
    this.last = { at: Date.now(), eventLoop, ari: { inFlight, waiting, oldestMs, ...this.deps.ari.durations.take() }, redis };
    if (this.pingSentAt === undefined) this.ping();
    for (const fn of this.listeners) fn(this.last);
  }
}
