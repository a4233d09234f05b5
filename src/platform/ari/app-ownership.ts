// Is the ARI application really ours? An open WebSocket can hear nothing: Asterisk hands an
// application to its newest connection, and after a freeze it accepts connection attempts that
// sat in its listen backlog, ones we had long given up on. Such a ghost takes the application
// from the live socket (ApplicationReplaced) and dies at its first write, leaving the application
// inactive and us deaf. So ownership is proven, not assumed: after every connect and every few
// seconds a user event goes to the application, and only its echo on our socket proves we hold it.
//
// When ownership is lost, the claim record in Redis says who took it: another Switchboard instance
// (it records itself when it connects) is left alone and we stand by until its record lapses;
// ourselves or an unknown client (a ghost of our own) means we take the application back at once,
// a few times a minute at most so that we never fight a client that keeps taking it.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';

export const PROBE_EVENT = 'switchboard-probe';

export type OwnershipState = { status: 'unproven' } | { status: 'owned' } | { status: 'lost'; detail: string };

export interface AppOwnershipOptions {
  /** This process, as recorded in the claim (host, pid, random part). */
  instanceId: string;
  /** POST /events/user/<PROBE_EVENT> to the application with { nonce }. */
  sendProbe(nonce: string): Promise<void>;
  /** Drops the socket and connects again after `delayMs` (the newest connection gets the application). */
  reclaim(delayMs: number): void;
  /** Who last claimed the application; throws when that cannot be read (Redis away). */
  claimant(): Promise<string | undefined>;
  /** Records this instance as the claimant for `ttlMs`. */
  claim(ttlMs: number): Promise<void>;
  logger: Logger;
  /** Called when the application became ours (the first echo after a connect). */
  onOwned?: () => void;
  probeEveryMs?: number;
  probeTimeoutMs?: number;
  /** Reclaims after losing the application to an unknown client, at most this many per minute. */
  reclaimsPerMinute?: number;
  /** While standing by: how often to look whether the holder's claim lapsed (ms). */
  standbyPollMs?: number;
  now?: () => number;
}

export class AppOwnership {
  private _state: OwnershipState = { status: 'unproven' };
  private open = false;
  private nonce: string | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** A probe is out: sent and not yet echoed or given up on. */
  private probing = false;
  private standby: NodeJS.Timeout | undefined;
  private reclaims: number[] = [];
  private readonly every: number;
  private readonly timeout: number;

  constructor(private readonly o: AppOwnershipOptions) {
    this.every = o.probeEveryMs ?? 5000;
    this.timeout = o.probeTimeoutMs ?? 3000;
  }

  get state(): OwnershipState {
    return this._state;
  }

  /** The socket is about to connect: record the claim first, so the client we replace knows it was us. */
  connecting(): void {
    this.o.claim(this.claimTtl()).catch(() => undefined);
  }

  /** The socket opened: prove ownership now, then every probeEveryMs. */
  opened(): void {
    this.stopTimers();
    this.open = true;
    this._state = { status: 'unproven' };
    this.probe();
    this.probeTimer = setInterval(() => this.probe(), this.every);
  }

  closed(): void {
    this.open = false;
    this.stopTimers();
    this._state = { status: 'unproven' };
  }

  /** A probe came back on our socket. */
  echo(nonce: string): void {
    if (!this.open || nonce !== this.nonce) return; // an older probe, or one sent before a reconnect
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.probing = false;
    const wasOwned = this._state.status === 'owned';
    this._state = { status: 'owned' };
    this.o.claim(this.claimTtl()).catch(() => undefined);
    if (!wasOwned) {
      this.o.logger.info('the ARI application is ours (probe echoed)');
      this.o.onOwned?.();
    }
  }

  /** Asterisk says another connection took the application from our socket. */
  replaced(): void {
    void this.lost('Asterisk gave the application to another connection (ApplicationReplaced)', 'replaced');
  }

  stop(): void {
    this.closed();
  }

  private claimTtl(): number {
    return this.every * 3;
  }

  /**
   * The echo's deadline runs from Asterisk's answer to the probe, not from sending it: under load
   * a request can wait in line for seconds, and that is admission control's business (a late
   * answer is not a deaf socket). A deaf socket still gets the answer, then never the echo.
   */
  private probe(): void {
    if (!this.open || this.probing) return; // one outstanding probe at a time
    const nonce = randomBytes(8).toString('hex');
    this.nonce = nonce;
    this.probing = true;
    const awaitEcho = () => {
      if (!this.open || this.nonce !== nonce || !this.probing) return; // echoed already, or a reconnect since
      this.deadline = setTimeout(() => {
        this.deadline = undefined;
        this.probing = false;
        void this.lost(`no echo of a probe within ${this.timeout} ms of Asterisk taking it: the socket does not receive the application's events`, 'silent');
      }, this.timeout);
    };
    this.o.sendProbe(nonce).then(awaitEcho, (err: unknown) => {
      // Asterisk did not take the probe (busy or going away): the deadline decides.
      this.o.logger.debug({ err }, 'ownership probe not sent');
      awaitEcho();
    });
  }

  private stopTimers(): void {
    clearInterval(this.probeTimer);
    clearTimeout(this.deadline);
    clearTimeout(this.standby);
    this.probeTimer = this.deadline = this.standby = undefined;
    this.probing = false;
  }

  /** `silent`: no echo (a dead or deaf socket: reconnect); `replaced`: a client took it (maybe one that keeps doing so). */
  private async lost(reason: string, how: 'silent' | 'replaced'): Promise<void> {
    if (!this.open || this._state.status === 'lost') return;
    this.stopTimers();
    let holder: string | undefined;
    try {
      holder = await this.o.claimant();
    } catch {
      holder = undefined; // Redis away: treat it like an unknown client
    }
    if (!this.open) return;
    if (holder && holder !== this.o.instanceId) {
      this.standBy(`the application was taken by Switchboard instance ${holder}; standing by until its claim lapses`, reason);
      return;
    }
    if (how === 'replaced') {
      const now = (this.o.now ?? Date.now)();
      this.reclaims = this.reclaims.filter((t) => now - t < 60_000);
      if (this.reclaims.length >= (this.o.reclaimsPerMinute ?? 3)) {
        this.standBy('another client keeps taking the ARI application; trying again in 30 s', reason, 30_000);
        return;
      }
      this.reclaims.push(now);
    }
    this._state = { status: 'lost', detail: `taking the application back (${reason})` };
    this.o.logger.warn({ reason }, how === 'replaced' ? 'lost the ARI application to a connection that is not another Switchboard (a late one of our own, or an unknown client); taking it back' : 'the ARI socket hears nothing; connecting again');
    this.o.reclaim(1000);
  }

  /** Not ours: not ready, say why, and look again later. */
  private standBy(detail: string, reason: string, retryMs?: number): void {
    this._state = { status: 'lost', detail };
    this.o.logger.error({ reason }, `${detail}; this instance receives no calls meanwhile`);
    const look = async (): Promise<void> => {
      if (!this.open) return;
      if (retryMs !== undefined) {
        this.o.reclaim(0);
        return;
      }
      const holder = await this.o.claimant().catch(() => 'unknown');
      if (!this.open) return;
      if (holder === undefined) {
        this.o.logger.warn('the claim on the ARI application lapsed; taking the application');
        this.o.reclaim(0);
        return;
      }
      this.standby = setTimeout(() => void look(), this.o.standbyPollMs ?? 5000);
    };
    this.standby = setTimeout(() => void look(), retryMs ?? this.o.standbyPollMs ?? 5000);
  }
}
