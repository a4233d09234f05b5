// The call flow's part of the routing files: dialled numbers and where each one goes (a flow, a
// queue, a greeting, or a greeting and a queue).
import { z } from 'zod';
import { didYouMean, type CallAttributes } from '../acd/domain';
import { attributeName, identifier, languageCode, notInCatalog, soundName } from '../platform/config/fields';
import { entriesKey, type Checker, type Section } from '../platform/config/loader';
import type { SoundUse } from '../platform/config/sounds';
import { valueAt, type YamlFile } from '../platform/config/yaml-positions';

const dialledNumber = z.string().regex(/^[0-9*#+]{1,32}$/, 'must be a dialled number (digits, *, #, +)');

export const NumberRouteSchema = z.strictObject({
  flow: identifier.optional().describe('IVR flow the call runs (instead of greeting and queue)'),
  language: languageCode.optional().describe("The call's language from this number (overrides the flow's; for a queue, call.language)"),
  greeting: z.array(soundName).optional().describe('Prompts played in order (before queueing, when queue is set)'),
  queue: identifier.optional().describe('Queue the call joins'),
  priority: z.number().int('priority must be a whole number').default(0).describe('Queue priority: higher is answered first'),
  attributes: z
    .record(attributeName, z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe('Call attributes (call.NAME in expressions); language is the caller\'s language'),
});

type ParsedNumber = z.output<typeof NumberRouteSchema>;

const NUMBER_KEYS = {
  numbers: entriesKey(dialledNumber, NumberRouteSchema, { noun: 'number', description: 'Dialled number → route' }),
};

export interface NumberRouteConfig {
  /** The call's language from the number (a flow's starting language; a queue's call.language). */
  language?: string;
  /** Prompts played in order; before queueing when `queue` is set (may then be empty; always empty with `flow`). */
  greeting: string[];
  queue?: string;
  /** The IVR flow the call runs (then there is no greeting and no queue). */
  flow?: string;
  priority: number;
  attributes: CallAttributes;
}

export interface NumbersConfig {
  numbers: ReadonlyMap<string, NumberRouteConfig>;
  /** The greetings' prompts, for the sounds check. */
  sounds: SoundUse[];
}

/** Numbers need the language catalog; flows and queues are checked by name (defined anywhere). */
export const numbersSection: Section<typeof NUMBER_KEYS, { languages: ReadonlySet<string> }, NumbersConfig> = {
  keys: NUMBER_KEYS,
  build(files, check, { languages }) {
    const numbers = new Map<string, NumberRouteConfig>();
    const sounds: SoundUse[] = [];
    for (const { src, data } of files) {
      for (const [number, n] of Object.entries(data.numbers ?? {})) {
        const route = n.flow !== undefined ? flowRoute(src, number, n, n.flow, check, languages) : queueRoute(src, number, n, check, languages, sounds);
        if (route) numbers.set(number, route);
      }
    }
    return { numbers, sounds };
  },
};

/** A number that runs a flow: the flow does it all (its own prompts, queue, priority and attributes). */
function flowRoute(src: YamlFile, number: string, n: ParsedNumber, flow: string, check: Checker, languages: ReadonlySet<string>): NumberRouteConfig | undefined {
  const base = ['numbers', number] as const;
  const before = check.count;
  const flows = check.defined('flows');
  if (!flows.has(flow)) check.at(src, [...base, 'flow'], `unknown flow "${flow}"${didYouMean(flow, flows.keys())}`);
  for (const key of ['greeting', 'queue', 'priority', 'attributes'] as const) {
    if (valueAt(src.raw, [...base, key]) !== undefined) check.at(src, [...base, key], `a number with a flow has no ${key} (the flow decides it)`, true);
  }
  if (n.language !== undefined && !languages.has(n.language)) check.at(src, [...base, 'language'], notInCatalog('language', n.language, languages));
  if (check.count > before) return undefined;
  return { greeting: [], flow, priority: 0, attributes: {}, ...(n.language !== undefined ? { language: n.language } : {}) };
}

/** A number with a greeting, a queue, or both. */
function queueRoute(src: YamlFile, number: string, n: ParsedNumber, check: Checker, languages: ReadonlySet<string>, sounds: SoundUse[]): NumberRouteConfig | undefined {
  const base = ['numbers', number] as const;
  const before = check.count;
  const greeting = n.greeting ?? [];
  const queues = check.defined('queues');
  if (n.queue === undefined) {
    if (n.greeting === undefined) check.at(src, base, 'needs a flow, a queue or a greeting', true);
    else if (greeting.length === 0) check.at(src, [...base, 'greeting'], 'needs at least one prompt (or a queue)');
  } else if (!queues.has(n.queue)) check.at(src, [...base, 'queue'], `unknown queue "${n.queue}"${didYouMean(n.queue, queues.keys())}`);
  greeting.forEach((name, i) => sounds.push({ src, path: [...base, 'greeting', i], name }));
  const lang = n.attributes.language;
  if (lang !== undefined) {
    if (typeof lang !== 'string') check.at(src, [...base, 'attributes', 'language'], 'language must be a language code like "en"');
    else if (!languages.has(lang)) check.at(src, [...base, 'attributes', 'language'], notInCatalog('language', lang, languages));
  }
  if (check.count > before) return undefined;
  // Checked last (as it always was): the load fails on it all the same.
  if (n.language !== undefined && !languages.has(n.language)) check.at(src, [...base, 'language'], notInCatalog('language', n.language, languages));
  // A number's language reaches the queue as call.language (an explicit attribute wins).
  const attributes = { ...(n.language !== undefined ? { language: n.language } : {}), ...n.attributes } as CallAttributes;
  return { greeting: [...greeting], ...(n.queue !== undefined ? { queue: n.queue } : {}), priority: n.priority, attributes, ...(n.language !== undefined ? { language: n.language } : {}) };
}
