// What a client asks of the event stream (where to resume, which types), read from a plain Node
// request, and the typed errors the HTTP layer maps to problem details.
import type { IncomingMessage } from 'node:http';
import { EVENT_TYPES } from '../events';
import { parseStreamId, parseTypesFilter } from './domain';

/** Refused before the stream starts: answer 400 problem details (`invalid` names the fields). */
export class StreamRequestError extends Error {
  readonly status = 400;
  readonly code = 'bad_request';
  constructor(
    message: string,
    readonly invalid: ReadonlyArray<{ name: string; reason: string }>,
  ) {
    super(message);
    this.name = 'StreamRequestError';
  }
}

/** The event stream is shutting down (service stop): answer 503; the client retries elsewhere. */
export class StreamStoppedError extends Error {
  readonly status = 503;
  readonly code = 'unavailable';
  constructor() {
    super('the event stream is stopping');
    this.name = 'StreamStoppedError';
  }
}

/** Where to resume and which types, as the client sent them (validated by `validStreamRequest`). */
export interface StreamRequest {
  /** The Last-Event-ID header, else the `since` query parameter. */
  lastEventId?: string;
  /** The `types` query parameter(s), e.g. ["queue.*,agent.*"]. */
  types?: string[];
}

/**
 * Reads Last-Event-ID, `since` and `types` from a request (express's req is one too). The header
 * wins over `since`: a browser's EventSource keeps the URL it was opened with and sends the header
 * with the id it got last, so on reconnection the header is the newer position.
 */
export function streamRequestOf(req: IncomingMessage): StreamRequest {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const header = req.headers['last-event-id'];
  const fromHeader = typeof header === 'string' && header !== '' ? header : undefined;
  const since = query.get('since') ?? undefined;
  const types = query.getAll('types');
  return { lastEventId: fromHeader ?? (since === '' ? undefined : since), types: types.length > 0 ? types : undefined };
}

/** The position (canonical id) and the set of types asked for; throws StreamRequestError. */
export function validStreamRequest(r: { lastEventId?: string | undefined; types?: string | readonly string[] | undefined }): { from?: string; types?: ReadonlySet<string> } {
  const invalid: Array<{ name: string; reason: string }> = [];
  const from = r.lastEventId === undefined || r.lastEventId === '' ? undefined : parseStreamId(r.lastEventId);
  if (r.lastEventId && from === undefined) invalid.push({ name: 'Last-Event-ID', reason: 'not a journal id (<ms>-<seq>, e.g. 1700000000000-0)' });
  const types = parseTypesFilter(r.types, EVENT_TYPES);
  if (!types.ok) invalid.push({ name: 'types', reason: types.reason });
  if (invalid.length > 0) throw new StreamRequestError(`the event stream request is invalid: ${invalid.map((i) => `${i.name}: ${i.reason}`).join('; ')}`, invalid);
  return { ...(from !== undefined ? { from } : {}), ...(types.ok && types.types ? { types: types.types } : {}) };
}
