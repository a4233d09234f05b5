// An independent witness: a second ARI application subscribed to everything, so tests can see
// what Asterisk did (playbacks started, variables set) without trusting Switchboard's account.
import WebSocket from 'ws';
import { waitFor } from './net';

export interface ObservedEvent {
  type: string;
  [k: string]: unknown;
}

export class AriObserver {
  readonly events: ObservedEvent[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d: WebSocket.RawData) => this.events.push(JSON.parse(d.toString()) as ObservedEvent));
  }

  static async connect(ariUrl: string, user: string, password: string, app = 'sb-test-observer'): Promise<AriObserver> {
    const url = `${ariUrl.replace(/^http/, 'ws')}/ari/events?app=${app}&subscribeAll=true`;
    const ws = new WebSocket(url, { headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new AriObserver(ws);
  }

  waitFor(what: string, pred: (e: ObservedEvent) => boolean, timeoutMs = 10_000): Promise<ObservedEvent> {
    return waitFor(what, () => this.events.find(pred), timeoutMs);
  }

  close(): void {
    this.ws.terminate();
  }
}
