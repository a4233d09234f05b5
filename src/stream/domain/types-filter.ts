// The `types` filter of the event stream: a comma-separated list of event types ("call.ended"),
// families ("queue.*") or "*" for everything, checked against the catalogue so a typo is refused
// instead of silently matching nothing.

/** At most this many items: a filter is a handful of families, not a list to scan per event. */
export const MAX_TYPE_ITEMS = 64;

export type TypesFilterResult = { ok: true; types: ReadonlySet<string> | undefined } | { ok: false; reason: string };

/**
 * Parses the filter items (each may itself be comma-separated, e.g. repeated query parameters).
 * `types` undefined means no filter (every type).
 */
export function parseTypesFilter(spec: string | readonly string[] | undefined, known: readonly string[]): TypesFilterResult {
  if (spec === undefined) return { ok: true, types: undefined };
  const items = (typeof spec === 'string' ? [spec] : spec).flatMap((s) => s.split(',')).map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) return { ok: false, reason: 'an empty item; expected event types or families separated by commas, e.g. queue.*,agent.logged-in' };
  if (items.length > MAX_TYPE_ITEMS) return { ok: false, reason: `more than ${MAX_TYPE_ITEMS} items` };
  const chosen = new Set<string>();
  for (const item of items) {
    if (item === '*') return { ok: true, types: undefined };
    const family = /^([a-z][a-z0-9-]*)\.\*$/.exec(item)?.[1];
    const matches = family !== undefined ? known.filter((t) => t.startsWith(`${family}.`)) : known.filter((t) => t === item);
    if (matches.length === 0) return { ok: false, reason: `"${item.slice(0, 60)}" is not an event type or family (see docs/events.md)` };
    for (const t of matches) chosen.add(t);
  }
  return { ok: true, types: chosen };
}
