// GET /api/v1/events: the journal as a Server-Sent Events stream (docs/event-stream.md).
// Express-agnostic: it takes Node's request and response; the HTTP layer authenticates, builds
// the caller's visibility predicate, and maps the errors thrown before the stream starts
// (StreamRequestError → 400, StreamStoppedError → 503, a Redis error → 503).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { SwitchboardEvent } from '../events';
import type { Keys } from '../platform/redis/keys';
import { StreamClient } from './client';
import { resumeFrom, retryFrame, RETRY_MS, type JournalInfo, type StreamProblem } from './domain';
import { JournalTail, toEntries, type Pause } from './journal-tail';
import { StreamStoppedError, validStreamRequest } from './request';

export interface EventStreamDeps {
  redis: Redis;
  keys: Keys;
  logger: Logger;
  /** Interval of the `: keep-alive` comment (ms); 15 s by default. */
  heartbeatMs?: number;
  /** The tail's pause after a failed read (tests inject one that resolves at once). */
  pause?: Pause;
  /** Entries a client may have waiting (see client.ts); 10,000 by default. */
  maxBuffered?: number;
  /** Backlog rows per XRANGE; 500 by default. */
  pageSize?: number;
  /** The tail's XREAD BLOCK timeout (ms). */
  blockMs?: number;
  /** Time an ended stream has to flush before its connection is cut (ms); 10 s by default. */
  closeGraceMs?: number;
}

export interface StreamOptions {
  /** What the caller may see (built from its role); applied to every event, backlog and live. */
  visible: (event: SwitchboardEvent) => boolean;
  /** Resume after this journal id (the Last-Event-ID header, else `?since=`); omitted: live only. */
  lastEventId?: string | undefined;
  /** Types or families (`queue.*`), as given in `?types=` (comma-separated, maybe repeated). */
  types?: string | readonly string[] | undefined;
}

export interface EventStream {
  /**
   * Serves one client until it leaves (or the service stops); resolves then. Throws before
   * anything is written: StreamRequestError (400), StreamStoppedError (503), Redis errors.
   */
  handle(req: IncomingMessage, res: ServerResponse, opts: StreamOptions): Promise<void>;
  stats(): { clients: number; buffered: number; tail: { listeners: number; running: boolean } };
  /** Ends every stream (clients reconnect, to another instance if need be) and stops the tail. */
  stop(): Promise<void>;
}

export function createEventStream(deps: EventStreamDeps): EventStream {
  const logger = deps.logger.child({ component: 'event-stream' });
  const tail = new JournalTail(deps.redis, deps.keys, logger, { ...(deps.pause ? { pause: deps.pause } : {}), ...(deps.blockMs !== undefined ? { blockMs: deps.blockMs } : {}) });
  const clients = new Set<StreamClient>();
  const pageSize = deps.pageSize ?? 500;
  let stopped = false;

  async function journalInfo(): Promise<JournalInfo | undefined> {
    let reply: unknown;
    try {
      reply = await deps.redis.xinfo('STREAM', deps.keys.journal());
    } catch (err) {
      if (err instanceof Error && /no such key/i.test(err.message)) return undefined;
      throw err;
    }
    return parseXinfo(reply);
  }

  /** Sends the backlog after the client's cursor, page by page, until it reaches the end. */
  async function backlog(client: StreamClient): Promise<void> {
    for (;;) {
      const drops = client.dropCount;
      const start = client.cursor === '0-0' ? '-' : `(${client.cursor}`;
      const rows = await deps.redis.xrange(deps.keys.journal(), start, '+', 'COUNT', pageSize);
      await client.sendBacklog(toEntries(rows, logger), rows[rows.length - 1]?.[0]);
      if (client.isClosed) return;
      // A short page is the end, unless live entries were dropped meanwhile: they may be newer
      // than what this page saw, so read once more (the next page is asked for after the drop).
      if (rows.length < pageSize && client.dropCount === drops) return;
    }
  }

  return {
    async handle(req, res, opts) {
      if (stopped) throw new StreamStoppedError();
      const { from, types } = validStreamRequest(opts);
      const client = new StreamClient(res, {
        visible: opts.visible,
        types,
        maxBuffered: deps.maxBuffered ?? 10_000,
        heartbeatMs: deps.heartbeatMs ?? 15_000,
        closeGraceMs: deps.closeGraceMs ?? 10_000,
        logger,
      });
      // Listen first, then look back: nothing appended in between can fall through.
      const leave = await tail.subscribe(client.onEntries);
      client.whenClosed(leave);
      let expired: StreamProblem | undefined;
      try {
        if (from !== undefined) {
          const resume = resumeFrom(from, await journalInfo());
          if (resume.ok) client.cursor = from;
          else expired = expiredProblem(from, resume.oldest, resume.why); // cursor stays 0-0: from the oldest kept
        }
      } catch (err) {
        leave();
        throw err;
      }
      if (client.isClosed) return; // the client left while we asked Redis
      if (stopped) {
        leave();
        throw new StreamStoppedError();
      }
      clients.add(client);
      client.whenClosed(() => clients.delete(client));
      client.open(retryFrame(RETRY_MS));
      if (expired) client.warn(expired);
      try {
        if (from !== undefined) await backlog(client);
        client.goLive();
      } catch (err) {
        // Headers are sent: say so in the stream and end it; the client resumes with Last-Event-ID.
        logger.warn({ err }, 'event stream backlog could not be read');
        client.fail({ type: 'urn:switchboard:problem:stream-unavailable', title: 'Journal unavailable', detail: 'The journal could not be read; reconnect with Last-Event-ID to resume.' });
      }
      await client.done;
    },

    stats() {
      let buffered = 0;
      for (const c of clients) buffered = Math.max(buffered, c.buffered);
      return { clients: clients.size, buffered, tail: tail.stats() };
    },

    async stop() {
      stopped = true;
      for (const c of [...clients]) c.end();
      await tail.stop();
    },
  };
}

function expiredProblem(from: string, oldest: string | undefined, why: 'trimmed' | 'deleted' | 'unknown'): StreamProblem {
  const reason =
    why === 'unknown' ? `the journal has no position ${from} (it ends before it: was Redis reset?)` : why === 'deleted' ? `events after ${from} were deleted from the journal` : `the journal no longer holds events from ${from} (they are past the retention period)`;
  const goOn = oldest !== undefined ? `The stream continues from the oldest event it still holds (${oldest}); events in between are lost.` : 'The journal is empty; the stream continues with new events.';
  return {
    type: 'urn:switchboard:problem:stream-position-expired',
    title: 'Stream position expired',
    detail: `Cannot resume without a gap: ${reason}. ${goOn}`,
    ...(oldest !== undefined ? { oldest } : {}),
  };
}

/** XINFO STREAM's reply: a flat [name, value, …] list (RESP2, or RESP3 in ioredis's legacy shape) or a map. */
export function parseXinfo(reply: unknown): JournalInfo {
  const fields = new Map<string, unknown>();
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  else if (typeof reply === 'object' && reply !== null) for (const [k, v] of Object.entries(reply)) fields.set(k, v);
  const str = (name: string, fallback: string): string => {
    const v = fields.get(name);
    return typeof v === 'string' ? v : fallback;
  };
  const num = (name: string): number | undefined => {
    const v = fields.get(name);
    return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const first = fields.get('first-entry');
  const firstId = Array.isArray(first) && typeof first[0] === 'string' ? first[0] : undefined;
  const entriesAdded = num('entries-added');
  return {
    length: num('length') ?? 0,
    lastGeneratedId: str('last-generated-id', '0-0'),
    maxDeletedId: str('max-deleted-entry-id', '0-0'),
    ...(entriesAdded !== undefined ? { entriesAdded } : {}),
    ...(firstId !== undefined ? { firstId } : {}),
  };
}
