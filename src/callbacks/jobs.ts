// A callback's due times as BullMQ delayed jobs (docs/decisions/0006): one job per due time of
// each attempt, its id made from that business key, so asking twice makes one job. A job may still
// run twice (a worker that stalls past its lock hands it to another): the handler is idempotent
// (service.ts: the record's state decides, and the ACD refuses a second entry).
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../platform/clock';
import { BullConnections, within } from '../platform/redis/bull-connections';

export interface DueJob {
  callbackId: string;
  attempt: number;
  dueAt: number;
}

const DueJobSchema = z.strictObject({ callbackId: z.string().min(1), attempt: z.number().int().positive(), dueAt: z.number().int() });

export const CALLBACK_QUEUE = 'callbacks';

export interface CallbackJobsOptions {
  url: string;
  /** BullMQ's key prefix (Keys.bullPrefix()). */
  prefix: string;
  clock: Clock;
  logger: Logger;
  /** How long a worker holds a job before another may take it (BullMQ's lock; it renews it while alive). */
  lockMs?: number;
  /** How often stalled jobs (their worker died) are looked for. */
  stalledCheckMs?: number;
}

/** Ids must not contain ":" (BullMQ's rule); callback ids are hex. */
export const dueJobId = (j: DueJob): string => `cb-${j.callbackId}-due-${j.attempt}-${j.dueAt}`;

export class CallbackJobs {
  private readonly queue: Queue;
  private worker?: Worker;
  private readonly connections: BullConnections;

  constructor(private readonly o: CallbackJobsOptions) {
    this.connections = new BullConnections(o.url);
    // The producer fails fast while Redis is away (the API answers 503); the worker waits for it.
    this.queue = new Queue(CALLBACK_QUEUE, { connection: this.connections.connect({ enableOfflineQueue: false }), prefix: o.prefix });
    this.queue.on('error', (err) => o.logger.warn({ err }, 'callback job queue: Redis error'));
  }


  /** The callback joins its queue at `dueAt` (at once when that is past). */
  async schedule(j: DueJob): Promise<void> {
    await this.queue.add('due', j, {
      jobId: dueJobId(j),
      delay: Math.max(0, j.dueAt - this.o.clock.now()),
      attempts: 20,
      backoff: { type: 'exponential', delay: 500 },
      // Gone once it ran: a callback that is over leaves only its record. Asking again for the same
      // due time after that adds a job that finds the record moved on and does nothing.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  /** Drops a due time that changed (a job already running finds the record moved on and does nothing). */
  async unschedule(j: DueJob): Promise<void> {
    await this.queue.remove(dueJobId(j)).catch((err: unknown) => this.o.logger.debug({ err, jobId: dueJobId(j) }, 'callback job not removed'));
  }

  start(handle: (j: DueJob) => Promise<void>): void {
    const log = this.o.logger.child({ component: 'callback-jobs' });
    this.worker = new Worker(CALLBACK_QUEUE, async (job) => handle(DueJobSchema.parse(job.data)), {
      connection: this.connections.connect({ maxRetriesPerRequest: null }),
      prefix: this.o.prefix,
      concurrency: 8,
      lockDuration: this.o.lockMs ?? 30_000,
      stalledInterval: this.o.stalledCheckMs ?? 30_000,
    });
    this.worker.on('failed', (job, err) => log.warn({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'callback job failed; it is retried'));
    this.worker.on('error', (err) => log.warn({ err }, 'callback worker: Redis error'));
  }

  /**
   * Stops taking jobs; jobs running get until `deadlineMs` to finish. One still running then is
   * handed back: the connections close, its lock lapses, and another worker runs it again (every
   * step of it is idempotent). (BullMQ's close() has no deadline, and a forced close after a
   * graceful one waits for the graceful one.)
   */
  async stop(deadlineMs = 5_000): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker && (await within(worker.close(), deadlineMs)) === 'late') {
      this.o.logger.warn({ deadlineMs }, 'callback jobs still running at shutdown are handed back to the next worker');
    }
    await within(this.queue.close(), 1000);
    this.connections.closeAll();
  }
}
