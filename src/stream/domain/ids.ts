// Redis stream ids ("<ms>-<seq>", two unsigned 64-bit integers): validation and order. The SSE
// layer compares ids to drop an event a client already has (backlog and live overlap on purpose).

const ID = /^(\d{1,20})-(\d{1,20})$/;
const U64_MAX = '18446744073709551615';

/** A part without leading zeros ("007" → "7", "0" stays). */
const strip = (n: string): string => n.replace(/^0+(?=\d)/, '');
const fitsU64 = (n: string): boolean => n.length < U64_MAX.length || (n.length === U64_MAX.length && n <= U64_MAX);

/** The id in canonical form, or undefined when it is not a complete stream id ("ms-seq"). */
export function parseStreamId(text: string): string | undefined {
  const m = ID.exec(text);
  if (!m) return undefined;
  const ms = strip(m[1]!);
  const seq = strip(m[2]!);
  return fitsU64(ms) && fitsU64(seq) ? `${ms}-${seq}` : undefined;
}

export function isStreamId(text: string): boolean {
  return parseStreamId(text) !== undefined;
}

// Decimal strings without leading zeros compare by length first, then lexically (no BigInt per event).
function compareNumber(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two canonical stream ids (as Redis returns them): negative, 0 or positive. */
export function compareStreamIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  return compareNumber(a.slice(0, da), b.slice(0, db)) || compareNumber(a.slice(da + 1), b.slice(db + 1));
}
