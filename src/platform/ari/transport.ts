// How an ARI request reaches Asterisk. Two ways: REST over the application's WebSockets (one
// authenticated connection carries many requests; ws-transport.ts) and plain HTTP
// (http-transport.ts), the fallback for an Asterisk without REST over WebSocket. Both are bounded
// (requests in flight and waiting) and retry a request whose connection failed under it, until
// its deadline: every request Switchboard makes is safe to repeat (ids are ours; see rest.ts).

export type Query = Record<string, string | number | boolean | undefined>;

export interface AriRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below /ari, without the leading slash, segments already encoded: "channels/x/answer". */
  path: string;
  query: Query;
  /** Sent as JSON. */
  body?: unknown;
}

export interface AriReply {
  status: number;
  /** The response body as text (JSON), when there is one. */
  body?: string;
}

/** What the transport is carrying now: the admission control reads it. */
export interface TransportLoad {
  kind: 'websocket' | 'http';
  /** Requests sent and not yet answered. */
  inFlight: number;
  /** Requests waiting for a connection (all busy, or none open). */
  waiting: number;
  /** Connections open now, and the pool's size. */
  open: number;
  size: number;
}

export interface AriTransport {
  /** Sends the request, retrying on a lost connection, until `timeoutMs`. Never throws for an HTTP status. */
  send(req: AriRequest, timeoutMs: number): Promise<AriReply>;
  load(): TransportLoad;
  start(): void;
  stop(): Promise<void>;
}

/** The request could not be carried: no connection, or no answer, before its deadline. */
export class AriTransportError extends Error {
  constructor(
    readonly why: 'unreachable' | 'timeout' | 'busy' | 'stopped',
    detail: string,
  ) {
    super(detail);
    this.name = 'AriTransportError';
  }
}

/** Query values as ARI reads them (undefined left out). */
export function queryPairs(query: Query): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [name, v] of Object.entries(query)) if (v !== undefined) out.push({ name, value: String(v) });
  return out;
}
