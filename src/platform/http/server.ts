// The http.Server around the express app. Node's own defaults hold a connection with unfinished
// headers ~80 s and an unfinished body ~320 s (timeouts are only checked every 30 s), and its parser
// errors (bad request line, headers too large) answer with empty bodies. Here the timeouts are short,
// checked every second, and every answer Node makes itself is a problem-details body like the API's.
import { createServer, STATUS_CODES, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { problem, problemDetails, PROBLEM_CONTENT_TYPE } from './problem';

export interface HttpServerOptions {
  /** Time allowed to receive the request headers (Node: headersTimeout). */
  headersTimeoutMs?: number;
  /** Time allowed to receive the whole request, body included (Node: requestTimeout). */
  requestTimeoutMs?: number;
  /** Idle time before a kept-alive connection is closed (Node: keepAliveTimeout). */
  keepAliveTimeoutMs?: number;
  /** How often Node looks for expired requests (Node: connectionsCheckingInterval); bounds how late a 408 comes. */
  checkIntervalMs?: number;
  /** Client errors are logged at debug level only: they are the client's problem, and can be provoked at will. */
  logger?: Logger;
}

export const HTTP_SERVER_DEFAULTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
} as const satisfies Required<Omit<HttpServerOptions, 'logger'>>;

// Node's parser error codes that get a status other than 400.
const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const CLIENT_ERROR_MESSAGE: Record<number, string> = {
  400: 'the request is not valid HTTP/1.1',
  408: 'the request was not received in time',
  413: 'chunk extensions are too large',
  431: 'the request headers are too large',
};

/** The raw HTTP/1.1 answer for a client error the parser (or a timeout) raised before express saw the request. */
export function clientErrorResponse(errCode: string | undefined): string {
  const status = (errCode && CLIENT_ERROR_STATUS[errCode]) || 400;
  const body = JSON.stringify(problemDetails(problem(status, CLIENT_ERROR_MESSAGE[status] ?? 'bad request')));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

export function createHttpServer(app: RequestListener, opts: HttpServerOptions = {}): Server {
  const o = { ...HTTP_SERVER_DEFAULTS, ...withoutUndefined(opts) };
  const server = createServer(
    {
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      connectionsCheckingInterval: o.checkIntervalMs,
    },
    app,
  );
  // Replaces Node's default handling (same checks, JSON body instead of an empty one).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    opts.logger?.debug({ code: err.code }, 'HTTP client error');
    // Never interleave with a response already under way on this socket.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && (!inFlight || !inFlight.headersSent)) socket.write(clientErrorResponse(err.code));
    socket.destroy();
  });
  return server;
}

/** Starts listening; resolves with the bound port (useful with port 0) or rejects with the listen error. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
