// Counters and histograms fed by the event bus: every figure here is counted from an event, so
// it agrees with the journal and the queue_log. Each instance counts the events it published;
// Prometheus sums instances (`sum by (queue)`).
import { Counter, Histogram, type Registry } from 'prom-client';
import type { SwitchboardEvent } from '../events/catalogue';

// Contact-center waits: the usual service-level thresholds (10, 20, 30, 60 s) are bucket edges,
// so "answered within 20 s" reads exactly off a bucket.
export const WAIT_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600];
// Ring timeouts are typically 15-30 s.
export const RING_BUCKETS = [1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 45, 60];
export const TALK_BUCKETS = [10, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600];

const CALLBACK_OUTCOMES = ['requested', 'connected', 'failed', 'cancelled'] as const;
const REFUSED_REASONS = ['max-calls', 'event-loop', 'ari', 'redis'] as const;
const QUEUE_REFUSED_REASONS = ['full', 'no-agents'] as const;
const EXIT_REASONS = ['timeout', 'overflow', 'withdrawn', 'callback-failed', 'callback'] as const;
const RING_OUTCOMES = ['answered', 'no-answer', 'canceled'] as const;
const WAIT_OUTCOMES = ['answered', 'abandoned'] as const;

export interface EventMetricsOptions {
  /** Seconds under which an abandon counts as short (per queue); without it, no short-abandon counter. */
  shortAbandonS?: (queue: string) => number | undefined;
}

export class EventMetrics {
  private readonly arrived: Counter;
  private readonly refused: Counter<'reason'>;
  private readonly offered: Counter<'queue'>;
  private readonly answered: Counter<'queue'>;
  private readonly abandoned: Counter<'queue'>;
  private readonly abandonedShort: Counter<'queue'> | undefined;
  private readonly queueRefused: Counter<'queue' | 'reason'>;
  private readonly exited: Counter<'queue' | 'reason'>;
  private readonly callbacks: Counter<'queue' | 'outcome'>;
  private readonly slaBreaches: Counter<'queue'>;
  private readonly wait: Histogram<'queue' | 'outcome'>;
  private readonly ring: Histogram<'queue' | 'outcome'>;
  private readonly talk: Histogram<'queue'>;
  /** Queues whose series exist (at zero if nothing happened yet). */
  private readonly known = new Set<string>();

  constructor(
    registry: Registry,
    private readonly options: EventMetricsOptions = {},
  ) {
    const registers = [registry];
    this.arrived = new Counter({ name: 'switchboard_calls_arrived_total', help: 'Calls that entered Switchboard (call.arrived)', registers });
    this.refused = new Counter({ name: 'switchboard_calls_refused_total', help: 'Calls refused at the door by admission control, by limit reached (call.refused)', labelNames: ['reason'], registers });
    this.offered = new Counter({ name: 'switchboard_calls_offered_total', help: 'Calls that entered a queue, also by overflow and callbacks joining the line (queue.entered)', labelNames: ['queue'], registers });
    this.answered = new Counter({ name: 'switchboard_calls_answered_total', help: 'Calls connected with an agent (queue.connected)', labelNames: ['queue'], registers });
    this.abandoned = new Counter({ name: 'switchboard_calls_abandoned_total', help: 'Callers who hung up before an agent took the call (queue.abandoned)', labelNames: ['queue'], registers });
    this.abandonedShort = options.shortAbandonS
      ? new Counter({ name: 'switchboard_calls_abandoned_short_total', help: "Abandons before the queue's short-abandon threshold (queue.abandoned)", labelNames: ['queue'], registers })
      : undefined;
    this.queueRefused = new Counter({ name: 'switchboard_queue_refused_total', help: 'Callers refused by a queue (full, no agents) (queue.refused)', labelNames: ['queue', 'reason'], registers });
    this.exited = new Counter({ name: 'switchboard_queue_exited_total', help: 'Callers who left a queue on a rule: timeout, overflow, callback... (queue.exited)', labelNames: ['queue', 'reason'], registers });
    this.callbacks = new Counter({ name: 'switchboard_callbacks_total', help: 'Callbacks by outcome (callback.requested, .connected, .failed, .cancelled)', labelNames: ['queue', 'outcome'], registers });
    this.slaBreaches = new Counter({ name: 'switchboard_sla_breaches_total', help: "Calls that waited past the queue's service-level threshold (queue.sla-breached)", labelNames: ['queue'], registers });
    this.wait = new Histogram({ name: 'switchboard_queue_wait_seconds', help: 'Time in queue until answered (queue.connected holdS) or abandoned (queue.abandoned waitS)', labelNames: ['queue', 'outcome'], buckets: WAIT_BUCKETS, registers });
    this.ring = new Histogram({ name: 'switchboard_agent_ring_seconds', help: "Time an agent's phone rang, by outcome (queue.connected, queue.ring-no-answer, queue.ring-canceled, queue.ring-stopped)", labelNames: ['queue', 'outcome'], buckets: RING_BUCKETS, registers });
    this.talk = new Histogram({ name: 'switchboard_call_talk_seconds', help: 'Talk time of connected calls (queue.completed talkS)', labelNames: ['queue'], buckets: TALK_BUCKETS, registers });
    // Series that exist from the start read 0, so increase() counts the first event too.
    this.arrived.inc(0);
    for (const reason of REFUSED_REASONS) this.refused.inc({ reason }, 0);
  }

  /**
   * For EventBus.subscribe: never throws (a bad event is dropped by the bus's guard anyway), and
   * returns nothing: the bus tracks a returned value as a promise, and prom-client's inc() returns
   * an object (its types say void), which the bus logged as a failed subscriber at every event.
   */
  readonly subscriber = (event: SwitchboardEvent): void => {
    this.count(event);
  };

  private count(event: SwitchboardEvent): void {
    switch (event.type) {
      case 'call.arrived':
        return this.arrived.inc();
      case 'call.refused':
        return this.refused.inc({ reason: event.reason });
      case 'queue.entered':
        return this.offered.inc(this.q(event.queue));
      case 'queue.connected':
        if (event.transferredFrom !== undefined) return; // answered once already, by the agent who transferred it
        this.answered.inc(this.q(event.queue));
        this.wait.observe({ queue: event.queue, outcome: 'answered' }, event.holdS);
        return this.ring.observe({ queue: event.queue, outcome: 'answered' }, event.ringS);
      case 'queue.ring-no-answer':
        return this.ring.observe({ ...this.q(event.queue), outcome: 'no-answer' }, event.ringMs / 1000);
      case 'queue.ring-canceled':
        return this.ring.observe({ ...this.q(event.queue), outcome: 'canceled' }, event.ringMs / 1000);
      case 'queue.ring-stopped':
        return this.ring.observe({ ...this.q(event.queue), outcome: 'answered-elsewhere' }, event.ringMs / 1000);
      case 'queue.abandoned': {
        this.abandoned.inc(this.q(event.queue));
        this.wait.observe({ queue: event.queue, outcome: 'abandoned' }, event.waitS);
        const short = this.options.shortAbandonS?.(event.queue);
        if (short !== undefined && event.waitS < short) this.abandonedShort?.inc({ queue: event.queue });
        return;
      }
      case 'queue.refused':
        return this.queueRefused.inc({ ...this.q(event.queue), reason: event.reason });
      case 'queue.exited':
        return this.exited.inc({ ...this.q(event.queue), reason: event.reason });
      case 'queue.completed':
        return this.talk.observe(this.q(event.queue), event.talkS);
      case 'callback.requested':
        return this.callbacks.inc({ ...this.q(event.queue), outcome: 'requested' });
      case 'callback.connected':
        return this.callbacks.inc({ ...this.q(event.queue), outcome: 'connected' });
      case 'callback.failed':
        return this.callbacks.inc({ ...this.q(event.queue), outcome: 'failed' });
      case 'callback.cancelled':
        return this.callbacks.inc({ ...this.q(event.queue), outcome: 'cancelled' });
      case 'queue.sla-breached':
        return this.slaBreaches.inc(this.q(event.queue));
      default:
        return; // not counted
    }
  }

  /** Creates every series of these queues at zero (once per queue; later calls are no-ops). */
  knowQueues(queues: Iterable<string>): void {
    for (const q of queues) this.q(q);
  }

  /** The queue label, after making sure all of the queue's series exist. */
  private q(queue: string): { queue: string } {
    const labels = { queue };
    if (this.known.has(queue)) return labels;
    this.known.add(queue);
    for (const c of [this.offered, this.answered, this.abandoned, this.slaBreaches]) c.inc(labels, 0);
    this.abandonedShort?.inc(labels, 0);
    for (const outcome of CALLBACK_OUTCOMES) this.callbacks.inc({ queue, outcome }, 0);
    for (const reason of QUEUE_REFUSED_REASONS) this.queueRefused.inc({ queue, reason }, 0);
    for (const reason of EXIT_REASONS) this.exited.inc({ queue, reason }, 0);
    // zero() would wipe observations, so only here, before the queue's first one.
    for (const outcome of WAIT_OUTCOMES) this.wait.zero({ queue, outcome });
    for (const outcome of RING_OUTCOMES) this.ring.zero({ queue, outcome });
    this.talk.zero(labels);
    return labels;
  }
}
