// Statistics intervals: 15 minutes of the local wall clock in the configured IANA time zone.
//
// The slot of a time is (minutes since local midnight on the wall clock) / 15, so a slot always
// means the same 'HH:MM' label. On DST days this gives:
// - spring forward (e.g. Europe/Paris, last Sunday of March, 02:00 → 03:00): the skipped hour's four
//   slots (02:00–02:45) never receive anything: the day has 92 real intervals;
// - fall back (last Sunday of October, 03:00 → 02:00): the repeated hour runs twice through the same
//   four slots (02:00–02:45), which add both passes up: 100 real intervals, 96 labels.
// Intl.DateTimeFormat is a pure computation (no I/O), allowed in the core.
//
// Every zone in use today is offset from UTC by a multiple of 15 minutes, so local 15-minute
// intervals start at multiples of 15 minutes of epoch time: status time is split there
// (`splitByInterval`), and the mapping of one UTC 15-minute bucket is cached.

export const SLOT_MS = 15 * 60_000;
export const SLOTS_PER_DAY = 96;

export interface Interval {
  /** Local calendar date, YYYY-MM-DD. */
  readonly date: string;
  /** 0..95: minutes since local midnight on the wall clock, / 15. */
  readonly slot: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows (or 'UTC'). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

// Small cache: events arrive in time order, so most lookups hit one of the last few buckets.
const CACHE_MAX = 256;
const cache = new Map<string, Interval>();

/** The interval `at` (epoch ms) falls in, in `timeZone`. */
export function intervalOf(at: number, timeZone: string): Interval {
  const bucket = Math.floor(at / SLOT_MS);
  const key = `${timeZone}|${bucket}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(bucket * SLOT_MS))) parts[p.type] = p.value;
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  const result: Interval = { date: `${parts.year}-${parts.month}-${parts.day}`, slot: Math.floor(minutes / 15) };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, result);
  return result;
}

/** 'HH:MM', the local start of a slot. */
export function slotLabel(slot: number): string {
  const m = slot * 15;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Splits [from, to) at the 15-minute boundaries: each piece with its interval and length (ms). */
export function splitByInterval(from: number, to: number, timeZone: string): Array<Interval & { ms: number }> {
  const out: Array<Interval & { ms: number }> = [];
  let a = from;
  while (a < to) {
    const b = Math.min(to, (Math.floor(a / SLOT_MS) + 1) * SLOT_MS);
    const iv = intervalOf(a, timeZone);
    const last = out[out.length - 1];
    // The repeated hour of a fall-back day maps two pieces to the same slot: add them up.
    if (last && last.date === iv.date && last.slot === iv.slot) out[out.length - 1] = { ...last, ms: last.ms + (b - a) };
    else out.push({ ...iv, ms: b - a });
    a = b;
  }
  return out;
}
