// ARI over plain HTTP, for an Asterisk without REST over WebSocket (or SWITCHBOARD_ARI_TRANSPORT=
// http). At most `maxInFlight` requests at once (Asterisk refuses past its HTTP session limit,
// 100 by default, and opening a connection per request is what made it reach it); the rest wait
// in order, up to `maxWaiting`. A request whose connection failed (refused, reset) is sent again
// after a short pause until its deadline.
import { AriTransportError, queryPairs, type AriReply, type AriRequest, type AriTransport, type TransportLoad } from './transport';

export interface HttpTransportOptions {
  /** e.g. http://127.0.0.1:8088 (the /ari prefix is added here). */
  url: string;
  user: string;
  password: string;
  maxInFlight?: number;
  maxWaiting?: number;
}

const RETRY_PAUSES_MS = [25, 50, 100, 200, 400];

export class HttpTransport implements AriTransport {
  private readonly base: string;
  private readonly auth: string;
  private readonly maxInFlight: number;
  private readonly maxWaiting: number;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  private stopped = false;

  constructor(o: HttpTransportOptions) {
    this.base = `${o.url.replace(/\/+$/, '')}/ari`;
    // Credentials go in a header, never in the query string (which ends up in access logs).
    this.auth = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
    this.maxInFlight = o.maxInFlight ?? 16;
    this.maxWaiting = o.maxWaiting ?? 1000;
  }

  start(): void {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  load(): TransportLoad {
    return { kind: 'http', inFlight: this.inFlight, waiting: this.queue.length, open: this.maxInFlight, size: this.maxInFlight };
  }

  async send(req: AriRequest, timeoutMs: number): Promise<AriReply> {
    const deadline = performance.now() + timeoutMs;
    await this.slot(deadline);
    try {
      return await this.sendWithRetries(req, deadline);
    } finally {
      this.release();
    }
  }

  private async sendWithRetries(req: AriRequest, deadline: number): Promise<AriReply> {
    const qs = new URLSearchParams(queryPairs(req.query).map((p): [string, string] => [p.name, p.value]));
    const url = `${this.base}/${req.path}${qs.size > 0 ? `?${qs.toString()}` : ''}`;
    const headers: Record<string, string> = { Authorization: this.auth };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) throw new AriTransportError('stopped', 'the ARI transport is stopped');
      const left = deadline - performance.now();
      if (left <= 0) throw new AriTransportError('timeout', `no answer from ${this.base} in time`);
      try {
        const res = await fetch(url, { method: req.method, headers, body, signal: AbortSignal.timeout(Math.ceil(left)) });
        const text = await res.text();
        return { status: res.status, body: text.length > 0 ? text : undefined };
      } catch (err) {
        if (isTimeout(err)) throw new AriTransportError('timeout', `no answer from ${this.base} in time`);
        const pause = RETRY_PAUSES_MS[Math.min(attempt, RETRY_PAUSES_MS.length - 1)]!;
        if (performance.now() + pause >= deadline) throw new AriTransportError('unreachable', `${this.base} unreachable: ${causeOf(err)}`);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  private slot(deadline: number): Promise<void> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxWaiting) return Promise.reject(new AriTransportError('busy', `${this.queue.length} ARI requests already waiting`));
    return new Promise((resolve, reject) => {
      const go = (): void => {
        clearTimeout(timer);
        this.inFlight++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(go);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new AriTransportError('timeout', 'no ARI connection free in time'));
      }, Math.max(0, deadline - performance.now()));
      this.queue.push(go);
    });
  }

  private release(): void {
    this.inFlight--;
    this.queue.shift()?.();
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function causeOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? err.cause.message : err.message;
}
