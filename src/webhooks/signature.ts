// Signing and verifying deliveries: HMAC-SHA256 over "<t>.<raw body>" with the hook's secret,
// sent as `Switchboard-Signature: t=<unix seconds>,v1=<hex>`. verifySignature is exported for
// receivers written in TypeScript/Node and for the tests (docs/webhooks.md shows it).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, formatSignature, HOOK_HEADER, parseSignature, signedContent, SIGNATURE_HEADER, withinTolerance } from './domain';

/** The hex HMAC-SHA256 of "<t>.<rawBody>" (a Buffer body is signed as its bytes, whatever their encoding). */
export function computeSignature(secret: string, t: number, rawBody: string | Buffer): string {
  const content = typeof rawBody === 'string' ? Buffer.from(signedContent(t, rawBody), 'utf8') : Buffer.concat([Buffer.from(`${t}.`, 'utf8'), rawBody]);
  return createHmac('sha256', secret).update(content).digest('hex');
}

/** The value of the Switchboard-Signature header for `rawBody` sent at `nowS` (unix seconds). */
export function signatureHeader(secret: string, rawBody: string, nowS: number): string {
  return formatSignature(nowS, computeSignature(secret, nowS, rawBody));
}

/** Every header a delivery carries besides Content-Type. */
export function deliveryHeaders(o: { secret: string; rawBody: string; nowS: number; journalId: string; eventType: string; hookId: string }): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: signatureHeader(o.secret, o.rawBody, o.nowS),
    [EVENT_ID_HEADER]: o.journalId,
    [EVENT_TYPE_HEADER]: o.eventType,
    [HOOK_HEADER]: o.hookId,
  };
}

/**
 * Whether `header` (a Switchboard-Signature value) signs `rawBody` (the body's exact bytes, before
 * any JSON parsing) with `secret`, made at most `toleranceS` from `nowS` (unix seconds). The
 * comparison takes the same time whatever the digests (no timing oracle).
 */
export function verifySignature(secret: string, header: string | undefined, rawBody: string | Buffer, nowS: number, toleranceS = 300): boolean {
  if (!header) return false;
  const parsed = parseSignature(header);
  if (!parsed || !withinTolerance(parsed.t, nowS, toleranceS)) return false;
  const expected = Buffer.from(computeSignature(secret, parsed.t, rawBody), 'hex');
  let ok = false;
  // Every candidate is compared (no early exit), so timing does not tell which one matched.
  for (const v1 of parsed.v1) if (timingSafeEqual(expected, Buffer.from(v1, 'hex'))) ok = true;
  return ok;
}
