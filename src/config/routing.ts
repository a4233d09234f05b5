// Routing files: YAML in a folder, several files merged, validated with zod, then checked across
// files (skills, languages, queues, expressions, sounds). Every error names the file, line, column
// and field path, so ops staff can fix it without guessing.
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, Scalar, type Document } from 'yaml';
import { z } from 'zod';
import { compileRequirement, didYouMean, ExpressionError } from '../domain/acd/expression';
import type { AgentProfile, CallAttributes, QueueConfig, QueueExit, QueueStep, Requirement, Strategy } from '../domain/acd/model';

// ---------------------------------------------------------------------------------------------
// File schema (also published as JSON Schema: src/config/json-schema.ts, schema/routing.schema.json)

const soundName = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'must be a sound name like "hello-world" or "digits/1" (no extension, no "..")');

const dialledNumber = z.string().regex(/^[0-9*#+]{1,32}$/, 'must be a dialled number (digits, *, #, +)');

const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must start with a letter and use only letters, digits, "-" and "_"');

const languageCode = z.string().regex(/^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?$/, 'must be a language code like "en", "es" or "pt_BR"');

const attributeName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a name of letters, digits and "_"');

const seconds = (what: string) => z.number({ error: `${what} must be a number of seconds` });
const positiveSeconds = (what: string) => seconds(what).positive(`${what} must be more than 0 seconds`);
const nonNegativeSeconds = (what: string) => seconds(what).min(0, `${what} must be 0 or more seconds`);
const positiveInt = (what: string) => z.number().int(`${what} must be a whole number`).positive(`${what} must be at least 1`);

const proficiency = z
  .number({ error: 'proficiency must be a whole number from 1 to 10' })
  .int('proficiency must be a whole number from 1 to 10')
  .min(1, 'proficiency must be a whole number from 1 to 10')
  .max(10, 'proficiency must be a whole number from 1 to 10');

export const STRATEGIES = ['longest-idle', 'most-skilled', 'fewest-calls', 'least-talk-time', 'round-robin', 'random'] as const satisfies readonly Strategy[];

const exactlyOne = (keys: readonly string[]) => (o: Record<string, unknown>) => keys.filter((k) => o[k] !== undefined).length === 1;

export const QueueExitSchema = z
  .strictObject({
    hangup: z
      .strictObject({ prompt: soundName.optional().describe('Played before hanging up') })
      .nullable()
      .optional()
      .describe('Hang up, optionally after a prompt'),
    queue: identifier.optional().describe('Move the call to this queue (it keeps its place in line)'),
    hook: identifier.optional().describe('Leave the queue through this hook (callback, voicemail)'),
  })
  .meta({ id: 'QueueExit', minProperties: 1, maxProperties: 1, description: 'Where the call goes: exactly one of hangup, queue, hook' })
  .refine(exactlyOne(['hangup', 'queue', 'hook']), 'needs exactly one of hangup, queue, hook');

export const QueueStepSchema = z
  .strictObject({
    after: positiveSeconds('after').describe('Seconds of waiting in this queue before the step applies'),
    requires: z.string().min(1).optional().describe('Requirement expression replacing the previous one'),
    overflow: identifier.optional().describe('Move the call to this queue'),
  })
  .meta({ minProperties: 2, maxProperties: 2 })
  .refine(exactlyOne(['requires', 'overflow']), 'needs exactly one of requires, overflow');

export const AnnouncementsSchema = z.strictObject({
  position: z.boolean().default(false).describe("Announce the caller's position"),
  estimatedWait: z.boolean().default(false).describe('Announce the estimated wait'),
  positionOnlyWhenImproved: z.boolean().default(false).describe('Announce the position only when it improved since the last time'),
  firstAfter: nonNegativeSeconds('firstAfter').default(15).describe('Seconds before the first announcement'),
  every: positiveSeconds('every').default(30).describe('Seconds between announcements'),
  periodicPrompt: soundName.optional().describe('Prompt played at every announcement'),
});

export const QueueSchema = z.strictObject({
  name: z.string().min(1).optional().describe('Display name (default: the queue id)'),
  requires: z.string().min(1).describe('Requirement expression an agent must meet, e.g. "skill.sales >= 1"'),
  steps: z.array(QueueStepSchema).optional().describe('Relaxations over waiting time (after strictly increasing)'),
  strategy: z.enum(STRATEGIES).default('longest-idle').describe('Which eligible agent is offered the call'),
  rankSkill: identifier.optional().describe('Skill ranked by most-skilled (default: the first skill in requires)'),
  ringTimeout: positiveSeconds('ringTimeout').default(15).describe('Seconds an offer rings before it counts as missed'),
  wrapUp: nonNegativeSeconds('wrapUp').default(0).describe('Seconds of wrap-up after each call (an agent setting overrides)'),
  serviceLevel: z
    .strictObject({
      threshold: positiveSeconds('threshold').default(20).describe('Answered within this many seconds counts as in service level'),
      target: z.number().gt(0, 'target must be a percentage above 0').max(100, 'target must be a percentage up to 100').default(80).describe('Percent'),
    })
    .default({ threshold: 20, target: 80 }),
  maxWaiting: z
    .strictObject({ count: positiveInt('count').describe('Callers waiting at most'), exit: QueueExitSchema })
    .optional()
    .describe('Where callers go when the queue is full'),
  maxWait: z
    .strictObject({ seconds: positiveSeconds('seconds'), exit: QueueExitSchema })
    .optional()
    .describe('Where callers go after waiting this long'),
  whenNoAgents: QueueExitSchema.optional().describe('Where callers go when no logged-in agent could ever take the call'),
  music: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a music-on-hold class name').default('default').describe('Music-on-hold class'),
  announcements: AnnouncementsSchema.optional().describe('Periodic announcements to waiting callers (off when absent)'),
  maxMissedOffers: positiveInt('maxMissedOffers').default(3).describe('Missed offers in a row before an agent is paused (no-answer)'),
});

export const AgentSchema = z.strictObject({
  name: z.string().min(1).optional().describe('Display name (default: the agent id)'),
  endpoint: z
    .string()
    .regex(/^(PJSIP|SIP|IAX2)\/[A-Za-z0-9_.-]+$/, 'must be an Asterisk endpoint like "PJSIP/agent1"')
    .describe('Asterisk endpoint the agent is called on'),
  skills: z.record(identifier, proficiency).default({}).describe('Skill name → proficiency 1..10'),
  languages: z.array(languageCode).default([]).describe('Languages the agent speaks'),
  wrapUp: nonNegativeSeconds('wrapUp').optional().describe("Wrap-up seconds, overriding the queue's"),
  maxMissedOffers: positiveInt('maxMissedOffers').optional().describe("Overrides the queue's maxMissedOffers"),
  autoLogin: z.boolean().default(false).describe('Logged in when the phone registers, out when it unregisters'),
});

export const PauseReasonSchema = z.strictObject({ label: z.string().min(1) });

export const NumberRouteSchema = z.strictObject({
  greeting: z.array(soundName).optional().describe('Prompts played in order (before queueing, when queue is set)'),
  queue: identifier.optional().describe('Queue the call joins'),
  priority: z.number().int('priority must be a whole number').default(0).describe('Queue priority: higher is answered first'),
  attributes: z
    .record(attributeName, z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe('Call attributes (call.NAME in expressions); language is the caller\'s language'),
});

export const RoutingFileSchema = z
  .strictObject({
    skills: z.array(identifier).optional().describe('Skill catalog (merged across files)'),
    languages: z.array(languageCode).optional().describe('Language catalog (merged across files)'),
    pauseReasons: z.record(identifier, PauseReasonSchema).optional().describe('Pause reason code → label ("no-answer" is built in)'),
    agents: z.record(identifier, AgentSchema).optional(),
    queues: z.record(identifier, QueueSchema).optional(),
    numbers: z.record(dialledNumber, NumberRouteSchema).optional().describe('Dialled number → route'),
  })
  .meta({ title: 'Switchboard routing file', description: 'One file of a Switchboard routing folder (all *.yaml files are merged).' });

type ParsedFile = z.output<typeof RoutingFileSchema>;
type ParsedAgent = z.output<typeof AgentSchema>;
type ParsedQueue = z.output<typeof QueueSchema>;
type ParsedNumber = z.output<typeof NumberRouteSchema>;
type ParsedExit = z.output<typeof QueueExitSchema>;

// ---------------------------------------------------------------------------------------------
// Output

export interface NumberRouteConfig {
  /** Prompts played in order; before queueing when `queue` is set (may then be empty). */
  greeting: string[];
  queue?: string;
  priority: number;
  attributes: CallAttributes;
}

export interface PauseReason {
  label: string;
}

export interface RoutingConfig {
  numbers: ReadonlyMap<string, NumberRouteConfig>;
  skills: ReadonlySet<string>;
  languages: ReadonlySet<string>;
  /** Always holds the built-in "no-answer". */
  pauseReasons: ReadonlyMap<string, PauseReason>;
  agents: ReadonlyMap<string, AgentProfile>;
  queues: ReadonlyMap<string, QueueConfig>;
  files: string[];
}

export interface LoadOptions {
  /** Asterisk's sounds folder; when given and present, every prompt must exist in its "en" folder. */
  soundsDir?: string;
}

export const BUILTIN_PAUSE_REASONS: ReadonlyMap<string, PauseReason> = new Map([['no-answer', { label: 'No answer' }]]);

const SOUND_EXTENSIONS = ['gsm', 'wav', 'ulaw', 'alaw', 'sln', 'g722'] as const;
const DEFAULT_SOUND_LANGUAGE = 'en';

export interface ConfigProblem {
  file: string;
  line?: number;
  column?: number;
  field?: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${where}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

// ---------------------------------------------------------------------------------------------
// Positions

type Path = readonly PropertyKey[];

function toPos(lc: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/** Position of the node at `at` (or of its nearest existing parent) in the document; map entries by their key. */
function locate(doc: Document, lc: LineCounter, at: Path): { line: number; column: number } | undefined {
  for (let n = at.length; n >= 0; n--) {
    const keys = at.slice(0, n) as unknown[];
    const node = keys.length === 0 ? doc.contents : doc.getIn(keys, true);
    // For map entries prefer the key's position: it is what the reader looks for.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(keys.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(keys[n - 1]));
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return toPos(lc, range[0]);
      }
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return toPos(lc, range[0]);
  }
  return undefined;
}

/** Position of the value at `at` when it exists, else as locate(). */
function locateValue(doc: Document, lc: LineCounter, at: Path): { line: number; column: number } | undefined {
  const node = at.length === 0 ? doc.contents : doc.getIn(at as unknown[], true);
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? toPos(lc, range[0]) : locate(doc, lc, at);
}

/**
 * File offset of character `offset` of a scalar's value, when the scalar is written on one line
 * as a plain, single- or double-quoted string (so errors can point inside it); else undefined.
 */
function offsetInScalar(text: string, node: unknown, offset: number): number | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  if (raw.includes('\n') || raw.includes('\r')) return undefined;
  if (node.type === Scalar.PLAIN) return start + offset;
  if (node.type === Scalar.QUOTE_SINGLE) {
    let i = start + 1;
    for (let k = 0; k < offset && i < end; k++) i += text[i] === "'" && text[i + 1] === "'" ? 2 : 1;
    return i;
  }
  if (node.type === Scalar.QUOTE_DOUBLE) {
    let i = start + 1;
    for (let k = 0; k < offset && i < end; k++) {
      if (text[i] !== '\\') {
        i++;
        continue;
      }
      const e = text[i + 1];
      i += e === 'x' ? 4 : e === 'u' ? 6 : e === 'U' ? 10 : 2;
    }
    return i;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Loading

interface Source {
  file: string;
  text: string;
  doc: Document;
  lc: LineCounter;
  raw: unknown;
  data: Partial<ParsedFile>;
}

type Section = 'agents' | 'queues' | 'numbers' | 'pauseReasons';
const SECTION_NOUN: Record<Section, string> = { agents: 'agent', queues: 'queue', numbers: 'number', pauseReasons: 'pause reason' };
const ENTRY_SCHEMA = { agents: AgentSchema, queues: QueueSchema, numbers: NumberRouteSchema, pauseReasons: PauseReasonSchema } as const;
const KEY_SCHEMA = { agents: identifier, queues: identifier, numbers: dialledNumber, pauseReasons: identifier } as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** When the file as a whole does not validate: keep what does, entry by entry, so cross-file checks still run. */
function salvage(raw: unknown): Partial<ParsedFile> {
  if (!isPlainObject(raw)) return {};
  const out: Record<string, unknown> = {};
  for (const list of ['skills', 'languages'] as const) {
    const items = raw[list];
    const item = list === 'skills' ? identifier : languageCode;
    if (Array.isArray(items)) out[list] = items.filter((v) => item.safeParse(v).success);
  }
  for (const section of ['agents', 'queues', 'numbers', 'pauseReasons'] as const) {
    const entries = raw[section];
    if (!isPlainObject(entries)) continue;
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entries)) {
      if (!KEY_SCHEMA[section].safeParse(key).success) continue;
      const r = ENTRY_SCHEMA[section].safeParse(value);
      if (r.success) kept[key] = r.data;
    }
    out[section] = kept;
  }
  return out as Partial<ParsedFile>;
}

export async function loadRoutingDir(dir: string, options: LoadOptions = {}): Promise<RoutingConfig> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new ConfigError([{ file: dir, message: `cannot read configuration folder: ${(err as Error).message}` }]);
  }
  // Hidden files are editor artefacts (.#x.yaml locks, .x.yaml.swp), never routing files.
  const files = entries
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new ConfigError([{ file: dir, message: 'no routing files (*.yaml, *.yml) in this folder' }]);

  const problems: ConfigProblem[] = [];
  const sources: Source[] = [];

  // Pass 1: parse and validate each file on its own.
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ file, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = lc.linePos(e.pos[0]);
        problems.push({ file, line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message });
      }
      continue;
    }
    const raw: unknown = doc.toJS() ?? {};
    const parsed = RoutingFileSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        // zod reports unknown keys on the parent object: point at the key itself.
        const at: PropertyKey[] = [...issue.path];
        if (issue.code === 'unrecognized_keys' && issue.keys[0]) at.push(issue.keys[0]);
        const onKey = issue.code === 'unrecognized_keys' || issue.code === 'invalid_key';
        const pos = onKey ? locate(doc, lc, at) : locateValue(doc, lc, at);
        const missing = issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined;
        const message = missing ? 'is required' : issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
        problems.push({ file, line: pos?.line, column: pos?.column, field: at.map(String).join('.') || undefined, message });
      }
    }
    sources.push({ file, text, doc, lc, raw, data: parsed.success ? parsed.data : salvage(raw) });
  }

  // A file that could not be read or parsed defines unknown names: cross-file checks would only
  // add noise, so stop here.
  if (sources.length < files.length) throw sorted(problems, files);

  // Pass 2: merge, then check references across files.
  const at = (src: Source, p: Path, message: string, onKey = false): void => {
    const pos = onKey ? locate(src.doc, src.lc, p) : locateValue(src.doc, src.lc, p);
    problems.push({ file: src.file, line: pos?.line, column: pos?.column, field: p.map(String).join('.'), message });
  };

  const skills = new Set<string>();
  const languages = new Set<string>();
  for (const src of sources) {
    for (const s of src.data.skills ?? []) skills.add(s);
    for (const l of src.data.languages ?? []) languages.add(l);
  }

  // Every name a file defines (valid or not), for duplicate checks and so that a broken entry is
  // reported once, not again as "unknown" wherever it is referenced.
  const defined: Record<Section, Map<string, string>> = { agents: new Map(), queues: new Map(), numbers: new Map(), pauseReasons: new Map() };
  for (const src of sources) {
    const raw = src.raw;
    if (!isPlainObject(raw)) continue;
    for (const section of ['pauseReasons', 'agents', 'queues', 'numbers'] as const) {
      const entries = raw[section];
      if (!isPlainObject(entries)) continue;
      for (const name of Object.keys(entries)) {
        if (!KEY_SCHEMA[section].safeParse(name).success) continue;
        const pos = locate(src.doc, src.lc, [section, name]);
        const earlier = defined[section].get(name);
        if (earlier) {
          at(src, [section, name], `${SECTION_NOUN[section]} already defined in ${earlier}`, true);
          const data = src.data[section] as Record<string, unknown> | undefined;
          if (data) delete data[name]; // the first definition wins
          continue;
        }
        defined[section].set(name, `${src.file}:${pos?.line ?? 1}`);
      }
    }
  }

  const pauseReasons = new Map<string, PauseReason>(BUILTIN_PAUSE_REASONS);
  for (const src of sources) for (const [code, r] of Object.entries(src.data.pauseReasons ?? {})) pauseReasons.set(code, { label: r.label });

  const prompts: { src: Source; path: Path; name: string }[] = [];

  const checkLanguage = (src: Source, p: Path, lang: string): void => {
    if (!languages.has(lang)) at(src, p, `unknown language "${lang}"${languages.size ? ` (known: ${[...languages].join(', ')})` : ' (the languages list is empty)'}`);
  };

  const compile = (src: Source, p: Path, source: string): Requirement | undefined => {
    try {
      return compileRequirement(source, { skills, languages });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      const node = src.doc.getIn(p as unknown[], true);
      const offset = offsetInScalar(src.text, node, err.offset);
      const pos = offset !== undefined ? toPos(src.lc, offset) : locateValue(src.doc, src.lc, p);
      problems.push({ file: src.file, line: pos?.line, column: pos?.column, field: p.map(String).join('.'), message: `${err.message} (in "${source}" at character ${err.offset + 1})` });
      return undefined;
    }
  };

  // Agents
  const agents = new Map<string, AgentProfile>();
  for (const src of sources) {
    for (const [id, a] of Object.entries(src.data.agents ?? {}) as [string, ParsedAgent][]) {
      const base = ['agents', id] as const;
      let ok = true;
      for (const skill of Object.keys(a.skills)) {
        if (!skills.has(skill)) {
          at(src, [...base, 'skills', skill], `unknown skill "${skill}"${skills.size ? ` (known: ${[...skills].join(', ')})` : ' (the skills list is empty)'}`, true);
          ok = false;
        }
      }
      a.languages.forEach((lang, i) => {
        if (!languages.has(lang)) {
          checkLanguage(src, [...base, 'languages', i], lang);
          ok = false;
        }
      });
      if (!ok) continue;
      agents.set(id, {
        id,
        name: a.name ?? id,
        endpoint: a.endpoint,
        skills: { ...a.skills },
        languages: [...new Set(a.languages)],
        ...(a.wrapUp !== undefined ? { wrapUpS: a.wrapUp } : {}),
        ...(a.maxMissedOffers !== undefined ? { maxMissedOffers: a.maxMissedOffers } : {}),
        autoLogin: a.autoLogin,
      });
    }
  }

  // Queues
  const queueExists = (name: string) => defined.queues.has(name);
  const queues = new Map<string, QueueConfig>();
  const toExit = (src: Source, p: Path, self: string, e: ParsedExit): QueueExit | undefined => {
    if (e.queue !== undefined) {
      if (e.queue === self) return void at(src, [...p, 'queue'], `exits to its own queue "${self}"`);
      if (!queueExists(e.queue)) return void at(src, [...p, 'queue'], `unknown queue "${e.queue}"${didYouMean(e.queue, defined.queues.keys())}`);
      return { kind: 'queue', queue: e.queue };
    }
    if (e.hook !== undefined) return { kind: 'hook', hook: e.hook };
    const prompt = e.hangup?.prompt;
    if (prompt !== undefined) prompts.push({ src, path: [...p, 'hangup', 'prompt'], name: prompt });
    return prompt !== undefined ? { kind: 'hangup', prompt } : { kind: 'hangup' };
  };

  // Exits taken at once on arrival (queue full, nobody could serve): a loop among them would send a
  // call round for ever, so it is refused here (the ACD also cuts such a loop after a few hops).
  const immediateExits = new Map<string, Array<{ to: string; src: Source; path: Path }>>();
  for (const src of sources) {
    for (const [id, q] of Object.entries(src.data.queues ?? {}) as [string, ParsedQueue][]) {
      const edges: Array<{ to: string; src: Source; path: Path }> = [];
      if (q.maxWaiting?.exit.queue) edges.push({ to: q.maxWaiting.exit.queue, src, path: ['queues', id, 'maxWaiting', 'exit', 'queue'] });
      if (q.whenNoAgents?.queue) edges.push({ to: q.whenNoAgents.queue, src, path: ['queues', id, 'whenNoAgents', 'queue'] });
      immediateExits.set(id, edges);
    }
  }
  const reported = new Set<string>();
  for (const start of immediateExits.keys()) {
    // Depth-first from each queue; a path that comes back to its start is a loop.
    const walk = (node: string, trail: string[], first?: { src: Source; path: Path }): void => {
      for (const e of immediateExits.get(node) ?? []) {
        const edge = first ?? { src: e.src, path: e.path };
        if (e.to === start && trail.length > 1) {
          const key = [...trail].sort().join(',');
          if (!reported.has(key)) {
            reported.add(key);
            at(edge.src, edge.path, `queue exits form a loop: ${[...trail, start].join(' → ')} (a call that cannot wait in any of them would go round for ever)`);
          }
        } else if (!trail.includes(e.to) && e.to !== start) walk(e.to, [...trail, e.to], edge);
      }
    };
    walk(start, [start]);
  }

  for (const src of sources) {
    for (const [id, q] of Object.entries(src.data.queues ?? {}) as [string, ParsedQueue][]) {
      const base = ['queues', id] as const;
      const before = problems.length;
      const baseReq = compile(src, [...base, 'requires'], q.requires);
      const steps: QueueStep[] = baseReq ? [{ afterS: 0, requirement: baseReq }] : [];
      let last = 0;
      let overflowAt: number | undefined;
      (q.steps ?? []).forEach((s, i) => {
        const sp = [...base, 'steps', i] as const;
        if (overflowAt !== undefined) at(src, sp, `never reached: step ${overflowAt} already moves the call to another queue`);
        if (s.after <= last) at(src, [...sp, 'after'], `after must be greater than the previous step's (${last})`);
        last = Math.max(last, s.after);
        if (s.overflow !== undefined) {
          overflowAt ??= i;
          if (s.overflow === id) at(src, [...sp, 'overflow'], `overflows to its own queue "${id}"`);
          else if (!queueExists(s.overflow)) at(src, [...sp, 'overflow'], `unknown queue "${s.overflow}"${didYouMean(s.overflow, defined.queues.keys())}`);
          else steps.push({ afterS: s.after, overflowTo: s.overflow });
        } else if (s.requires !== undefined) {
          const r = compile(src, [...sp, 'requires'], s.requires);
          if (r) steps.push({ afterS: s.after, requirement: r });
        }
      });
      if (q.rankSkill !== undefined && !skills.has(q.rankSkill)) at(src, [...base, 'rankSkill'], `unknown skill "${q.rankSkill}"${didYouMean(q.rankSkill, skills)}`);
      const rankSkill = q.rankSkill ?? (q.strategy === 'most-skilled' ? baseReq?.skills[0] : undefined);
      if (q.strategy === 'most-skilled' && baseReq && rankSkill === undefined) at(src, [...base, 'strategy'], 'most-skilled needs rankSkill (requires reads no skill)');
      const maxWaiting = q.maxWaiting ? toExit(src, [...base, 'maxWaiting', 'exit'], id, q.maxWaiting.exit) : undefined;
      const maxWait = q.maxWait ? toExit(src, [...base, 'maxWait', 'exit'], id, q.maxWait.exit) : undefined;
      const whenNoAgents = q.whenNoAgents ? toExit(src, [...base, 'whenNoAgents'], id, q.whenNoAgents) : undefined;
      const ann = q.announcements ?? AnnouncementsSchema.parse({});
      if (ann.periodicPrompt !== undefined) prompts.push({ src, path: [...base, 'announcements', 'periodicPrompt'], name: ann.periodicPrompt });
      if (problems.length > before) continue;
      queues.set(id, {
        id,
        name: q.name ?? id,
        steps,
        strategy: q.strategy,
        ...(rankSkill !== undefined ? { rankSkill } : {}),
        ringTimeoutS: q.ringTimeout,
        wrapUpS: q.wrapUp,
        serviceLevel: { thresholdS: q.serviceLevel.threshold, targetPct: q.serviceLevel.target },
        ...(q.maxWaiting && maxWaiting ? { maxWaiting: { count: q.maxWaiting.count, exit: maxWaiting } } : {}),
        ...(q.maxWait && maxWait ? { maxWait: { seconds: q.maxWait.seconds, exit: maxWait } } : {}),
        ...(whenNoAgents ? { whenNoAgents } : {}),
        musicClass: q.music,
        announcements: {
          position: ann.position,
          estimatedWait: ann.estimatedWait,
          positionOnlyWhenImproved: ann.positionOnlyWhenImproved,
          firstAfterS: ann.firstAfter,
          everyS: ann.every,
          ...(ann.periodicPrompt !== undefined ? { periodicPrompt: ann.periodicPrompt } : {}),
        },
        maxMissedOffers: q.maxMissedOffers,
      });
    }
  }

  // Numbers
  const numbers = new Map<string, NumberRouteConfig>();
  for (const src of sources) {
    for (const [number, n] of Object.entries(src.data.numbers ?? {}) as [string, ParsedNumber][]) {
      const base = ['numbers', number] as const;
      const before = problems.length;
      const greeting = n.greeting ?? [];
      if (n.queue === undefined) {
        if (n.greeting === undefined) at(src, base, 'needs a greeting, a queue or both', true);
        else if (greeting.length === 0) at(src, [...base, 'greeting'], 'needs at least one prompt (or a queue)');
      } else if (!queueExists(n.queue)) at(src, [...base, 'queue'], `unknown queue "${n.queue}"${didYouMean(n.queue, defined.queues.keys())}`);
      greeting.forEach((name, i) => prompts.push({ src, path: [...base, 'greeting', i], name }));
      const lang = n.attributes.language;
      if (lang !== undefined) {
        if (typeof lang !== 'string') at(src, [...base, 'attributes', 'language'], 'language must be a language code like "en"');
        else checkLanguage(src, [...base, 'attributes', 'language'], lang);
      }
      if (problems.length > before) continue;
      numbers.set(number, { greeting: [...greeting], ...(n.queue !== undefined ? { queue: n.queue } : {}), priority: n.priority, attributes: { ...n.attributes } as CallAttributes });
    }
  }

  // Sounds
  if (options.soundsDir !== undefined && prompts.length > 0 && (await isDir(options.soundsDir))) {
    const langDir = path.join(options.soundsDir, DEFAULT_SOUND_LANGUAGE);
    const known = new Map<string, Promise<boolean>>();
    const exists = (name: string) => {
      let p = known.get(name);
      if (!p) {
        p = anyExists(SOUND_EXTENSIONS.map((ext) => path.join(langDir, `${name}.${ext}`)));
        known.set(name, p);
      }
      return p;
    };
    for (const p of prompts) {
      if (!(await exists(p.name))) at(p.src, p.path, `unknown sound "${p.name}" (no ${p.name}.{${SOUND_EXTENSIONS.join(',')}} in ${langDir})`);
    }
  }

  if (problems.length > 0) throw sorted(problems, files);
  return { numbers, skills, languages, pauseReasons, agents, queues, files };
}

function valueAt(raw: unknown, p: Path): unknown {
  let v = raw;
  for (const k of p) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Problems in file order, then by position. */
function sorted(problems: ConfigProblem[], files: string[]): ConfigError {
  const order = new Map(files.map((f, i) => [f, i]));
  problems.sort((a, b) => (order.get(a.file) ?? -1) - (order.get(b.file) ?? -1) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return new ConfigError(problems);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function anyExists(paths: string[]): Promise<boolean> {
  for (const p of paths) {
    try {
      await access(p);
      return true;
    } catch {
      // try the next extension
    }
  }
  return false;
}
