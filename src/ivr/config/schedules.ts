// Schedules from the routing files: known time zones, time ranges that parse and do not overlap
// on a day, real dates.
import type { Checker } from '../../platform/config/loader';
import type { Path, YamlFile } from '../../platform/config/yaml-positions';
import { isValidTimeZone, parseTimeRange, WEEKDAYS, type DayOverride, type Schedule, type TimeRange, type Weekday } from '../domain/schedule';
import type { IvrFile, ParsedSchedule } from './schema';

export function buildSchedules(files: readonly IvrFile[], check: Checker): Map<string, Schedule> {
  const schedules = new Map<string, Schedule>();
  for (const { src, data } of files) {
    for (const [id, sc] of Object.entries(data.schedules ?? {})) {
      const schedule = buildSchedule(src, id, sc, check);
      if (schedule) schedules.set(id, schedule);
    }
  }
  return schedules;
}

/** One schedule; undefined when it has problems (reported). */
function buildSchedule(src: YamlFile, id: string, sc: ParsedSchedule, check: Checker): Schedule | undefined {
  const base = ['schedules', id] as const;
  const before = check.count;
  if (!isValidTimeZone(sc.timeZone)) check.at(src, [...base, 'timeZone'], `unknown time zone "${sc.timeZone}" (use an IANA name like "Europe/Madrid")`);
  const weekly: Partial<Record<Weekday, TimeRange[]>> = {};
  for (const day of WEEKDAYS) {
    const texts = sc.weekly[day];
    if (texts) weekly[day] = ranges(src, [...base, 'weekly', day], texts, check);
  }
  const overrides = (kind: 'holidays' | 'exceptions'): DayOverride[] =>
    sc[kind].map((o, i) => {
      if (!isRealDate(o.date)) check.at(src, [...base, kind, i, 'date'], `"${o.date}" is not a date written YYYY-MM-DD`);
      return { date: o.date, ...(o.name !== undefined ? { name: o.name } : {}), hours: ranges(src, [...base, kind, i, 'hours'], o.hours, check) };
    });
  const holidays = overrides('holidays');
  const exceptions = overrides('exceptions');
  if (check.count > before) return undefined;
  return { id, timeZone: sc.timeZone, weekly, holidays, exceptions };
}

/** The time ranges of one day (those that parse); bad and overlapping ones are reported. */
function ranges(src: YamlFile, p: Path, texts: readonly string[], check: Checker): TimeRange[] {
  const parsed: { range: TimeRange; text: string; i: number }[] = [];
  texts.forEach((text, i) => {
    try {
      parsed.push({ range: parseTimeRange(text), text, i });
    } catch (err) {
      check.at(src, [...p, i], (err as Error).message);
    }
  });
  // Overlapping ranges are a typo (a range that should have ended earlier), never intended.
  let latest: (typeof parsed)[number] | undefined;
  for (const r of [...parsed].sort((a, b) => a.range.from - b.range.from || a.i - b.i)) {
    if (latest && r.range.from < latest.range.to) check.at(src, [...p, r.i], `"${r.text}" overlaps "${latest.text}"`);
    if (!latest || r.range.to > latest.range.to) latest = r;
  }
  return parsed.map((r) => r.range);
}

/** A real calendar date written YYYY-MM-DD. */
function isRealDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
