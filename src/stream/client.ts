// One event-stream client: its connection, what it may see, where it is, and what waits for it.
//
// Race-free resumption: the client listens to the journal tail FIRST (live entries are buffered),
// then reads the backlog with XRANGE from its position to the end, then sends what was buffered.
// Backlog and buffer overlap on purpose; an entry is sent only if its id is greater than the last
// id handled (`cursor`), so nothing is sent twice and nothing falls between the two.
//
// Memory per client is bounded. While the backlog is read, a buffer that outgrows the limit is
// dropped and the backlog reading goes on (the journal holds those entries; see `drops`). Once
// live, a client whose buffer outgrows the limit (it does not read) gets a stream-too-slow error
// and is closed: it reconnects with Last-Event-ID and catches up from the journal.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { SwitchboardEvent } from '../events';
import { compareStreamIds, errorFrame, HEARTBEAT_FRAME, type StreamProblem } from './domain';
import type { JournalEntry } from './journal-tail';

export interface ClientOptions {
  visible: (event: SwitchboardEvent) => boolean;
  types: ReadonlySet<string> | undefined;
  /** Entries a client may have waiting before it is dropped (live) or the buffer is (backlog). */
  maxBuffered: number;
  heartbeatMs: number;
  /** How long an ended stream may take to flush before its connection is cut (a client that does not read). */
  closeGraceMs: number;
  logger: Logger;
}

export class StreamClient {
  /** The last journal id handled (sent, or skipped as not for this client). */
  cursor = '0-0';
  private queue: JournalEntry[] = [];
  private head = 0;
  private live = false;
  private blocked = false;
  /** How many times the buffer was dropped while the backlog was read. */
  private drops = 0;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  private readonly onClosed: Array<() => void> = [];
  /** Resolves when the stream is over (the client left, it was too slow, or the service stops). */
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly o: ClientOptions,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    // The response's 'close': the connection went away (or we ended it). Not req's 'close', which
    // only says the request (no body here) was read.
    res.on('close', () => this.close());
    res.on('drain', () => {
      this.blocked = false;
      const wake = this.drained;
      this.drained = undefined;
      wake?.();
      if (this.live) this.flush();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `fn` once the stream is over. */
  whenClosed(fn: () => void): void {
    if (this.closed) fn();
    else this.onClosed.push(fn);
  }

  /** The tail's listener: keeps what this client may see, sends it once live. */
  readonly onEntries = (entries: readonly JournalEntry[]): void => {
    if (this.closed) return;
    for (const e of entries) {
      if (!this.accepts(e)) continue;
      if (this.queue.length - this.head >= this.o.maxBuffered) {
        if (this.live) return this.tooSlow();
        // Still reading the backlog: that reading fetches these from the journal (sse.ts, `backlog`).
        this.queue = [];
        this.head = 0;
        this.drops++;
      }
      this.queue.push(e);
    }
    if (this.live && !this.blocked) this.flush();
  };

  /** Entries waiting (tests, metrics). */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  /** Sends the status, headers and the retry hint; starts the heartbeat. */
  open(retryFrame: string): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no', // nginx: pass each event on at once
    });
    this.write(retryFrame);
    // Transport, not domain: a comment line now and then so proxies do not close an idle stream.
    this.heartbeat = setInterval(() => {
      if (!this.blocked) this.write(HEARTBEAT_FRAME);
    }, this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Sends an error event and keeps going (stream-position-expired). */
  warn(problem: StreamProblem): void {
    this.write(errorFrame(problem));
  }

  /** Sends one backlog page (XRANGE, in order), waiting for the socket to drain when it is full. */
  async sendBacklog(entries: readonly JournalEntry[], lastRowId: string | undefined): Promise<void> {
    for (const e of entries) {
      if (this.closed) return;
      if (compareStreamIds(e.id, this.cursor) <= 0) continue;
      this.cursor = e.id;
      if (this.accepts(e) && !this.write(e.frame)) await this.drain();
    }
    // Rows that were not readable events still move the position on.
    if (lastRowId !== undefined && compareStreamIds(lastRowId, this.cursor) > 0) this.cursor = lastRowId;
  }

  /** Drops since the start (compared around a backlog page: a drop means read one more page). */
  get dropCount(): number {
    return this.drops;
  }

  /** The backlog is sent: from now on entries go out as they come. */
  goLive(): void {
    if (this.closed) return;
    this.live = true;
    if (!this.blocked) this.flush();
  }

  /** Sends an error event, then ends the stream. */
  fail(problem: StreamProblem): void {
    if (this.closed) return;
    this.write(errorFrame(problem));
    this.end();
  }

  /** Ends the stream (service stop, or after an error); cuts it if the client does not take it. */
  end(): void {
    if (this.closed) return;
    this.res.end();
    const cut = setTimeout(() => this.res.destroy(), this.o.closeGraceMs);
    cut.unref();
    this.res.once('close', () => clearTimeout(cut));
    this.close();
  }

  private tooSlow(): void {
    this.o.logger.warn({ buffered: this.buffered }, 'event stream client too slow; closing its stream');
    this.fail({ type: 'urn:switchboard:problem:stream-too-slow', title: 'Client too slow', detail: `More than ${this.o.maxBuffered} events waited for this client; reconnect with Last-Event-ID to resume from the journal.` });
  }

  private accepts(e: JournalEntry): boolean {
    if (this.o.types && !this.o.types.has(e.event.type)) return false;
    try {
      return this.o.visible(e.event);
    } catch (err) {
      this.o.logger.error({ err, type: e.event.type }, 'event stream visibility check failed; event not sent');
      return false;
    }
  }

  private flush(): void {
    while (!this.closed && !this.blocked && this.head < this.queue.length) {
      const e = this.queue[this.head++]!;
      if (compareStreamIds(e.id, this.cursor) <= 0) continue; // already sent from the backlog
      this.cursor = e.id;
      this.write(e.frame);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Writes a chunk; false (and blocked) when the socket's buffer is full: wait for 'drain'. */
  private write(chunk: string): boolean {
    if (this.res.writableEnded || this.res.destroyed) return true;
    const ok = this.res.write(chunk);
    if (!ok) this.blocked = true;
    return ok;
  }

  private drain(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.queue = [];
    this.head = 0;
    this.drained?.();
    this.drained = undefined;
    for (const fn of this.onClosed.splice(0)) fn();
    this.finish();
  }
}
