// IVR lookups: an HTTP request to a configured URL (a CRM, a customer list) with call variables,
// a timeout, and fields of the JSON answer copied out. Every failure (refused, slow, not 2xx, not
// JSON) is one outcome for the flow: its failure branch.
import { z } from 'zod';
import type { Lookup } from './domain/model';

export type LookupOutcome = { ok: true; fields: Record<string, string> } | { ok: false; reason: string };

const JsonObject = z.record(z.string(), z.unknown());

/** The value at a dotted path ("customer.vip") as a string, if it is a scalar. */
export function pick(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : undefined;
}

export async function runLookup(lookup: Lookup, params: Record<string, string>, fields: Record<string, string>): Promise<LookupOutcome> {
  const url = new URL(lookup.url);
  const init: RequestInit = { method: lookup.method, signal: AbortSignal.timeout(lookup.timeoutS * 1000), headers: { Accept: 'application/json' } };
  if (lookup.method === 'GET') for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  else {
    init.body = JSON.stringify(params);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  let body: unknown;
  try {
    const res = await fetch(url, init);
    if (!res.ok) return { ok: false, reason: `HTTP ${res.status}` };
    body = await res.json();
  } catch (err) {
    const e = err as Error;
    return { ok: false, reason: e.name === 'TimeoutError' ? `no answer within ${lookup.timeoutS} s` : e.message };
  }
  const parsed = JsonObject.safeParse(body);
  if (!parsed.success) return { ok: false, reason: 'answer is not a JSON object' };
  const out: Record<string, string> = {};
  for (const [name, path] of Object.entries(fields)) {
    const v = pick(parsed.data, path);
    if (v !== undefined) out[name] = v;
  }
  return { ok: true, fields: out };
}
