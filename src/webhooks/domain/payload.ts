// What a receiver gets: a JSON body naming the journal id, the hook and the event, and headers
// that sign it. The signature covers "<t>.<raw body>" (Stripe's scheme): a body replayed later
// carries an old t, and t cannot be changed without breaking the signature.

export const SIGNATURE_HEADER = 'Switchboard-Signature';
export const EVENT_ID_HEADER = 'Switchboard-Event-Id';
export const EVENT_TYPE_HEADER = 'Switchboard-Event-Type';
export const HOOK_HEADER = 'Switchboard-Webhook';

/** The body, serialised once per attempt: it is signed and sent as is. */
export function deliveryBody(journalId: string, hookId: string, event: unknown): string {
  return JSON.stringify({ id: journalId, hook: hookId, event });
}

/** The string the HMAC is computed over. */
export function signedContent(t: number, rawBody: string): string {
  return `${t}.${rawBody}`;
}

/** "t=<unix seconds>,v1=<hex>" (several v1 are accepted when verifying: a secret being rotated). */
export function formatSignature(t: number, v1Hex: string): string {
  return `t=${t},v1=${v1Hex}`;
}

export interface ParsedSignature {
  t: number;
  v1: string[];
}

/** Reads a signature header; undefined when it has no integer t or no v1 (unknown schemes are skipped). */
export function parseSignature(header: string): ParsedSignature | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
  }
  return t !== undefined && v1.length > 0 ? { t, v1 } : undefined;
}

/** A signature made `t` is accepted at `nowS` when the two are at most `toleranceS` apart (either way: clocks drift). */
export function withinTolerance(t: number, nowS: number, toleranceS: number): boolean {
  return Math.abs(nowS - t) <= toleranceS;
}
