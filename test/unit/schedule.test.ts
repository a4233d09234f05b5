import {
  formatTimeRange,
  isValidTimeZone,
  localParts,
  nextChangeAt,
  parseTimeRange,
  scheduleStateAt,
  validateSchedule,
  type Schedule,
  type ScheduleState,
  type TimeRange,
} from '../../src/ivr/domain/schedule';

/** An exact instant: month is 1-based. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s);
const r = (text: string): TimeRange => parseTimeRange(text);
const OPEN: ScheduleState = { state: 'open' };
const CLOSED: ScheduleState = { state: 'closed' };
const holiday = (name?: string): ScheduleState => (name === undefined ? { state: 'holiday' } : { state: 'holiday', name });

function schedule(timeZone: string, weekly: Schedule['weekly'], extra: Partial<Schedule> = {}): Schedule {
  return { id: 'test', timeZone, weekly, holidays: [], exceptions: [], ...extra };
}

// Madrid is UTC+1 in winter (CET) and UTC+2 in summer (CEST).
const office = schedule(
  'Europe/Madrid',
  {
    mon: [r('09:00-18:00')],
    tue: [r('09:00-18:00')],
    wed: [r('09:00-18:00')],
    thu: [r('09:00-18:00')],
    fri: [r('09:00-18:00')],
    sat: [r('10:00-14:00')],
  },
  {
    holidays: [
      { date: '2026-01-06', name: 'Reyes', hours: [] },
      { date: '2026-05-01', hours: [] },
      { date: '2026-12-25', name: 'Navidad', hours: [] },
      { date: '2026-12-26', name: 'San Esteban', hours: [] },
      { date: '2026-12-31', name: 'Nochevieja', hours: [r('09:00-12:00')] },
    ],
    exceptions: [
      { date: '2026-01-10', name: 'Inventario', hours: [] },
      { date: '2026-12-24', name: 'Nochebuena', hours: [r('09:00-13:00')] },
      // A holiday decides the day: this exception is never used.
      { date: '2026-12-31', hours: [r('00:00-24:00')] },
    ],
  },
);

describe('localParts', () => {
  it.each<[string, string, number, string, string, number]>([
    // midnight edges (Madrid, CET): 23:59 Monday vs 00:00 Tuesday
    ['Madrid 23:59', 'Europe/Madrid', utc(2026, 1, 5, 22, 59), '2026-01-05', 'mon', 23 * 60 + 59],
    ['Madrid 00:00', 'Europe/Madrid', utc(2026, 1, 5, 23, 0), '2026-01-06', 'tue', 0],
    ['UTC', 'UTC', utc(2026, 1, 5, 23, 0, 59), '2026-01-05', 'mon', 23 * 60],
    // one instant, three local dates: Friday 12:00 UTC
    ['Auckland (NZDT, +13)', 'Pacific/Auckland', utc(2026, 1, 2, 12, 0), '2026-01-03', 'sat', 60],
    ['Los Angeles (PST, -8)', 'America/Los_Angeles', utc(2026, 1, 2, 12, 0), '2026-01-02', 'fri', 4 * 60],
    ['Auckland, Sunday night', 'Pacific/Auckland', utc(2026, 1, 4, 11, 30), '2026-01-05', 'mon', 30],
    // Madrid spring forward, 2026-03-29 02:00 CET → 03:00 CEST (01:00 UTC)
    ['Madrid before spring forward', 'Europe/Madrid', utc(2026, 3, 29, 0, 59), '2026-03-29', 'sun', 60 + 59],
    ['Madrid after spring forward', 'Europe/Madrid', utc(2026, 3, 29, 1, 0), '2026-03-29', 'sun', 3 * 60],
    // Madrid fall back, 2026-10-25 03:00 CEST → 02:00 CET (01:00 UTC): 02:30 happens twice
    ['Madrid 02:30 CEST', 'Europe/Madrid', utc(2026, 10, 25, 0, 30), '2026-10-25', 'sun', 2 * 60 + 30],
    ['Madrid 02:30 CET', 'Europe/Madrid', utc(2026, 10, 25, 1, 30), '2026-10-25', 'sun', 2 * 60 + 30],
    // New York spring forward, 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC)
    ['New York 01:59 EST', 'America/New_York', utc(2026, 3, 8, 6, 59), '2026-03-08', 'sun', 60 + 59],
    ['New York 03:00 EDT', 'America/New_York', utc(2026, 3, 8, 7, 0), '2026-03-08', 'sun', 3 * 60],
  ])('%s', (_name, tz, at, date, weekday, minutes) => {
    expect(localParts(tz, at)).toEqual({ date, weekday, minutes });
  });

  it('throws for an unknown time zone', () => {
    expect(() => localParts('Mars/Olympus', 0)).toThrow(RangeError);
  });
});

describe('scheduleStateAt', () => {
  const night = schedule('Europe/Madrid', { mon: [r('22:00-24:00')], tue: [r('00:00-06:00')], wed: [r('20:00-24:00')] });
  const saturday = { sat: [r('00:00-24:00')] };
  const auckland = schedule('Pacific/Auckland', saturday);
  const losAngeles = schedule('America/Los_Angeles', saturday);
  const madridSpring = schedule('Europe/Madrid', {}, { exceptions: [{ date: '2026-03-29', hours: [r('01:00-03:00')] }] });
  const madridAutumn = schedule('Europe/Madrid', {}, { exceptions: [{ date: '2026-10-25', hours: [r('02:30-03:00')] }] });
  const newYork = schedule('America/New_York', { sun: [r('01:00-03:00')] });

  it.each<[string, Schedule, number, ScheduleState]>([
    // midnight edges; ranges are [from, to)
    ['night: Monday 21:59', night, utc(2026, 1, 5, 20, 59), CLOSED],
    ['night: Monday 22:00', night, utc(2026, 1, 5, 21, 0), OPEN],
    ['night: Monday 23:59', night, utc(2026, 1, 5, 22, 59), OPEN],
    ['night: Tuesday 00:00', night, utc(2026, 1, 5, 23, 0), OPEN],
    ['night: Tuesday 05:59', night, utc(2026, 1, 6, 4, 59), OPEN],
    ['night: Tuesday 06:00', night, utc(2026, 1, 6, 5, 0), CLOSED],
    // a range ending at 24:00 with nothing after it
    ['night: Wednesday 23:59', night, utc(2026, 1, 7, 22, 59), OPEN],
    ['night: Wednesday 23:59:59', night, utc(2026, 1, 7, 22, 59, 59), OPEN],
    ['night: Thursday 00:00', night, utc(2026, 1, 7, 23, 0), CLOSED],
    // the same instant is Saturday in Auckland and Friday in Los Angeles
    ['Auckland: Saturday 01:00 (Friday 12:00 UTC)', auckland, utc(2026, 1, 2, 12, 0), OPEN],
    ['Los Angeles: Friday 04:00 (Friday 12:00 UTC)', losAngeles, utc(2026, 1, 2, 12, 0), CLOSED],
    ['Auckland: Sunday 00:00 (Saturday 11:00 UTC)', auckland, utc(2026, 1, 3, 11, 0), CLOSED],
    ['Los Angeles: Saturday 03:00 (Saturday 11:00 UTC)', losAngeles, utc(2026, 1, 3, 11, 0), OPEN],
    ['Los Angeles: Saturday 23:59 (Sunday 07:59 UTC)', losAngeles, utc(2026, 1, 4, 7, 59), OPEN],
    ['Los Angeles: Sunday 00:00 (Sunday 08:00 UTC)', losAngeles, utc(2026, 1, 4, 8, 0), CLOSED],
    // Madrid spring forward with 01:00-03:00: open for one real hour only
    ['Madrid spring: 00:59 CET', madridSpring, utc(2026, 3, 28, 23, 59), CLOSED],
    ['Madrid spring: 01:00 CET', madridSpring, utc(2026, 3, 29, 0, 0), OPEN],
    ['Madrid spring: 01:59 CET', madridSpring, utc(2026, 3, 29, 0, 59), OPEN],
    ['Madrid spring: 03:00 CEST', madridSpring, utc(2026, 3, 29, 1, 0), CLOSED],
    // Madrid fall back with 02:30-03:00: open in both 02:30s
    ['Madrid autumn: 02:29 CEST', madridAutumn, utc(2026, 10, 25, 0, 29), CLOSED],
    ['Madrid autumn: 02:30 CEST', madridAutumn, utc(2026, 10, 25, 0, 30), OPEN],
    ['Madrid autumn: 02:00 CET (repeated hour)', madridAutumn, utc(2026, 10, 25, 1, 0), CLOSED],
    ['Madrid autumn: 02:45 CET (repeated hour)', madridAutumn, utc(2026, 10, 25, 1, 45), OPEN],
    ['Madrid autumn: 03:00 CET', madridAutumn, utc(2026, 10, 25, 2, 0), CLOSED],
    // New York spring forward with 01:00-03:00
    ['New York: 00:59 EST', newYork, utc(2026, 3, 8, 5, 59), CLOSED],
    ['New York: 01:00 EST', newYork, utc(2026, 3, 8, 6, 0), OPEN],
    ['New York: 01:59 EST', newYork, utc(2026, 3, 8, 6, 59), OPEN],
    ['New York: 03:00 EDT', newYork, utc(2026, 3, 8, 7, 0), CLOSED],
    ['New York: a week later, 01:30 EDT', newYork, utc(2026, 3, 15, 5, 30), OPEN],
    ['New York: a week later, 02:30 EDT', newYork, utc(2026, 3, 15, 6, 30), OPEN],
    // weekly hours
    ['office: Wednesday 08:59', office, utc(2026, 1, 7, 7, 59), CLOSED],
    ['office: Wednesday 09:00', office, utc(2026, 1, 7, 8, 0), OPEN],
    ['office: Wednesday 17:59', office, utc(2026, 1, 7, 16, 59), OPEN],
    ['office: Wednesday 18:00', office, utc(2026, 1, 7, 17, 0), CLOSED],
    ['office: Saturday 11:00', office, utc(2026, 1, 17, 10, 0), OPEN],
    ['office: Sunday is closed', office, utc(2026, 1, 11, 11, 0), CLOSED],
    ['office: Wednesday 10:00 in summer (CEST)', office, utc(2026, 7, 15, 8, 0), OPEN],
    ['office: Wednesday 08:30 in summer (CEST)', office, utc(2026, 7, 15, 6, 30), CLOSED],
    // holidays beat weekly hours, all day
    ['office: Reyes (Tuesday) 10:00', office, utc(2026, 1, 6, 9, 0), holiday('Reyes')],
    ['office: Reyes 00:00', office, utc(2026, 1, 5, 23, 0), holiday('Reyes')],
    ['office: Reyes 23:59', office, utc(2026, 1, 6, 22, 59), holiday('Reyes')],
    ['office: the day after Reyes, 00:00', office, utc(2026, 1, 6, 23, 0), CLOSED],
    ['office: a holiday without a name', office, utc(2026, 5, 1, 10, 0), holiday()],
    // a holiday with hours: open within, 'holiday' outside; it beats the exception of the same date
    ['office: Nochevieja 08:59', office, utc(2026, 12, 31, 7, 59), holiday('Nochevieja')],
    ['office: Nochevieja 09:00', office, utc(2026, 12, 31, 8, 0), OPEN],
    ['office: Nochevieja 11:59', office, utc(2026, 12, 31, 10, 59), OPEN],
    ['office: Nochevieja 12:00', office, utc(2026, 12, 31, 11, 0), holiday('Nochevieja')],
    ['office: Nochevieja 15:00', office, utc(2026, 12, 31, 14, 0), holiday('Nochevieja')],
    // exceptions beat weekly hours
    ['office: Nochebuena (Thursday) 12:59', office, utc(2026, 12, 24, 11, 59), OPEN],
    ['office: Nochebuena 13:00', office, utc(2026, 12, 24, 12, 0), CLOSED],
    ['office: Nochebuena 15:00 (weekly would be open)', office, utc(2026, 12, 24, 14, 0), CLOSED],
    ['office: Inventario (Saturday, closed exception) 11:00', office, utc(2026, 1, 10, 10, 0), CLOSED],
  ])('%s', (_name, s, at, expected) => {
    expect(scheduleStateAt(s, at)).toStrictEqual(expected);
  });

  it('several holiday entries on a date: closed all day wins, names come from the first named one', () => {
    const s = schedule(
      'UTC',
      { mon: [r('00:00-24:00')] },
      {
        holidays: [
          { date: '2026-01-05', hours: [r('09:00-10:00')] },
          { date: '2026-01-05', name: 'Cierre', hours: [] },
        ],
      },
    );
    expect(scheduleStateAt(s, utc(2026, 1, 5, 9, 30))).toStrictEqual(holiday('Cierre'));
  });

  it('several exceptions on a date add their hours up', () => {
    const s = schedule(
      'UTC',
      {},
      {
        exceptions: [
          { date: '2026-01-05', hours: [r('09:00-10:00')] },
          { date: '2026-01-05', hours: [r('12:00-13:00')] },
        ],
      },
    );
    expect([9, 11, 12].map((h) => scheduleStateAt(s, utc(2026, 1, 5, h, 30)).state)).toEqual(['open', 'closed', 'open']);
  });

  it('throws RangeError for an unknown time zone', () => {
    expect(() => scheduleStateAt(schedule('Mars/Olympus', {}), 0)).toThrow(RangeError);
  });
});

describe('parseTimeRange', () => {
  it.each<[string, TimeRange]>([
    ['09:00-17:30', { from: 540, to: 1050 }],
    ['00:00-24:00', { from: 0, to: 1440 }],
    ['23:59-24:00', { from: 1439, to: 1440 }],
    ['9:05 - 10:00', { from: 545, to: 600 }],
    [' 00:00-00:01 ', { from: 0, to: 1 }],
  ])('%s', (text, expected) => {
    expect(parseTimeRange(text)).toEqual(expected);
    expect(formatTimeRange(expected)).toBe(text.replace(/\s/g, '').replace(/^(\d):/, '0$1:'));
  });

  it.each<[string, RegExp]>([
    ['', /expected HH:MM-HH:MM/],
    ['9-17', /expected HH:MM-HH:MM/],
    ['09:00', /expected HH:MM-HH:MM/],
    ['09:00-17:30-18:00', /expected HH:MM-HH:MM/],
    ['9am-5pm', /expected HH:MM-HH:MM/],
    ['09:0-17:00', /expected HH:MM-HH:MM/],
    ['09:60-17:00', /minutes must be 00-59/],
    ['09:00-17:75', /minutes must be 00-59/],
    ['25:00-26:00', /hours must be 00-24/],
    ['09:00-24:01', /only time with hour 24 is 24:00/],
    ['24:00-24:30', /only time with hour 24 is 24:00/],
    ['17:00-09:00', /start must be before the end/],
    ['09:00-09:00', /start must be before the end/],
    ['22:00-06:00', /cannot cross midnight/],
    ['24:00-24:00', /start must be before the end/],
  ])('rejects %j', (text, message) => {
    expect(() => parseTimeRange(text)).toThrow(message);
    expect(() => parseTimeRange(text)).toThrow(text === '' ? /""/ : text);
  });
});

describe('isValidTimeZone', () => {
  it.each<[string, boolean]>([
    ['Europe/Madrid', true],
    ['America/New_York', true],
    ['Pacific/Auckland', true],
    ['UTC', true],
    ['Mars/Olympus', false],
    ['', false],
    ['Europe/Madrid ', false],
    ['+01:00 nonsense', false],
  ])('%j → %s', (tz, valid) => {
    expect(isValidTimeZone(tz)).toBe(valid);
  });
});

describe('validateSchedule', () => {
  it('accepts a good schedule', () => {
    expect(validateSchedule(office)).toEqual([]);
  });

  it('lists every problem', () => {
    const bad = {
      id: 'bad',
      timeZone: 'Mars/Olympus',
      weekly: { mon: [{ from: 600, to: 540 }], funday: [] },
      holidays: [{ date: '2026-02-30', hours: [] }],
      exceptions: [{ date: '2026-12-24', hours: [{ from: 0, to: 1441 }] }],
    } as unknown as Schedule;
    const problems = validateSchedule(bad);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/unknown time zone "Mars\/Olympus"/);
    expect(problems.join('\n')).toMatch(/mon: range 1/);
    expect(problems.join('\n')).toMatch(/unknown weekday "funday"/);
    expect(problems.join('\n')).toMatch(/holiday date "2026-02-30"/);
    expect(problems.join('\n')).toMatch(/exception 2026-12-24: range 1/);
  });

  it('knows leap years', () => {
    const on = (date: string): string[] => validateSchedule(schedule('UTC', {}, { holidays: [{ date, hours: [] }] }));
    expect(on('2028-02-29')).toEqual([]);
    expect(on('2026-02-29')).toHaveLength(1);
    expect(on('2100-02-29')).toHaveLength(1);
    expect(on('2000-02-29')).toEqual([]);
  });
});

describe('nextChangeAt', () => {
  const newYorkOffice = schedule('America/New_York', {
    mon: [r('09:00-17:00')],
    tue: [r('09:00-17:00')],
    wed: [r('09:00-17:00')],
    thu: [r('09:00-17:00')],
    fri: [r('09:00-17:00')],
  });
  const madridSpring = schedule('Europe/Madrid', {}, { exceptions: [{ date: '2026-03-29', hours: [r('01:00-03:00')] }] });
  const madridAutumn = schedule('Europe/Madrid', {}, { exceptions: [{ date: '2026-10-25', hours: [r('02:30-03:00')] }] });
  const newYorkNight = schedule('America/New_York', { sun: [r('02:30-04:00')] });
  const sundays = schedule('UTC', { sun: [r('10:00-11:00')] });

  it.each<[string, Schedule, number, number | undefined]>([
    // across a weekend (Madrid, CET)
    ['office: Friday 17:00 → closes 18:00', office, utc(2026, 1, 16, 16, 0), utc(2026, 1, 16, 17, 0)],
    ['office: Friday 18:00 → opens Saturday 10:00', office, utc(2026, 1, 16, 17, 0), utc(2026, 1, 17, 9, 0)],
    ['office: Saturday 14:00 → opens Monday 09:00', office, utc(2026, 1, 17, 13, 0), utc(2026, 1, 19, 8, 0)],
    ['office: mid-minute, 08:59:30 → 09:00', office, utc(2026, 1, 19, 7, 59, 30), utc(2026, 1, 19, 8, 0)],
    ['office: exactly at opening → closing', office, utc(2026, 1, 19, 8, 0), utc(2026, 1, 19, 17, 0)],
    // holidays and exceptions
    ['office: Monday 18:00 → Reyes starts at midnight', office, utc(2026, 1, 5, 17, 0), utc(2026, 1, 5, 23, 0)],
    ['office: Reyes → Wednesday 00:00 (closed)', office, utc(2026, 1, 6, 9, 0), utc(2026, 1, 6, 23, 0)],
    ['office: Navidad → San Esteban at midnight (another name)', office, utc(2026, 12, 25, 11, 0), utc(2026, 12, 25, 23, 0)],
    ['office: Nochebuena 12:00 → closes 13:00', office, utc(2026, 12, 24, 11, 0), utc(2026, 12, 24, 12, 0)],
    ['office: Nochevieja 08:00 (holiday) → opens 09:00', office, utc(2026, 12, 31, 7, 0), utc(2026, 12, 31, 8, 0)],
    ['office: Inventario Saturday → Monday 09:00', office, utc(2026, 1, 10, 10, 0), utc(2026, 1, 12, 8, 0)],
    // across a DST change: the weekend before New York springs forward, Monday opens at 13:00 UTC
    ['New York: Friday 17:00 EST → Monday 09:00 EDT', newYorkOffice, utc(2026, 3, 6, 22, 0), utc(2026, 3, 9, 13, 0)],
    ['New York: Friday 17:00 EDT → Monday 09:00 EST', newYorkOffice, utc(2026, 10, 30, 21, 0), utc(2026, 11, 2, 14, 0)],
    ['Madrid spring: 00:30 UTC (01:30 CET) → 03:00 CEST', madridSpring, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)],
    ['Madrid spring: Saturday noon → 01:00 CET', madridSpring, utc(2026, 3, 28, 11, 0), utc(2026, 3, 29, 0, 0)],
    ['Madrid spring: after closing → nothing more', madridSpring, utc(2026, 3, 29, 1, 0), undefined],
    ['New York: 01:30 EST → 03:00 EDT (02:30 never happens)', newYorkNight, utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 0)],
    ['New York: 03:00 EDT → 04:00 EDT', newYorkNight, utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0)],
    // the repeated hour in autumn: 02:30-03:00 happens twice
    ['Madrid autumn: 02:00 CEST → 02:30 CEST', madridAutumn, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30)],
    ['Madrid autumn: 02:30 CEST → 02:00 CET', madridAutumn, utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)],
    ['Madrid autumn: 02:00 CET → 02:30 CET', madridAutumn, utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30)],
    ['Madrid autumn: 02:30 CET → 03:00 CET', madridAutumn, utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 0)],
    // nothing within the horizon
    ['always closed', schedule('Europe/Madrid', {}), utc(2026, 1, 5), undefined],
    [
      'always open',
      schedule('Europe/Madrid', Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [r('00:00-24:00')]]))),
      utc(2026, 1, 5),
      undefined,
    ],
    ['Sundays only, from Monday → next Sunday', sundays, utc(2026, 1, 5), utc(2026, 1, 11, 10, 0)],
  ])('%s', (_name, s, at, expected) => {
    expect(nextChangeAt(s, at)).toBe(expected);
  });

  it('stops at the horizon', () => {
    expect(nextChangeAt(sundays, utc(2026, 1, 5), 3)).toBeUndefined();
    expect(nextChangeAt(sundays, utc(2026, 1, 5), 7)).toBe(utc(2026, 1, 11, 10, 0));
    expect(nextChangeAt(sundays, utc(2026, 1, 5), 6 + 10 / 24 - 1 / 1440)).toBeUndefined();
  });

  it('agrees with a minute-by-minute scan across both Madrid DST weeks', () => {
    const s = schedule(
      'Europe/Madrid',
      {
        mon: [r('00:00-02:30'), r('09:00-14:00'), r('16:00-24:00')],
        fri: [r('02:00-03:00')],
        sat: [r('02:15-02:45'), r('23:59-24:00')],
        sun: [r('00:00-01:30'), r('02:00-02:01'), r('02:59-03:01')],
      },
      { holidays: [{ date: '2026-10-27', name: 'Fiesta', hours: [r('10:00-11:00')] }], exceptions: [{ date: '2026-03-26', hours: [r('12:00-12:01')] }] },
    );
    for (const start of [utc(2026, 3, 23), utc(2026, 10, 19)]) {
      const scanned: number[] = [];
      let prev = scheduleStateAt(s, start);
      for (let t = start + 60_000; t <= start + 8 * 86_400_000; t += 60_000) {
        const now = scheduleStateAt(s, t);
        if (JSON.stringify(now) !== JSON.stringify(prev)) scanned.push(t);
        prev = now;
      }
      const jumped: number[] = [];
      for (let t: number | undefined = start; (t = nextChangeAt(s, t, 8)) !== undefined && t <= start + 8 * 86_400_000; ) jumped.push(t);
      expect(scanned.length).toBeGreaterThan(20);
      expect(jumped).toEqual(scanned);
    }
  });
});
