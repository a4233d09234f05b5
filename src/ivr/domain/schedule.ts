// Hours of operation: weekly opening hours in an IANA time zone, with holidays and exceptions
// (special opening hours on a date). Pure: time comes in as epoch milliseconds and local wall-clock
// time is read through Intl.DateTimeFormat, which is deterministic for a given instant.
//
// A day is decided in this order: holiday → exception → weekly hours.
// - A holiday with no hours makes the whole local date 'holiday'; with hours, the day is 'open'
//   within them and 'holiday' outside them (so flows can play a holiday message).
// - An exception replaces the weekly hours of its date: 'open' within its hours, 'closed' outside
//   ([] = closed all day).
// - Weekly hours: 'open' within the ranges of the local weekday, 'closed' otherwise (missing day =
//   closed).
// Ranges are half-open [from, to) in local wall-clock minutes since midnight and never cross
// midnight. Wall-clock times skipped by a DST change never happen; a repeated hour is matched twice.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Minutes since local midnight, [from, to); `to` may be 1440 (24:00); from < to. */
export interface TimeRange {
  from: number;
  to: number;
}

export interface DayOverride {
  /** Local date, YYYY-MM-DD. */
  date: string;
  name?: string;
  /** [] = closed all day. */
  hours: TimeRange[];
}

export interface Schedule {
  id: string;
  /** IANA time zone, e.g. "Europe/Madrid". */
  timeZone: string;
  /** Missing day = closed. */
  weekly: Partial<Record<Weekday, TimeRange[]>>;
  /** Evaluated first: a holiday decides the day. */
  holidays: DayOverride[];
  /** Special opening hours on a date, evaluated before the weekly hours. */
  exceptions: DayOverride[];
}

export type ScheduleState = { state: 'open' } | { state: 'closed' } | { state: 'holiday'; name?: string };

export interface LocalParts {
  /** Local date, YYYY-MM-DD. */
  date: string;
  weekday: Weekday;
  /** Minutes since local midnight, 0..1439. */
  minutes: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY_MINUTES = 1440;

// ---------------------------------------------------------------------------------------------
// Local wall-clock time

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown time zone.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const SHORT_WEEKDAYS: Readonly<Record<string, Weekday>> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
}

function wallClock(timeZone: string, at: number): WallClock {
  if (!Number.isFinite(at)) throw new RangeError(`instant must be a finite number of epoch milliseconds, got ${at}`);
  const fields: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(at)) fields[p.type] = p.value;
  const weekday = SHORT_WEEKDAYS[fields.weekday ?? ''];
  if (!weekday) throw new Error(`cannot read the weekday of ${at} in ${timeZone}`);
  const hour = Number(fields.hour);
  return {
    year: Number(fields.year),
    month: Number(fields.month),
    day: Number(fields.day),
    hour: hour === 24 ? 0 : hour, // some ICU versions write midnight as 24
    minute: Number(fields.minute),
    second: Number(fields.second),
    weekday,
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The local date, weekday and minutes since local midnight of an instant in a time zone. */
export function localParts(timeZone: string, at: number): LocalParts {
  const w = wallClock(timeZone, at);
  return { date: `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`, weekday: w.weekday, minutes: w.hour * 60 + w.minute };
}

/** Local time minus UTC at an instant, in milliseconds (Europe/Madrid in summer: 7_200_000). */
function offsetAt(timeZone: string, at: number): number {
  const w = wallClock(timeZone, at);
  const local = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return local - Math.floor(at / 1000) * 1000;
}

/** True when `tz` is an IANA time zone this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.trim() === '') return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

const RANGE_RE = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/;

function clockMinutes(text: string, hh: string, mm: string): number {
  const h = Number(hh);
  const m = Number(mm);
  if (m > 59) throw new Error(`invalid time range "${text}": minutes must be 00-59, got ${hh}:${mm}`);
  if (h > 24) throw new Error(`invalid time range "${text}": hours must be 00-24, got ${hh}:${mm}`);
  if (h === 24 && m !== 0) throw new Error(`invalid time range "${text}": the only time with hour 24 is 24:00, got ${hh}:${mm}`);
  return h * 60 + m;
}

/** Parses "09:00-17:30" or "00:00-24:00"; throws an Error saying what is wrong with bad input. */
export function parseTimeRange(text: string): TimeRange {
  const m = typeof text === 'string' ? RANGE_RE.exec(text) : null;
  if (!m) throw new Error(`invalid time range "${String(text)}": expected HH:MM-HH:MM, e.g. 09:00-17:30`);
  const from = clockMinutes(text, m[1]!, m[2]!);
  const to = clockMinutes(text, m[3]!, m[4]!);
  if (from >= to) {
    throw new Error(
      `invalid time range "${text}": the start must be before the end (a range cannot cross midnight; write two ranges, e.g. 22:00-24:00 and 00:00-06:00)`,
    );
  }
  return { from, to };
}

/** "HH:MM-HH:MM", the inverse of parseTimeRange. */
export function formatTimeRange(r: TimeRange): string {
  const hm = (min: number): string => `${pad(Math.floor(min / 60))}:${pad(min % 60)}`;
  return `${hm(r.from)}-${hm(r.to)}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isValidDate(date: string): boolean {
  const m = DATE_RE.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  return d <= daysInMonth;
}

function rangeProblems(where: string, hours: unknown): string[] {
  if (!Array.isArray(hours)) return [`${where}: hours must be a list of time ranges`];
  const out: string[] = [];
  hours.forEach((r: Partial<TimeRange> | undefined, i) => {
    const from = r?.from;
    const to = r?.to;
    const ok =
      Number.isInteger(from) && Number.isInteger(to) && (from as number) >= 0 && (to as number) <= DAY_MINUTES && (from as number) < (to as number);
    if (!ok) out.push(`${where}: range ${i + 1} must have whole minutes with 0 <= from < to <= 1440, got ${JSON.stringify(r)}`);
  });
  return out;
}

/** Everything wrong with a schedule, one message each; [] when it is usable. */
export function validateSchedule(s: Schedule): string[] {
  const out: string[] = [];
  const id = s.id || '(no id)';
  if (!isValidTimeZone(s.timeZone)) out.push(`schedule ${id}: unknown time zone "${s.timeZone}"`);
  for (const [day, hours] of Object.entries(s.weekly ?? {})) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) out.push(`schedule ${id}: unknown weekday "${day}" (use ${WEEKDAYS.join(', ')})`);
    else out.push(...rangeProblems(`schedule ${id}: ${day}`, hours));
  }
  for (const [kind, list] of [
    ['holiday', s.holidays],
    ['exception', s.exceptions],
  ] as const) {
    if (!Array.isArray(list)) {
      out.push(`schedule ${id}: ${kind} list is missing`);
      continue;
    }
    for (const o of list) {
      if (typeof o?.date !== 'string' || !isValidDate(o.date)) out.push(`schedule ${id}: ${kind} date "${String(o?.date)}" is not a YYYY-MM-DD date`);
      else out.push(...rangeProblems(`schedule ${id}: ${kind} ${o.date}`, o.hours));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** How one local date is decided. */
type DayPlan =
  | { kind: 'holiday'; name?: string; allDay: boolean; hours: readonly TimeRange[] }
  | { kind: 'exception'; hours: readonly TimeRange[] }
  | { kind: 'weekly'; hours: readonly TimeRange[] };

function dayPlan(s: Schedule, date: string, weekday: Weekday): DayPlan {
  // Several entries for one date: a closed-all-day holiday wins; otherwise their hours add up.
  const holidays = s.holidays.filter((h) => h.date === date);
  if (holidays.length > 0) {
    const name = holidays.find((h) => h.name !== undefined)?.name;
    const allDay = holidays.some((h) => h.hours.length === 0);
    const plan: DayPlan = { kind: 'holiday', allDay, hours: allDay ? [] : holidays.flatMap((h) => h.hours) };
    if (name !== undefined) plan.name = name;
    return plan;
  }
  const exceptions = s.exceptions.filter((e) => e.date === date);
  if (exceptions.length > 0) return { kind: 'exception', hours: exceptions.flatMap((e) => e.hours) };
  return { kind: 'weekly', hours: s.weekly[weekday] ?? [] };
}

const within = (hours: readonly TimeRange[], minutes: number): boolean => hours.some((r) => r.from <= minutes && minutes < r.to);

function stateIn(plan: DayPlan, minutes: number): ScheduleState {
  if (plan.kind === 'holiday') {
    if (!plan.allDay && within(plan.hours, minutes)) return { state: 'open' };
    return plan.name === undefined ? { state: 'holiday' } : { state: 'holiday', name: plan.name };
  }
  return within(plan.hours, minutes) ? { state: 'open' } : { state: 'closed' };
}

/** The state of a schedule at an instant: holiday → exception → weekly hours. Throws RangeError for an unknown time zone. */
export function scheduleStateAt(s: Schedule, at: number): ScheduleState {
  const p = localParts(s.timeZone, at);
  return stateIn(dayPlan(s, p.date, p.weekday), p.minutes);
}

function sameState(a: ScheduleState, b: ScheduleState): boolean {
  if (a.state !== b.state) return false;
  return a.state !== 'holiday' || a.name === (b as { name?: string }).name;
}

/**
 * The next instant after `at` at which the state (or the holiday name) changes, at minute
 * resolution, or undefined when it does not change within `horizonDays` days of `at`.
 * Follows DST: with 01:00-03:00 on the spring-forward day in Europe/Madrid, the line closes at
 * 03:00 CEST, one real hour after it opened.
 */
export function nextChangeAt(s: Schedule, at: number, horizonDays = 8): number | undefined {
  const limit = at + horizonDays * DAY_MS;
  const current = scheduleStateAt(s, at);
  // Between a minute-aligned instant and the next wall-clock boundary of its local day, the state
  // can only change where the UTC offset changes; so jump from boundary to boundary and, when the
  // offset differs at the landing point, stop at the offset change instead.
  let t = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  while (t <= limit) {
    const p = localParts(s.timeZone, t);
    const plan = dayPlan(s, p.date, p.weekday);
    let boundary = DAY_MINUTES;
    for (const r of plan.hours) {
      if (r.from > p.minutes && r.from < boundary) boundary = r.from;
      if (r.to > p.minutes && r.to < boundary) boundary = r.to;
    }
    let next = t + (boundary - p.minutes) * MINUTE_MS;
    const offset = offsetAt(s.timeZone, t);
    if (offsetAt(s.timeZone, next) !== offset) {
      // Find the first minute with the new offset.
      let lo = t;
      let hi = next;
      while (hi - lo > MINUTE_MS) {
        const mid = lo + Math.floor((hi - lo) / (2 * MINUTE_MS)) * MINUTE_MS;
        if (offsetAt(s.timeZone, mid) === offset) lo = mid;
        else hi = mid;
      }
      next = hi;
    }
    if (next > limit) return undefined;
    if (!sameState(scheduleStateAt(s, next), current)) return next;
    t = next;
  }
  return undefined;
}

/**
 * The first instant at or after `at` when the schedule is open (`at` itself when open), or
 * undefined when it does not open within `horizonDays` days (a callback waits for its queue's hours).
 */
export function nextOpenAt(s: Schedule, at: number, horizonDays = 31): number | undefined {
  const limit = at + horizonDays * DAY_MS;
  let t = at;
  while (t <= limit) {
    if (scheduleStateAt(s, t).state === 'open') return t;
    const next = nextChangeAt(s, t);
    if (next === undefined) t += 8 * DAY_MS;
    else t = next;
  }
  return undefined;
}
