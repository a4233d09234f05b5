// The ARI event WebSocket, kept open for as long as the process runs: reconnect forever with
// capped exponential backoff and full jitter, ping/pong to notice a dead peer, and a slow
// retry (not a tight loop) when Asterisk rejects the credentials.
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { tickBatcher, type Corkable } from '../batch-writes';

export type SocketState =
  | { status: 'connecting'; attempt: number; lastError?: string }
  | { status: 'open'; since: number }
  | { status: 'waiting'; attempt: number; retryInMs: number; lastError: string }
  | { status: 'auth-failed'; retryInMs: number; lastError: string }
  | { status: 'closed' };

export interface EventSocketOptions {
  url: string;
  user: string;
  password: string;
  app: string;
  logger: Logger;
  onMessage: (data: unknown) => void;
  onOpen: () => void;
  onClose: (reason: string) => void;
  /** Called just before each connection attempt. */
  onConnecting?: () => void;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Delay before retrying after the credentials were rejected. */
  authRetryMs?: number;
  pingIntervalMs?: number;
  connectTimeoutMs?: number;
  random?: () => number;
  /** Names the socket in logs ("event socket" by default). */
  label?: string;
  /** Connection trouble logged at debug level (a pool whose owner reports it once). */
  quiet?: boolean;
}

export class AriEventSocket {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private stopped = false;
  private _state: SocketState = { status: 'closed' };
  private loggedUnreachable = false;
  /** Set by restart(): the delay before the next attempt, instead of the backoff. */
  private restartInMs: number | undefined;
  private batcher: { ws: WebSocket; batch: () => void } | undefined;

  constructor(private readonly opts: EventSocketOptions) {}

  get state(): SocketState {
    return this._state;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Sends a text frame; false when the socket is not open (nothing was sent). */
  send(text: string): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    this.corkUntilNextTick(ws);
    ws.send(text);
    return true;
  }

  /** Messages sent in the same tick leave in one write (platform/batch-writes.ts); ws writes each frame to its own socket (not in ws's typed API, present since ws 1). */
  private corkUntilNextTick(ws: WebSocket): void {
    if (this.batcher?.ws !== ws) {
      const socket = (ws as unknown as { _socket?: Corkable })._socket;
      if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return;
      this.batcher = { ws, batch: tickBatcher(socket) };
    }
    this.batcher.batch();
  }

  /** Forces the current connection closed (as if the network failed); it reconnects on its own. */
  drop(): void {
    this.ws?.terminate();
  }

  /** Closes the current connection and connects again after `delayMs` (a new connection takes the application back). */
  restart(delayMs: number): void {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) {
      this.restartInMs = delayMs;
      this.ws.terminate();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = undefined;
    this._state = { status: 'closed' };
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.terminate();
      });
    }
  }

  private wsUrl(): string {
    const u = new URL(this.opts.url.replace(/\/+$/, '') + '/ari/events');
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('app', this.opts.app);
    u.searchParams.set('subscribeAll', 'false');
    return u.toString();
  }

  private connect(): void {
    if (this.stopped) return;
    this.attempt++;
    const prev = this._state;
    this._state = { status: 'connecting', attempt: this.attempt, lastError: 'lastError' in prev ? prev.lastError : undefined };
    const auth = `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64')}`;
    this.opts.onConnecting?.();
    const ws = new WebSocket(this.wsUrl(), { headers: { Authorization: auth }, handshakeTimeout: this.opts.connectTimeoutMs ?? 5000 });
    this.ws = ws;
    let authFailed = false;
    let rejected = false;
    let lastError = 'connection closed';

    ws.on('unexpected-response', (_req, res) => {
      rejected = true;
      lastError = `HTTP ${res.statusCode} on WebSocket upgrade`;
      if (res.statusCode === 401 || res.statusCode === 403) authFailed = true;
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      // Keep the reason from an HTTP answer (e.g. 401); the error after it only says "closed".
      if (!rejected) lastError = err.message;
    });
    ws.on('open', () => {
      this.attempt = 0;
      this.loggedUnreachable = false;
      this._state = { status: 'open', since: Date.now() };
      this.log('info', { url: this.opts.url, app: this.opts.app }, `ARI ${this.label} connected`);
      this.startPing(ws);
      this.opts.onOpen();
    });
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('message', (data: WebSocket.RawData) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        this.opts.logger.warn('ARI sent a message that is not JSON; ignored');
        return;
      }
      this.opts.onMessage(parsed);
    });
    ws.on('close', () => {
      clearInterval(this.pingTimer);
      if (this.ws !== ws) return; // stop() or a newer socket took over
      const wasOpen = this._state.status === 'open';
      if (wasOpen) this.opts.onClose(lastError);
      if (this.stopped) return;
      if (authFailed) {
        const retryInMs = this.opts.authRetryMs ?? 30_000;
        this._state = { status: 'auth-failed', retryInMs, lastError };
        this.log(
          'error',
          { url: this.opts.url, user: this.opts.user },
          `ARI rejected the credentials of user "${this.opts.user}" (${lastError}); check SWITCHBOARD_ARI_USER and SWITCHBOARD_ARI_PASSWORD against ari.conf. Next try in ${Math.round(retryInMs / 1000)} s`,
        );
        this.timer = setTimeout(() => this.connect(), retryInMs);
        return;
      }
      const base = this.opts.backoffBaseMs ?? 250;
      const max = this.opts.backoffMaxMs ?? 10_000;
      const ceiling = Math.min(max, base * 2 ** Math.min(this.attempt, 16));
      const retryInMs = this.restartInMs ?? Math.round((this.opts.random ?? Math.random)() * ceiling); // full jitter
      this.restartInMs = undefined;
      this._state = { status: 'waiting', attempt: this.attempt, retryInMs, lastError };
      if (wasOpen) this.log('warn', { url: this.opts.url, reason: lastError }, `ARI ${this.label} lost; reconnecting`);
      else if (!this.loggedUnreachable) {
        // One clear line per outage, not one per retry.
        this.loggedUnreachable = true;
        this.log(
          'error',
          { url: this.opts.url, reason: lastError },
          `cannot reach Asterisk ARI at ${this.opts.url} (${lastError}); is the stack up? Start it with "npm run demo:up" or "scripts/stack.sh up". Retrying until it answers`,
        );
      }
      this.timer = setTimeout(() => this.connect(), retryInMs);
    });
  }

  private get label(): string {
    return this.opts.label ?? 'event socket';
  }

  /** A quiet socket says what happened at debug level, in a line of its own (another socket tells the story). */
  private log(level: 'info' | 'warn' | 'error', fields: object, msg: string): void {
    if (this.opts.quiet) this.opts.logger.debug({ ...fields, detail: msg }, `ARI ${this.label}: ${level === 'info' ? 'up' : 'trouble'}`);
    else this.opts.logger[level](fields, msg);
  }

  private startPing(ws: WebSocket): void {
    this.awaitingPong = false;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.log('warn', {}, `ARI ${this.label} missed a pong; dropping it`);
        ws.terminate();
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, this.opts.pingIntervalMs ?? 5000);
  }
}
