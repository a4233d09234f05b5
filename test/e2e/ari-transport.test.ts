// How ARI requests travel, against the real Asterisk: over a pool of WebSockets (REST over
// WebSocket), with requests sent again when their connection fails under them; bounded; HTTP as
// the fallback when Asterisk does not answer over the WebSocket (an older Asterisk, played by a
// socket that accepts the upgrade and never answers: the one stand-in here, as no older Asterisk
// exists on this machine); and HTTP that waits for Asterisk when its connection is refused.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { AriHttpError, AriUnreachableError } from '../../src/platform/ari/errors';
import { HttpTransport } from '../../src/platform/ari/http-transport';
import { AriRest } from '../../src/platform/ari/rest';
import { AriTransportError, type AriTransport } from '../../src/platform/ari/transport';
import { WsTransport } from '../../src/platform/ari/ws-transport';
import { waitFor } from '../support/net';
import { ariUrl, TEST } from '../support/stack';

jest.setTimeout(30_000);

const logger = pino({ level: 'silent' });
const creds = { url: ariUrl(), user: TEST.ARI_USER, password: TEST.ARI_PASSWORD };
const started: AriTransport[] = [];
const servers: Server[] = [];

function ws(extra: Partial<ConstructorParameters<typeof WsTransport>[0]> = {}): WsTransport {
  const t = new WsTransport({ ...creds, app: 'sb-transport-test', logger, size: 2, backoffBaseMs: 20, backoffMaxMs: 100, ...extra });
  t.start();
  started.push(t);
  return t;
}

afterEach(async () => {
  for (const t of started.splice(0)) await t.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

test('requests go over the WebSockets and come back with their status', async () => {
  const t = ws();
  const rest = new AriRest({ url: creds.url, transport: t });
  expect((await rest.asteriskInfo()).system).toBeDefined();
  await expect(rest.channel('no-such-channel')).rejects.toMatchObject({ status: 404 });
  await expect(rest.channel('no-such-channel')).rejects.toBeInstanceOf(AriHttpError);
  await waitFor('both sockets open, their probes answered', async () => t.load().open === 2 && t.load().inFlight === 0);
  expect(t.load()).toMatchObject({ kind: 'websocket', size: 2, waiting: 0 });
  // A body travels too: a user event with variables reaches Asterisk (404: no such application).
  await expect(rest.userEvent('sb-no-such-app', 'x', { a: '1' })).rejects.toMatchObject({ status: 404 });
});

test('connections that fail under 60 unanswered requests: every request is sent again and answered', async () => {
  const t = ws();
  const rest = new AriRest({ url: creds.url, transport: t });
  await waitFor('pool open and probed', async () => t.load().open === 2 && t.load().inFlight === 0);
  const bridgeId = `sb-transport-${Date.now()}`;
  const asked = [
    ...Array.from({ length: 59 }, () => rest.asteriskInfo().then(() => 'info')),
    // A create with our id: if the first try went through, the second answers 409, taken as done.
    rest.createBridgeOnce(bridgeId).then(() => 'bridge'),
  ];
  expect(t.load().inFlight + t.load().waiting).toBe(60);
  t.drop();
  const answers = await Promise.all(asked);
  expect(answers.filter((a) => a === 'info')).toHaveLength(59);
  expect((await rest.bridge(bridgeId)).id).toBe(bridgeId);
  await rest.destroyBridgeQuietly(bridgeId);
  expect(t.load()).toMatchObject({ inFlight: 0, waiting: 0 });
});

test('bounded: past the waiting limit a request fails at once; with Asterisk unreachable it fails by its deadline', async () => {
  const nowhere = new WsTransport({ url: 'http://127.0.0.1:9', user: 'x', password: 'y', app: 'sb-transport-test', logger, size: 1, maxWaiting: 2, backoffBaseMs: 20 });
  nowhere.start();
  started.push(nowhere);
  const rest = new AriRest({ url: 'http://127.0.0.1:9', transport: nowhere, requestTimeoutMs: 300 });
  const t0 = Date.now();
  const waiting = [rest.asteriskInfo(), rest.asteriskInfo()].map((p) => p.catch((e: unknown) => e));
  const third = await rest.asteriskInfo().catch((e: unknown) => e);
  expect(third).toBeInstanceOf(AriUnreachableError);
  expect(String(third)).toMatch(/already waiting/);
  expect(Date.now() - t0).toBeLessThan(100);
  for (const e of await Promise.all(waiting)) expect(String(e)).toMatch(/unreachable: .*no request socket open/);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
});

test('an Asterisk that does not answer over the WebSocket: requests go over HTTP instead', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const heard: string[] = [];
  wss.on('connection', (sock) => sock.on('message', (m) => heard.push(String(m)))); // never answers
  const t = ws({ url: `http://127.0.0.1:${port}`, probeTimeoutMs: 200, fallback: new HttpTransport(creds) });
  const rest = new AriRest({ url: creds.url, transport: t });
  expect((await rest.asteriskInfo()).system).toBeDefined();
  expect(t.load().kind).toBe('http');
  expect(heard.some((m) => JSON.parse(m).type === 'RESTRequest')).toBe(true);
  await new Promise((r) => wss.close(r));
});

test('HTTP: at most maxInFlight requests at once; a refused connection is tried again until Asterisk answers', async () => {
  const t = new HttpTransport({ ...creds, maxInFlight: 2 });
  const rest = new AriRest({ url: creds.url, transport: t });
  let peak = 0;
  const all = Promise.all(Array.from({ length: 20 }, () => rest.asteriskInfo().then(() => (peak = Math.max(peak, t.load().inFlight)))));
  expect(t.load()).toMatchObject({ inFlight: 2, waiting: 18 });
  await all;
  expect(peak).toBeLessThanOrEqual(2);

  // Nothing listens on the port yet: the request waits (retrying) and is answered once a server is there.
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const late = new HttpTransport({ url: `http://127.0.0.1:${port}`, user: 'u', password: 'p' });
  const pending = late.send({ method: 'GET', path: 'asterisk/ping', query: {} }, 3000);
  const server = createServer((_req, res) => res.end('{"ping":"pong"}'));
  servers.push(server);
  setImmediate(() => server.listen(port, '127.0.0.1'));
  await expect(pending).resolves.toEqual({ status: 200, body: '{"ping":"pong"}' });
  const refused = new HttpTransport({ url: 'http://127.0.0.1:9', user: 'u', password: 'p' });
  await expect(refused.send({ method: 'GET', path: 'asterisk/ping', query: {} }, 300)).rejects.toBeInstanceOf(AriTransportError);
});
