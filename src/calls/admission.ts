// The admission control around the pure rule (domain/admission.ts): the latest load figures, the
// calls in progress, and the log. The log says when the service starts refusing and why, how many
// it refused while it did (one line every few seconds, never one per call), and when it admits again.
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock';
import { admission, type AdmissionLimits, type LoadNow, type Verdict } from './domain/admission';

const SUMMARY_EVERY_MS = 5000;

export class Admission {
  private refusing: Extract<Verdict, { admit: false }> | undefined;
  private refusedSince = 0;
  private refusedTotal = 0;
  private lastSummaryAt = 0;

  constructor(
    private readonly o: { limits: AdmissionLimits; load: () => LoadNow | undefined; calls: () => number; clock: Clock; logger: Logger },
  ) {}

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

  /** For /readyz: would a call be admitted now (and why not), and how many were refused since start. */
  state(): { admitting: boolean; detail: string; refused: number } {
    const v = admission(this.o.calls(), this.o.load(), this.o.limits);
    return { admitting: v.admit, detail: v.admit ? 'admitting new calls' : `refusing new calls: ${v.detail}`, refused: this.refusedTotal };
  }
}
