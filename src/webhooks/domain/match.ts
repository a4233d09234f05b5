// Which hooks want an event. Patterns are event types or globs where "*" stands for any run of
// characters ("queue.*", "*.ended", "*"); the configuration expands them against the catalogue
// once, so matching an event is a set lookup per hook.
import type { Webhook } from './model';

/** What a pattern may look like (checked before it is expanded). */
export const EVENT_PATTERN = /^[a-z*][a-z0-9.*-]*$/;

function globRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

export function matchesPattern(pattern: string, type: string): boolean {
  return pattern.includes('*') ? globRegExp(pattern).test(type) : pattern === type;
}

/** The known types a pattern matches, in the catalogue's order (empty: a typo). */
export function typesMatching(pattern: string, known: readonly string[]): string[] {
  return known.filter((t) => matchesPattern(pattern, t));
}

/** The part of an event matching looks at (every catalogue event fits). */
export interface Routable {
  type: string;
  queue?: unknown;
}

/** Whether `hook` wants `event`: its type is subscribed and, with a queue filter, its `queue` is listed. */
export function wants(hook: Webhook, event: Routable): boolean {
  if (!hook.types.has(event.type)) return false;
  if (!hook.queues) return true;
  return typeof event.queue === 'string' && hook.queues.has(event.queue);
}

export function hooksFor(event: Routable, hooks: Iterable<Webhook>): Webhook[] {
  const out: Webhook[] = [];
  for (const h of hooks) if (wants(h, event)) out.push(h);
  return out;
}
