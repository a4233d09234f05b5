// What the statistics need from the configuration: the time zone of the intervals and, per queue,
// the service-level threshold, the short-abandon limit and the headline service-level formula.

export type SlFormula = 'sl1' | 'sl2' | 'sl3';
export const SL_FORMULAS: readonly SlFormula[] = ['sl1', 'sl2', 'sl3'];

export interface QueueStatsSettings {
  /** A wait of at most this many seconds is within the service level (app_queue: holdtime <= servicelevel). */
  readonly thresholdS: number;
  /** An abandon after less than this many seconds of waiting is a short abandon. */
  readonly shortAbandonS: number;
  /** Which formula the headline `serviceLevel` is. */
  readonly formula: SlFormula;
  /** A new contact from the same number this soon after a handled one makes that one a repeat (first-contact resolution). */
  readonly repeatWindowS: number;
}

export const DEFAULT_QUEUE_STATS: QueueStatsSettings = { thresholdS: 20, shortAbandonS: 5, formula: 'sl1', repeatWindowS: 72 * 3600 };

export interface StatsSettings {
  /** IANA time zone of the intervals and dates. */
  readonly timeZone: string;
  /** The queue's settings; the defaults for a queue the configuration does not (or no longer) know. */
  queue(id: string): QueueStatsSettings;
}

/** Settings from a lookup of the configured queues (called again each time: it follows reloads). */
export function statsSettings(timeZone: string, lookup: (id: string) => Partial<QueueStatsSettings> | undefined = () => undefined): StatsSettings {
  return { timeZone, queue: (id) => ({ ...DEFAULT_QUEUE_STATS, ...lookup(id) }) };
}
