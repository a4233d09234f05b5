// The service's link to Asterisk's ARI application: the event socket (kept open, reconnecting),
// proof that the application is ours (app-ownership.ts), and the reconcile that must run after
// every connect (ARI replays nothing) and whenever Redis comes back. Ready means: connected, the
// application proven ours, and the last reconcile done. Events go to the router.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { AppOwnership, PROBE_EVENT } from './app-ownership';
import { AriEventSocket } from './event-socket';
import type { AriRest } from './rest';
import type { AriRouter } from './router';
import { KNOWN_EVENT_TYPES } from './types';

export interface AriLinkOptions {
  url: string;
  user: string;
  password: string;
  app: string;
  logger: Logger;
  rest: AriRest;
  router: AriRouter;
  /** Who claims the application (Redis): see app-ownership.ts. */
  claims: { get(): Promise<string | undefined>; set(instanceId: string, ttlMs: number): Promise<void>; release(instanceId: string): Promise<void> };
  /** Settles what the features hold against what Asterisk has. */
  reconcile(): Promise<void>;
  /** Called each time the link becomes ready. */
  onReady?: () => void;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  pingIntervalMs?: number;
  authRetryMs?: number;
  connectTimeoutMs?: number;
}

type Phase = 'starting' | 'reconciling' | 'ready' | 'disconnected';

export class AriLink {
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly socket: AriEventSocket;
  private readonly ownership: AppOwnership;
  private phase: Phase = 'starting';
  private reconcileError = '';
  private opened = 0;
  /** Bumped on every connect and disconnect, so a stale reconcile does not mark the link ready. */
  private generation = 0;
  private stopped = false;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;

  constructor(private readonly o: AriLinkOptions) {
    this.ownership = new AppOwnership({
      instanceId: this.instanceId,
      logger: o.logger,
      onOwned: () => this.sayIfReady(),
      probeEveryMs: o.pingIntervalMs,
      probeTimeoutMs: o.pingIntervalMs,
      sendProbe: (nonce) => o.rest.userEvent(o.app, PROBE_EVENT, { nonce }),
      reclaim: (delayMs) => this.socket.restart(delayMs),
      claimant: () => o.claims.get(),
      claim: (ttlMs) => o.claims.set(this.instanceId, ttlMs),
    });
    o.router.onApplicationReplaced(() => this.ownership.replaced());
    o.router.onUserEvent(PROBE_EVENT, (ev) => this.ownership.echo(String(ev.userevent.nonce ?? '')));
    this.socket = new AriEventSocket({
      url: o.url,
      user: o.user,
      password: o.password,
      app: o.app,
      logger: o.logger,
      backoffBaseMs: o.backoffBaseMs,
      backoffMaxMs: o.backoffMaxMs,
      pingIntervalMs: o.pingIntervalMs,
      authRetryMs: o.authRetryMs,
      connectTimeoutMs: o.connectTimeoutMs,
      onConnecting: () => this.ownership.connecting(),
      onOpen: () => {
        this.generation++;
        this.opened++;
        this.ownership.opened();
        this.filterEvents();
        this.requestReconcile();
      },
      onClose: () => {
        this.phase = 'disconnected';
        this.generation++;
        this.ownership.closed();
      },
      onMessage: (raw) => o.router.receive(raw),
    });
  }

  start(): void {
    this.socket.start();
  }

  /**
   * Asks Asterisk to send the application only the event types the router handles (about half of
   * a call's events are others: variable sets, dialplan steps, bridge and state changes), so Node
   * parses less. Harmless if it fails: the router ignores what it does not handle.
   */
  private filterEvents(): void {
    this.o.rest.setEventFilter(this.o.app, [...KNOWN_EVENT_TYPES]).catch((err: unknown) => this.o.logger.debug({ err }, 'could not set the application event filter; every event will come'));
  }

  /** How many times the socket has opened. */
  get connections(): number {
    return this.opened;
  }

  get ready(): boolean {
    return this.socket.state.status === 'open' && this.phase === 'ready' && this.ownership.state.status === 'owned';
  }

  /** Drops the socket as a network failure would (it reconnects by itself). */
  drop(): void {
    this.socket.drop();
  }

  /**
   * Settles what the features hold against Asterisk: after every connect, and when Redis comes
   * back after an outage (events it could not record were lost). Never two at once; a request
   * during a run makes one more run. A failed run is retried every second.
   */
  requestReconcile(): void {
    if (this.socket.state.status !== 'open') return; // the next connect reconciles
    this.phase = 'reconciling';
    this.reconcileAgain = true;
    if (this.reconciling) return;
    this.reconciling = this.reconcileLoop().finally(() => (this.reconciling = undefined));
  }

  private async reconcileLoop(): Promise<void> {
    while (this.reconcileAgain && !this.stopped && this.socket.state.status === 'open') {
      this.reconcileAgain = false;
      const gen = this.generation;
      try {
        await this.o.reconcile();
        if (gen === this.generation && !this.reconcileAgain) {
          this.phase = 'ready';
          this.reconcileError = '';
          this.sayIfReady();
        }
      } catch (err) {
        this.reconcileError = (err as Error).message;
        this.o.logger.error({ err }, 'reconcile with Asterisk failed; retrying');
        this.reconcileAgain = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** One "ready" line whenever the link becomes able to take calls. */
  private sayIfReady(): void {
    if (!this.ready) return;
    this.o.logger.info('ready');
    this.o.onReady?.();
  }

  /** The ARI part of /readyz. */
  check(): { ok: boolean; detail: string } {
    const s = this.socket.state;
    const owned = this.ownership.state;
    let detail: string;
    if (s.status === 'open' && owned.status === 'lost') detail = `connected, but the application is not ours: ${owned.detail}`;
    else if (s.status === 'open' && this.phase !== 'ready') detail = `connected, reconciling${this.reconcileError ? ` (last error: ${this.reconcileError})` : ''}`;
    else if (s.status === 'open') detail = owned.status === 'owned' ? 'connected' : 'connected, proving the application is ours';
    else if (s.status === 'auth-failed') detail = `credentials rejected (${s.lastError}); next try in ${Math.round(s.retryInMs / 1000)} s`;
    else if (s.status === 'waiting') detail = `unreachable at ${this.o.url}: ${s.lastError}`;
    else detail = s.status;
    return { ok: this.ready, detail };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ownership.stop();
    await this.socket.stop();
    await this.reconciling?.catch(() => undefined);
    // A standby instance may take the application at once rather than when our claim lapses.
    await this.o.claims.release(this.instanceId).catch(() => undefined);
  }
}
