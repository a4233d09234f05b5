// Webhook deliveries on BullMQ: an EventBus subscriber adds one job per event and matching hook
// (its id from the business key, so adding it twice makes one job), and a worker POSTs it, signed,
// with retries and exponential backoff, until it is given up (logged). The publisher never waits:
// the subscriber's work runs after publish() returned, and a receiver that is slow or away only
// holds a worker slot until the hook's timeout. Delivery is at least once (a job whose worker
// stalls runs again), in no guaranteed order: receivers dedupe by Switchboard-Event-Id.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Subscriber } from '../events';
import type { Clock } from '../platform/clock';
import { BullConnections, within } from '../platform/redis/bull-connections';
import { deliveryBody, hooksFor, type Webhook } from './domain';
import { deliveryHeaders } from './signature';

export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJob {
  hookId: string;
  journalId: string;
  /** The event as published (events never hold sensitive values: src/events/catalogue.ts). */
  event: { type: string } & Record<string, unknown>;
}

const WebhookJobSchema = z.strictObject({ hookId: z.string().min(1), journalId: z.string().min(1), event: z.looseObject({ type: z.string() }) });

/** Ids must not contain ":" (BullMQ's rule): hook ids are identifiers, journal ids "<ms>-<seq>". */
export const webhookJobId = (hookId: string, journalId: string): string => `wh-${hookId}-${journalId}`;

export interface WebhookDeliveryOptions {
  /** Redis URL (BullMQ opens its own connections). */
  url: string;
  /** BullMQ's key prefix (Keys.bullPrefix()). */
  prefix: string;
  /** The hooks of the running configuration, read for every event and every attempt (reloads apply at once). */
  hooks: () => ReadonlyMap<string, Webhook>;
  clock: Clock;
  logger: Logger;
  /** Where the secrets are read from at each attempt (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Requests in flight at once (per process). Default 8. */
  concurrency?: number;
  /** Given-up jobs kept for inspection: at most this many, at most a week. Default 1000. */
  keepFailed?: number;
  /** BullMQ's lock (renewed while the worker is alive) and stalled-job check. */
  lockMs?: number;
  stalledCheckMs?: number;
}

/** A failed attempt: `status` when the receiver answered (not 2xx). */
export class DeliveryFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}

export class WebhookDelivery {
  private readonly queue: Queue;
  private worker?: Worker;
  private readonly connections: BullConnections;
  private readonly log: Logger;
  private readonly env: Readonly<Record<string, string | undefined>>;

  constructor(private readonly o: WebhookDeliveryOptions) {
    this.connections = new BullConnections(o.url);
    this.log = o.logger.child({ component: 'webhooks' });
    this.env = o.env ?? process.env;
    // Fails fast while Redis is away (the add is logged and dropped) rather than queueing in memory.
    this.queue = new Queue(WEBHOOK_QUEUE, { connection: this.connections.connect({ enableOfflineQueue: false }), prefix: o.prefix });
    this.queue.on('error', (err) => this.log.warn({ err }, 'webhook queue: Redis error'));
  }


  /**
   * The EventBus subscriber (`events.subscribe('webhooks', delivery.subscriber)`). Matching is a
   * set lookup per hook; with no hook wanting the event nothing else happens. Never throws: a job
   * that cannot be added is logged.
   */
  readonly subscriber: Subscriber = (event, journalId) => {
    const hooks = hooksFor(event, this.o.hooks().values());
    if (hooks.length === 0) return undefined;
    return this.enqueue(event, hooks, journalId);
  };

  private async enqueue(event: WebhookJob['event'], hooks: readonly Webhook[], journalIdP: Promise<string | undefined>): Promise<void> {
    const journalId = await journalIdP;
    if (journalId === undefined) {
      // Not journaled (Redis away): without its id the delivery could not be deduplicated.
      this.log.warn({ type: event.type, hooks: hooks.map((h) => h.id) }, 'webhook not queued: the event has no journal id');
      return;
    }
    await Promise.all(
      hooks.map(async (hook) => {
        const data: WebhookJob = { hookId: hook.id, journalId, event };
        try {
          await this.queue.add(event.type, data, {
            jobId: webhookJobId(hook.id, journalId),
            attempts: hook.maxAttempts,
            backoff: { type: 'exponential', delay: hook.backoffS * 1000 }, // domain/retry.ts's schedule
            // The id dedupes while the job is pending; a delivered job is removed (receivers dedupe by event id).
            removeOnComplete: true,
            removeOnFail: { age: 7 * 86_400, count: this.o.keepFailed ?? 1000 },
          });
        } catch (err) {
          this.log.warn({ err, hookId: hook.id, type: event.type, journalId }, 'webhook not queued');
        }
      }),
    );
  }

  /** Resolves once the producer's connection is ready (tests, benchmarks). */
  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  /** Starts delivering (jobs added by any instance on the same Redis and prefix). */
  start(): void {
    if (this.worker) return;
    this.worker = new Worker(WEBHOOK_QUEUE, (job) => this.deliver(job), {
      connection: this.connections.connect({ maxRetriesPerRequest: null }),
      prefix: this.o.prefix,
      concurrency: this.o.concurrency ?? 8,
      lockDuration: this.o.lockMs ?? 60_000,
      stalledInterval: this.o.stalledCheckMs ?? 30_000,
    });
    this.worker.on('failed', (job, err) => {
      if (job) this.failed(job, err);
    });
    this.worker.on('error', (err) => this.log.warn({ err }, 'webhook worker: Redis error'));
  }

  private async deliver(job: Job): Promise<void> {
    const data = WebhookJobSchema.parse(job.data);
    const hook = this.o.hooks().get(data.hookId);
    if (!hook) {
      this.log.info({ hookId: data.hookId, type: data.event.type, journalId: data.journalId }, 'webhook dropped: the hook is no longer configured');
      return;
    }
    const secret = this.env[hook.secretEnv];
    if (!secret) throw new UnrecoverableError(`environment variable ${hook.secretEnv} is not set`);
    const rawBody = deliveryBody(data.journalId, hook.id, data.event);
    const headers = deliveryHeaders({ secret, rawBody, nowS: Math.floor(this.o.clock.now() / 1000), journalId: data.journalId, eventType: data.event.type, hookId: hook.id });
    let res: Response;
    try {
      res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Switchboard-Webhooks/1', ...headers },
        body: rawBody,
        // A redirect is a failure, not followed: the configured URL is the only place events go.
        redirect: 'manual',
        signal: AbortSignal.timeout(hook.timeoutS * 1000),
      });
    } catch (err) {
      throw new DeliveryFailed(requestError(err, hook.timeoutS));
    }
    // The answer's body is not read: release the connection.
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new DeliveryFailed(`HTTP ${res.status}`, res.status);
  }

  /** After each failed attempt (BullMQ has counted it): the last one is logged as given up. */
  private failed(job: Job, err: Error): void {
    const data = WebhookJobSchema.safeParse(job.data);
    const fields = {
      hookId: data.success ? data.data.hookId : undefined,
      type: data.success ? data.data.event.type : undefined,
      journalId: data.success ? data.data.journalId : undefined,
      attempts: job.attemptsMade,
      lastStatus: err instanceof DeliveryFailed ? err.status : undefined, // thrown here: same realm
      lastError: err.message,
    };
    const gaveUp = job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
    if (gaveUp) this.log.warn(fields, 'webhook given up');
    else this.log.debug(fields, 'webhook delivery failed; it is retried');
  }

  /**
   * Stops taking jobs; requests in flight get until `deadlineMs`. One still running then is handed
   * back (its lock lapses and another worker sends it again: receivers dedupe by event id).
   */
  async stop(deadlineMs = 5_000): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker && (await within(worker.close(), deadlineMs)) === 'late') {
      this.log.warn({ deadlineMs }, 'webhook deliveries still in flight at shutdown are handed back to the next worker');
    }
    await within(this.queue.close(), 1000);
    this.connections.closeAll();
  }
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

/**
 * Why a request got no answer, in words fit for the log (no URL: it may carry a token in its
 * query). Read by shape, not instanceof: fetch's errors may come from another realm (jest's vm).
 */
function requestError(err: unknown, timeoutS: number): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutS} s`;
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as ErrorLike;
  if (typeof cause.code === 'string') return cause.code;
  if (typeof cause.message === 'string') return cause.message;
  return typeof e.message === 'string' ? e.message : String(err);
}
