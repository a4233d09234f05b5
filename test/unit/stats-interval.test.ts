// Statistics intervals (15 minutes of the local wall clock, DST days), the service-level formulas
// with empty denominators, and CSV.
import { CounterBook, intervalOf, isTimeZone, queueFigures, serviceLevels, slotLabel, splitByInterval, SLOT_MS } from '../../src/stats/domain';
import { toCsv } from '../../src/stats';
import { EnvSchema } from '../../src/platform/config/env';

const PARIS = 'Europe/Paris';
const MIN = 60_000;

describe('intervals', () => {
  it('maps a time to its local date and 15-minute slot', () => {
    expect(intervalOf(Date.UTC(2026, 0, 15, 9, 0, 0), PARIS)).toEqual({ date: '2026-01-15', slot: 40 }); // 10:00 CET
    expect(intervalOf(Date.UTC(2026, 0, 15, 9, 14, 59, 999), PARIS)).toEqual({ date: '2026-01-15', slot: 40 });
    expect(intervalOf(Date.UTC(2026, 0, 15, 23, 0, 0), PARIS)).toEqual({ date: '2026-01-16', slot: 0 }); // local midnight
    expect(intervalOf(Date.UTC(2026, 0, 15, 22, 59, 59), PARIS)).toEqual({ date: '2026-01-15', slot: 95 });
    expect(intervalOf(Date.UTC(2026, 6, 1, 12, 0), 'UTC')).toEqual({ date: '2026-07-01', slot: 48 });
    expect(intervalOf(Date.UTC(2026, 6, 1, 12, 0), 'Asia/Kathmandu')).toEqual({ date: '2026-07-01', slot: 71 }); // 17:45 (+05:45)
  });

  it('labels slots HH:MM', () => {
    expect([0, 1, 41, 95].map(slotLabel)).toEqual(['00:00', '00:15', '10:15', '23:45']);
  });

  /** Distinct slots and real intervals between two local midnights (given in UTC). */
  function walk(fromUtc: number, toUtc: number): { labels: Set<number>; intervals: number } {
    const labels = new Set<number>();
    let intervals = 0;
    for (let t = fromUtc; t < toUtc; t += SLOT_MS, intervals++) labels.add(intervalOf(t, PARIS).slot);
    return { labels, intervals };
  }

  it('spring forward (Paris, 2026-03-29): 92 intervals, 02:00–02:45 never used', () => {
    const { labels, intervals } = walk(Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22));
    expect(intervals).toBe(92);
    expect(labels.size).toBe(92);
    expect([8, 9, 10, 11].some((s) => labels.has(s))).toBe(false);
    expect(intervalOf(Date.UTC(2026, 2, 29, 0, 59), PARIS).slot).toBe(7); // 01:59 CET
    expect(intervalOf(Date.UTC(2026, 2, 29, 1, 0), PARIS).slot).toBe(12); // 03:00 CEST
  });

  it('fall back (Paris, 2026-10-25): 100 intervals in 96 slots, the repeated hour adds up in 02:00–02:45', () => {
    const { labels, intervals } = walk(Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23));
    expect(intervals).toBe(100);
    expect(labels.size).toBe(96);
    // Available from 02:00 CEST (00:00Z) to 03:00 CET (02:00Z): two hours in four slots.
    const pieces = splitByInterval(Date.UTC(2026, 9, 25, 0), Date.UTC(2026, 9, 25, 2), PARIS);
    const book = new CounterBook().add(pieces.map((p) => ({ scope: 'agent' as const, id: 'a', date: p.date, slot: p.slot, metric: 'availableMs' as const, value: p.ms })));
    const slots = book.get('agent', 'a', '2026-10-25')?.slots;
    expect([...(slots ?? [])]).toEqual([8, 9, 10, 11].map((s) => [s, { availableMs: 30 * MIN }]));
  });

  it('splits status time exactly at the boundaries, across a spring-forward gap', () => {
    // 01:30 CET to 04:00 CEST is 90 minutes of real time.
    const pieces = splitByInterval(Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 2, 0), PARIS);
    expect(pieces.map((p) => [p.slot, p.ms])).toEqual([6, 7, 12, 13, 14, 15].map((s) => [s, 15 * MIN]));
    expect(splitByInterval(Date.UTC(2026, 0, 1, 9, 7), Date.UTC(2026, 0, 1, 9, 20), PARIS).map((p) => p.ms)).toEqual([8 * MIN, 5 * MIN]);
    expect(splitByInterval(5, 5, PARIS)).toEqual([]);
  });

  it('knows valid time zones; the environment refuses an unknown one', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    const base = { SWITCHBOARD_ARI_PASSWORD: 'x' };
    expect(EnvSchema.parse(base)).toMatchObject({ SWITCHBOARD_STATS_TIMEZONE: 'UTC', SWITCHBOARD_STATS_RETENTION_DAYS: 400 });
    expect(EnvSchema.safeParse({ ...base, SWITCHBOARD_STATS_TIMEZONE: 'Mars/Olympus' }).success).toBe(false);
  });
});

describe('service-level formulas', () => {
  it('are null, not 0 or NaN, when their denominator is 0', () => {
    expect(serviceLevels({})).toEqual({ sl1: null, sl2: null, sl3: null });
    // Only short abandons: sl1 has no answered call, sl3 nothing left once they are taken out.
    expect(serviceLevels({ offered: 2, abandoned: 2, shortAbandoned: 2, abandonedWithinThreshold: 2 })).toEqual({ sl1: null, sl2: 1, sl3: null });
    const empty = queueFigures({}, 'sl2');
    expect(Object.entries(empty).filter(([, v]) => v === null).map(([k]) => k).sort()).toEqual(
      ['ahtSeconds', 'asaSeconds', 'avgWaitAbandonedSeconds', 'fcrDisposition', 'fcrRepeat', 'longestWaitSeconds', 'maxWaitAbandonedSeconds', 'maxWaitAnsweredSeconds', 'serviceLevel', 'sl1', 'sl2', 'sl3', 'surveyScoreAvg'].sort(),
    );
    expect(Object.values(empty).some((v) => typeof v === 'number' && Number.isNaN(v))).toBe(false);
  });

  it('headline the formula the queue chooses', () => {
    const c = { offered: 10, shortAbandoned: 2, answered: 6, answeredWithinThreshold: 4, abandoned: 4, abandonedWithinThreshold: 3 };
    expect(queueFigures(c, 'sl1')).toMatchObject({ serviceLevel: 0.6667, sl1: 0.6667, sl2: 0.7, sl3: 0.5 });
    expect(queueFigures(c, 'sl2').serviceLevel).toBe(0.7);
    expect(queueFigures(c, 'sl3').serviceLevel).toBe(0.5);
  });
});

describe('CSV (RFC 4180)', () => {
  it('has a header, CRLF line ends, quotes what needs it, and empty nulls', () => {
    const rows = [
      { queue: 'plain', n: 1, sl: null },
      { queue: 'a,b', n: 2.5, sl: 80 },
      { queue: 'say "hi"', n: 0, sl: undefined },
      { queue: 'two\nlines', n: 3, sl: 1 },
    ];
    expect(toCsv(rows, ['queue', 'n', 'sl'])).toBe('queue,n,sl\r\nplain,1,\r\n"a,b",2.5,80\r\n"say ""hi""",0,\r\n"two\nlines",3,1\r\n');
    expect(toCsv([], ['queue'])).toBe('queue\r\n');
  });
});
