// Runs the statistics projector over the journal, on every instance at once if need be: each batch
// is read after the cursor kept in Redis and applied with a compare-and-set (StatsStore.apply), so
// whichever instance gets there first applies it and the others re-read.
//
// Tailing: the batch itself is always read with XRANGE after the cursor in Redis (the source of
// truth, whoever moved it); when there is nothing new, the loop waits with XREAD BLOCK from that
// cursor on its own duplicated connection. That wakes up as soon as an event is appended (no
// polling delay, no busy loop) and cannot miss one appended between the read and the wait, since
// XREAD starts from the cursor, not from '$'. Errors (Redis away, restarting) are logged and the
// loop pauses before trying again; ioredis reconnects by itself.
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { unlessStopped } from '../platform/redis/abortable';
import type { Keys } from '../platform/redis/keys';
import { CounterBook, projectAll, type JournalEntry, type StatsSettings } from './domain';
import type { StatsStore } from './store';

export interface ProjectorRunnerDeps {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly store: StatsStore;
  /** Read at every batch: follows configuration reloads. */
  readonly settings: () => StatsSettings;
  readonly logger: Logger;
  /** Journal entries per batch (one script call). */
  readonly batchSize?: number;
  /** How long one XREAD BLOCK waits for a new event. */
  readonly blockMs?: number;
  /** Pause after an error. */
  readonly errorPauseMs?: number;
  /** Waits `ms` or until `signal` aborts (tests pass their own). */
  readonly pause?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RebuildResult {
  readonly generation: number;
  /** Journal entries projected in the new generation. */
  readonly events: number;
  /** Keys of older generations deleted. */
  readonly dropped: number;
}

const defaultPause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Compares two stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

export class ProjectorRunner {
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly errorPauseMs: number;
  private readonly pause: (ms: number, signal: AbortSignal) => Promise<void>;
  private running?: { loop: Promise<void>; abort: AbortController; blocker: Redis };
  /** One batch at a time in this process (the loop, caughtUp and rebuild share it). */
  private chain: Promise<unknown> = Promise.resolve();
  private seen = '0-0';

  constructor(private readonly d: ProjectorRunnerDeps) {
    this.batchSize = d.batchSize ?? 500;
    this.blockMs = d.blockMs ?? 5000;
    this.errorPauseMs = d.errorPauseMs ?? 1000;
    this.pause = d.pause ?? defaultPause;
  }

  start(): void {
    if (this.running) return;
    const abort = new AbortController();
    // Only a wake-up: it may wait for a (re)connection (the service's client fails fast instead).
    const blocker = this.d.redis.duplicate({ enableOfflineQueue: true });
    // Its errors are the loop's to report; without a listener ioredis would print them.
    blocker.on('error', () => undefined);
    this.running = { abort, blocker, loop: this.loop(abort.signal, blocker) };
  }

  async stop(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    r.abort.abort();
    r.blocker.disconnect();
    await r.loop;
    await this.chain.catch(() => undefined);
  }

  /** Resolves once every event in the journal when it was called is applied (by any instance). */
  async caughtUp(): Promise<void> {
    const last = await this.d.redis.xrevrange(this.d.keys.journal(), '+', '-', 'COUNT', 1);
    const target = last[0]?.[0];
    if (target === undefined) return;
    for (;;) {
      const cur = await this.d.store.cursor();
      if (compareIds(cur.id, target) >= 0) return;
      if ((await this.exclusive(() => this.step())) === 0) return;
    }
  }

  /**
   * Recounts everything from the start of the journal (as far as its retention keeps it): a new
   * generation, older generations' keys deleted, then projected until caught up. Safe while other
   * instances' runners run: they help project the new generation or fail their compare-and-set.
   */
  async rebuild(): Promise<RebuildResult> {
    const generation = await this.exclusive(() => this.d.store.reset());
    this.d.logger.info({ generation }, 'statistics rebuild started');
    const dropped = await this.d.store.dropOlderGenerations(generation);
    await this.caughtUp();
    const cur = await this.d.store.cursor();
    this.d.logger.info({ generation: cur.gen, events: cur.n, dropped }, 'statistics rebuilt');
    return { generation: cur.gen, events: cur.n, dropped };
  }

  /** Projects and applies one batch: the entries applied, 0 when there was nothing new, -1 when another runner moved the cursor first. */
  async step(): Promise<number> {
    const from = await this.d.store.cursor();
    this.seen = from.id;
    const entries = await this.readAfter(from.id);
    const last = entries[entries.length - 1];
    if (!last) return 0;
    const p = projectAll(from.state, entries, this.d.settings());
    const ok = await this.d.store.apply(from, { lastId: last.id, events: entries.length, state: p.state, counters: new CounterBook().add(p.deltas) });
    if (!ok) return -1;
    this.seen = last.id;
    return entries.length;
  }

  private async loop(signal: AbortSignal, blocker: Redis): Promise<void> {
    while (!signal.aborted) {
      try {
        if ((await this.exclusive(() => this.step())) !== 0) continue;
        if (signal.aborted) break;
        await unlessStopped(blocker.xread('COUNT', 1, 'BLOCK', this.blockMs, 'STREAMS', this.d.keys.journal(), this.seen), signal);
      } catch (err) {
        if (signal.aborted) break;
        this.d.logger.error({ err }, 'statistics projector failed; trying again');
        await this.pause(this.errorPauseMs, signal);
      }
    }
  }

  private async readAfter(id: string): Promise<JournalEntry[]> {
    const rows = await this.d.redis.xrange(this.d.keys.journal(), id === '0-0' ? '-' : `(${id}`, '+', 'COUNT', this.batchSize);
    return rows.map(([entryId, fields]) => {
      let event: unknown;
      try {
        event = JSON.parse(fields[fields.indexOf('event') + 1] ?? '');
      } catch {
        event = undefined;
      }
      if (typeof event === 'object' && event !== null) return { id: entryId, event: event as JournalEntry['event'] };
      // Consumed but counted as nothing: one unreadable entry must not stop the statistics.
      this.d.logger.warn({ id: entryId }, 'unreadable journal entry skipped by the statistics');
      return { id: entryId, event: { type: 'unreadable', at: Number.NaN } };
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
