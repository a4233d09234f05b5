// The http.Server around the app: Node's own answers (parser errors, timeouts) are problem-details
// bodies like the API's, and slow clients are cut off after seconds, not minutes. Raw sockets make the bad input
// fetch cannot produce; every wait is for an event, bounded by a deadline.
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { ApiKeys } from '../../src/platform/http/auth';
import { agentRoutes } from '../../src/acd/http';
import { createHttpApp } from '../../src/platform/http/app';
import { createHttpServer, HTTP_SERVER_DEFAULTS, listen } from '../../src/platform/http/server';
import { fakeAcd, profile } from '../support/http-fakes';

const TOKEN = 'admin-token-0123456789';
const agents = fakeAcd({ agents: [profile('agent1', 'Ana', {})], queues: [] });
const calls = agents.commands;
const app = createHttpApp({ readiness: () => ({ ready: true, checks: {} }), keys: ApiKeys.parse(`admin:${TOKEN}`), routes: [agentRoutes(agents)] });
// Small timeouts so the 408s come within a test's patience.
const FAST = { headersTimeoutMs: 300, requestTimeoutMs: 800, checkIntervalMs: 100 };

let server: Server;
let port: number;
beforeAll(async () => {
  server = createHttpServer(app, FAST);
  port = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  await closed;
});

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  elapsedMs: number;
}

/** Writes `data` on a fresh connection and resolves once the server closes it; rejects if it is still open at the deadline. */
function exchange(data: string, deadlineMs: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${deadlineMs} ms; received ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, deadlineMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the answer still ends in 'close'
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = (split < 0 ? text : text.slice(0, split)).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0), headers, body: split < 0 ? '' : text.slice(split + 4), elapsedMs: Date.now() - started });
    });
  });
}

/** The answer is a problem-details body with this status and code, a correct Content-Length, and Connection: close. */
function expectProblem(r: Exchange, status: number, code: string): void {
  expect({ status: r.status, body: r.body ? (JSON.parse(r.body) as unknown) : r.body }).toEqual({ status, body: { type: `urn:switchboard:problem:${code}`, title: expect.any(String), status, code, detail: expect.any(String) } });
  expect(r.headers['content-type']).toBe('application/problem+json');
  expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)));
  expect(r.headers.connection).toBe('close');
}

test('the factory defaults: headers 10 s, whole request 30 s, checked every second', () => {
  // connectionsCheckingInterval is a public Server field in Node 20 that @types/node does not declare.
  const timeouts = (s: Server) => ({ headers: s.headersTimeout, request: s.requestTimeout, check: (s as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval, keepAlive: s.keepAliveTimeout });
  expect(HTTP_SERVER_DEFAULTS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, checkIntervalMs: 1_000 });
  expect(timeouts(createHttpServer(app))).toEqual({ headers: 10_000, request: 30_000, check: 1_000, keepAlive: 5_000 });
  expect(timeouts(createHttpServer(app, { ...FAST, keepAliveTimeoutMs: 700 }))).toEqual({ headers: 300, request: 800, check: 100, keepAlive: 700 });
});

test('ordinary requests pass through to the app', async () => {
  const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect({ status: ok.status, body: await ok.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  const denied = await fetch(`http://127.0.0.1:${port}/api/v1/agents`);
  expect({ status: denied.status, body: await denied.json() }).toMatchObject({ status: 401, body: { code: 'unauthenticated', detail: 'a valid bearer token is required' } });
});

test('a malformed request line is a 400 problem', async () => {
  expectProblem(await exchange('NOT AN HTTP REQUEST\r\n\r\n', 2_000), 400, 'bad_request');
  expectProblem(await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n', 2_000), 400, 'bad_request');
});

test('headers larger than Node accepts are a 431 problem', async () => {
  expectProblem(await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 2_000), 431, 'headers_too_large');
});

test('unfinished headers are a 408 problem after the headers timeout, not ~80 s later', async () => {
  const r = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 2_000);
  expectProblem(r, 408, 'request_timeout');
  expect(r.elapsedMs).toBeGreaterThanOrEqual(FAST.headersTimeoutMs - 50);
});

test('an authenticated request whose body never finishes is a 408 problem after the request timeout, not ~320 s later', async () => {
  const head = `POST /api/v1/agents/agent1/pause HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
  const r = await exchange(`${head}{"reason":"lu`, 3_000);
  expectProblem(r, 408, 'request_timeout');
  expect(r.elapsedMs).toBeGreaterThanOrEqual(FAST.requestTimeoutMs - 50);
  expect(calls).toEqual([]);
});

describe('clientError handling on a socket', () => {
  class FakeSocket extends Duplex {
    written: string[] = [];
    _httpMessage?: { headersSent: boolean };
    override _read(): void {}
    override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
      this.written.push(chunk.toString());
      cb();
    }
  }
  const raise = (code: string, socket: FakeSocket) => server.emit('clientError', Object.assign(new Error(code), { code }), socket);

  test('a reset from the client just destroys the socket', () => {
    const s = new FakeSocket();
    raise('ECONNRESET', s);
    expect({ written: s.written, destroyed: s.destroyed }).toEqual({ written: [], destroyed: true });
  });

  test('nothing is written into a response that has already started; the socket is destroyed', () => {
    const s = new FakeSocket();
    s._httpMessage = { headersSent: true };
    raise('ERR_HTTP_REQUEST_TIMEOUT', s);
    expect({ written: s.written, destroyed: s.destroyed }).toEqual({ written: [], destroyed: true });
  });

  test('a request not yet answered gets the problem body, then the socket is destroyed', () => {
    const s = new FakeSocket();
    s._httpMessage = { headersSent: false };
    raise('ERR_HTTP_REQUEST_TIMEOUT', s);
    expect(s.destroyed).toBe(true);
    expect(s.written.join('')).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*\r\n\r\n\{"type":"urn:switchboard:problem:request_timeout",.*"code":"request_timeout"\}$/);
  });
});

test('listen resolves with the bound port and rejects when the port is taken', async () => {
  const other = createHttpServer(app);
  await expect(listen(other, port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
  expect(port).toBe((server.address() as AddressInfo).port);
});
