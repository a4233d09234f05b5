// One reader of the journal per process, shared by every event-stream client: a dedicated Redis
// connection (XREAD BLOCK holds it) that follows the journal from the last id it has seen and hands
// each batch to the in-process listeners. The journal, not the in-process bus, is the source: it
// also carries what other Switchboard instances append to the same Redis.
//
// It runs while someone listens: the first subscriber starts it, the last one leaving stops it.
// A failed read (Redis restarting, a network cut) is logged once per outage and retried after a
// pause, from the same id, so nothing appended meanwhile is skipped.
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { SwitchboardEvent } from '../events';
import { STOPPED, unlessStopped } from '../platform/redis/abortable';
import type { Keys } from '../platform/redis/keys';
import { eventFrame } from './domain';

export interface JournalEntry {
  /** The journal (stream) id. */
  id: string;
  event: SwitchboardEvent;
  /** The SSE frame, formatted once and shared by every client that may see it. */
  frame: string;
}

export type TailListener = (entries: readonly JournalEntry[]) => void;

/** A pause that resolves after `ms` (injected: tests resolve it at once, or count the calls). */
export type Pause = (ms: number) => Promise<void>;

export const defaultPause: Pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export interface TailOptions {
  /** XREAD BLOCK timeout (ms): how long one read waits for new entries. */
  blockMs?: number;
  /** Entries per read. */
  count?: number;
  /** Pause after a failed read (ms). */
  retryMs?: number;
  pause?: Pause;
}

type Row = [id: string, fields: string[]];

/** Journal rows (XRANGE, XREAD) as entries; a row without a readable event is logged and skipped. */
export function toEntries(rows: readonly Row[], logger: Logger): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const [id, fields] of rows) {
    const at = fields.indexOf('event');
    const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
    let event: unknown;
    try {
      event = json === undefined ? undefined : JSON.parse(json);
    } catch {
      event = undefined;
    }
    const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
    if (json === undefined || typeof type !== 'string') {
      logger.warn({ id }, 'journal entry without a readable event skipped');
      continue;
    }
    out.push({ id, event: event as SwitchboardEvent, frame: eventFrame(id, type, json) });
  }
  return out;
}

interface Run {
  /** The last journal id read; the next read starts after it. */
  lastId: string;
  stopping: boolean;
  /** Aborted by halt(): ends a blocked read even while its connection is between reconnections. */
  stop: AbortController;
  conn?: Redis;
  /** Resolves once lastId is known (rejects if Redis could not tell). */
  ready: Promise<void>;
  /** Resolves when the loop has ended and its connection is closed. */
  done: Promise<void>;
}

export class JournalTail {
  private readonly listeners = new Set<TailListener>();
  private run: Run | undefined;
  private readonly blockMs: number;
  private readonly count: number;
  private readonly retryMs: number;
  private readonly pause: Pause;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly logger: Logger,
    options: TailOptions = {},
  ) {
    this.blockMs = options.blockMs ?? 5000;
    this.count = options.count ?? 500;
    this.retryMs = options.retryMs ?? 1000;
    this.pause = options.pause ?? defaultPause;
  }

  /**
   * Adds a listener. Resolves once the tail reads from a known position: every entry appended
   * after that reaches the listener (entries appended just before may too; callers drop ids they
   * have). Rejects, without keeping the listener, when Redis cannot say where the journal ends.
   * Resolves with the way to leave.
   */
  async subscribe(listener: TailListener): Promise<() => void> {
    this.listeners.add(listener);
    try {
      if (!this.run || this.run.stopping) this.run = this.start();
      await this.run.ready;
    } catch (err) {
      this.leave(listener);
      throw err;
    }
    return () => this.leave(listener);
  }

  /** How many listeners there are, and whether the reader runs (metrics, tests). */
  stats(): { listeners: number; running: boolean } {
    return { listeners: this.listeners.size, running: this.run !== undefined && !this.run.stopping };
  }

  /** Drops every listener and stops reading (service stop). */
  async stop(): Promise<void> {
    this.listeners.clear();
    await this.halt();
  }

  private leave(listener: TailListener): void {
    if (this.listeners.delete(listener) && this.listeners.size === 0) void this.halt();
  }

  private async halt(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.stopping = true;
    run.stop.abort();
    run.conn?.disconnect();
    await run.done;
  }

  private start(): Run {
    const run = { lastId: '0-0', stopping: false, stop: new AbortController() } as Run;
    // Where the journal ends now, asked on the shared connection: it fails fast when Redis is away,
    // so the first client gets an error instead of a stream that says nothing.
    run.ready = this.redis.xrevrange(this.keys.journal(), '+', '-', 'COUNT', 1).then((rows) => {
      run.lastId = rows[0]?.[0] ?? '0-0';
    });
    run.done = run.ready.then(
      () => this.loop(run),
      () => {
        if (this.run === run) this.run = undefined; // the subscribers see the error through `ready`
      },
    );
    return run;
  }

  private async loop(run: Run): Promise<void> {
    if (run.stopping) return;
    // Named, so an operator sees it in CLIENT LIST (and knows why it blocks).
    const conn = this.redis.duplicate({ connectionName: `journal-tail:${this.keys.journal()}`.replace(/[^\w:.-]/g, '_') });
    run.conn = conn;
    conn.on('error', (err: Error) => this.logger.debug({ reason: err.message }, 'journal tail connection error'));
    let down = false;
    try {
      await this.connected(conn);
      while (!run.stopping) {
        try {
          const reply = await unlessStopped(conn.xread('COUNT', this.count, 'BLOCK', this.blockMs, 'STREAMS', this.keys.journal(), run.lastId), run.stop.signal);
          if (reply === STOPPED || run.stopping) break;
          if (down) this.logger.info({ lastId: run.lastId }, 'journal tail reading again');
          down = false;
          const rows = reply?.[0]?.[1] ?? [];
          const last = rows[rows.length - 1];
          if (!last) continue;
          run.lastId = last[0];
          this.dispatch(toEntries(rows, this.logger));
        } catch (err) {
          if (run.stopping) break;
          if (!down) this.logger.warn({ err, lastId: run.lastId }, 'journal tail cannot read the journal; retrying');
          down = true;
          await this.pause(this.retryMs);
        }
      }
    } finally {
      // Not twice: a second disconnect arms ioredis's 2 s "destroy the socket" timer after the
      // socket has closed, which then holds the process up.
      if (conn.status !== 'end') conn.disconnect();
    }
  }

  private dispatch(entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(entries);
      } catch (err) {
        this.logger.error({ err }, 'event stream listener failed');
      }
    }
  }

  /** Waits for the new connection (a first read would fail at once without an offline queue). */
  private connected(conn: Redis): Promise<void> {
    if (conn.status === 'ready') return Promise.resolve();
    if (conn.status === 'wait') conn.connect().catch(() => undefined); // lazyConnect parents
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        conn.off('ready', done);
        conn.off('end', done);
        resolve();
      };
      // Bounded: if Redis stays away, the loop's own retries (with their pause) take over.
      const timer = setTimeout(done, this.blockMs);
      conn.once('ready', done);
      conn.once('end', done);
    });
  }
}
