// The admission control around the pure rule (domain/admission.ts): the latest load figures, the
// calls in progress, and the log. The log says when the service starts refusing and why, how many
// it refused while it did (one line every few seconds, never one per call), and when it admits again.
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock';
import { admission, gateAfter, type AdmissionLimits, type LoadNow, type Verdict } from './domain/admission';

const SUMMARY_EVERY_MS = 5000;

export class Admission {
  private refusing: Extract<Verdict, { admit: false }> | undefined;
  private refusedSince = 0;
  private refusedTotal = 0;
  private lastSummaryAt = 0;

  constructor(
    private readonly o: {
      limits: AdmissionLimits;
      load: () => LoadNow | undefined;
      calls: () => number;
      clock: Clock;
      logger: Logger;
      /** Writes the dialplan gate (SWITCHBOARD_OVERLOAD_UNTIL, epoch seconds; 0 = open). */
      gate?: (untilS: number) => Promise<void>;
      /** Whether the gate may be shut now: not while Asterisk is away or frozen (the write would land late, and nothing is overloaded but Asterisk). */
      mayShut?: () => boolean;
    },
  ) {}

  private gateUntilS = 0;
  private gateShutAt = 0;
  /** The gate's write in flight: one at a time, the latest wish written next, so a late write never undoes a newer one. */
  private gateWrite: Promise<void> | undefined;
  private gateWritten = 0;

  /**
   * After each load window: shuts the dialplan's gate while the load limits are passed (new calls
   * are turned away by Asterisk before they reach the application), and opens it once they are not.
   */
  tick(): void {
    const gate = this.o.gate;
    if (!gate) return;
    const now = this.o.clock.now();
    const load = this.o.mayShut && !this.o.mayShut() ? undefined : this.o.load();
    const change = gateAfter(load, this.o.limits, now, this.gateUntilS);
    if (!change) return;
    if (change.untilS > 0 && this.gateUntilS === 0) {
      this.gateShutAt = now;
      const detail = change.verdict.admit ? '' : change.verdict.detail;
      this.o.logger.warn({ detail }, `overloaded: the dialplan turns new calls away until the load eases (${detail})`);
    } else if (change.untilS === 0) {
      this.o.logger.info({ shutMs: now - this.gateShutAt }, `the dialplan lets new calls in again after ${Math.round((now - this.gateShutAt) / 100) / 10} s`);
    }
    this.gateUntilS = change.untilS;
    this.writeGate(gate);
  }

  private writeGate(gate: (untilS: number) => Promise<void>): void {
    if (this.gateWrite) return; // the write in flight writes the latest wish when it ends
    const value = this.gateUntilS;
    this.gateWrite = gate(value)
      .catch((err: unknown) => this.o.logger.warn({ err }, 'could not set the overload gate in the dialplan'))
      .finally(() => {
        this.gateWritten = value;
        this.gateWrite = undefined;
        if (this.gateUntilS !== value) this.writeGate(gate);
      });
  }

  /** May a new call come in now? */
  check(): Verdict {
    const v = admission(this.o.calls(), this.o.load(), this.o.limits);
    const now = this.o.clock.now();
    if (!v.admit) {
      if (!this.refusing) {
        this.o.logger.warn({ reason: v.reason, detail: v.detail }, `overloaded: refusing new calls (${v.detail})`);
        this.refusedSince = 0;
        this.lastSummaryAt = now;
      }
      this.refusing = v;
      this.refusedSince++;
      this.refusedTotal++;
      if (now - this.lastSummaryAt >= SUMMARY_EVERY_MS) {
        this.o.logger.warn({ reason: v.reason, detail: v.detail, refused: this.refusedSince }, `overloaded: still refusing new calls (${v.detail})`);
        this.lastSummaryAt = now;
      }
    } else if (this.refusing) {
      this.o.logger.info({ refused: this.refusedSince }, `admitting calls again after refusing ${this.refusedSince}`);
      this.refusing = undefined;
    }
    return v;
  }

  /** Opens the gate if it is shut (the service stopping: it would lapse within GATE_HOLD_S anyway). */
  async openGate(): Promise<void> {
    const gate = this.o.gate;
    if (!gate || (this.gateUntilS === 0 && this.gateWritten === 0)) return;
    this.gateUntilS = 0;
    this.writeGate(gate);
    while (this.gateWrite) await this.gateWrite;
  }

  /** For /readyz: would a call be admitted now (and why not), how many were refused since start, and whether the dialplan's gate is shut. */
  state(): { admitting: boolean; detail: string; refused: number; gateShut: boolean } {
    const v = admission(this.o.calls(), this.o.load(), this.o.limits);
    const gateShut = this.gateUntilS > 0;
    const detail = v.admit ? 'admitting new calls' : `refusing new calls: ${v.detail}${gateShut ? '; the dialplan turns them away' : ''}`;
    return { admitting: v.admit, detail, refused: this.refusedTotal, gateShut };
  }
}
