// Routing files: YAML in a folder, several files merged, validated with zod, then checked across
// files (skills, languages, queues, expressions, sounds). Every error names the file, line, column
// and field path, so ops staff can fix it without guessing.
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document } from 'yaml';
import { z } from 'zod';
import { compileRequirement, didYouMean, ExpressionError } from '../acd/domain/expression';
import type { AgentProfile, CallAttributes, QueueConfig, QueueExit, QueueStep, Requirement, Strategy } from '../acd/domain/model';
import type { Condition, Destination, Digit, Flow, Lookup, Step } from '../ivr/domain/model';
import { isValidTimeZone, parseTimeRange, WEEKDAYS, type DayOverride, type Schedule, type TimeRange, type Weekday } from '../ivr/domain/schedule';

// ---------------------------------------------------------------------------------------------
// File schema (also published as JSON Schema: src/platform/config/json-schema.ts, schema/routing.schema.json)

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
  survey: z.string().optional().describe('A flow the caller enters when the agent hangs up first (post-call survey)'),
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

// ---------------------------------------------------------------------------------------------
// Hours of operation, caller lists, lookups and IVR flows

const timeRangeText = z.string({ error: 'must be a time range like "09:00-18:00"' });
const dayHours = z.array(timeRangeText).describe('Opening hours, e.g. ["09:00-13:00", "15:00-18:00"] (half-open, 00:00-24:00 is the whole day)');
// Checked once the file parses (isRealDate), so one bad date does not hide the schedule's other problems.
const dateText = z.string({ error: 'must be a date written YYYY-MM-DD' }).meta({ description: 'Local date, YYYY-MM-DD', pattern: '^\\d{4}-\\d{2}-\\d{2}$' });

export const ScheduleSchema = z.strictObject({
  timeZone: z.string().min(1).describe('IANA time zone, e.g. "Europe/Madrid"'),
  weekly: z
    .strictObject({
      mon: dayHours.optional(),
      tue: dayHours.optional(),
      wed: dayHours.optional(),
      thu: dayHours.optional(),
      fri: dayHours.optional(),
      sat: dayHours.optional(),
      sun: dayHours.optional(),
    })
    .default({})
    .describe('Opening hours by weekday (a missing day is closed)'),
  holidays: z
    .array(
      z.strictObject({
        date: dateText,
        name: z.string().min(1).optional(),
        hours: z.array(timeRangeText).default([]).describe('Open within these hours, "holiday" outside them; default [] (holiday all day)'),
      }),
    )
    .default([])
    .describe('Dates decided first: "holiday" (outside their hours, if any)'),
  exceptions: z
    .array(
      z.strictObject({
        date: dateText,
        name: z.string().min(1).optional(),
        hours: z.array(timeRangeText).describe('Replace the weekly hours of the date ([] = closed all day)'),
      }),
    )
    .default([])
    .describe('Special opening hours on a date'),
});

const callerNumber = z
  .string({ error: 'must be a caller number in quotes, like "+34600000001"' })
  .regex(/^\+?[0-9]{1,32}$/, 'must be a caller number: digits, optionally after "+"');

export const CallerListSchema = z.array(callerNumber).describe('Caller numbers as they arrive (digits, optional +)');

const isHttpUrl = (u: string): boolean => {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
};

export const DestinationSchema = z.strictObject({
  endpoint: z
    .string()
    .regex(/^(PJSIP|SIP|IAX2)\/[A-Za-z0-9_.@-]+$/, 'must be an Asterisk endpoint like "PJSIP/operator" or "PJSIP/+34910000000@trunk"')
    .describe('Dialled as configured: never built from caller input'),
  timeout: positiveSeconds('timeout').max(120, 'timeout must be at most 120 seconds').default(30).describe('Seconds to ring before the dial step fails'),
});

export const LookupSchema = z.strictObject({
  url: z
    .string()
    .regex(/^https?:\/\//i, { message: 'must be an http:// or https:// URL', abort: true })
    .refine(isHttpUrl, 'must be an http:// or https:// URL')
    .describe('Called with the sent variables: query string for GET, JSON body for POST'),
  method: z.enum(['GET', 'POST']).default('GET'),
  timeout: positiveSeconds('timeout').max(30, 'timeout must be at most 30 seconds').default(2).describe('Seconds before the lookup counts as failed'),
});

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a variable name of letters, digits and "_"');
const dtmfKey = z.string().regex(/^[0-9*#]$/, 'must be one key: 0-9, * or #');
const fieldPath = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a dotted path in the answer, like "customer.vip"');
const promptList = (what: string) => z.array(soundName).default([]).describe(what);
const retriesSchema = z
  .number({ error: 'retries must be a whole number' })
  .int('retries must be a whole number')
  .min(0, 'retries must be 0 or more')
  .default(2)
  .describe('Tries after the first (2: three chances in all)');
const wholeSeconds = (what: string) =>
  z.number({ error: `${what} must be a whole number of seconds` }).int(`${what} must be a whole number of seconds`).positive(`${what} must be at least 1 second`);
const priorityValue = z.number({ error: 'priority must be a whole number' }).int('priority must be a whole number');

export const MenuSchema = z.strictObject({
  prompt: promptList('Played while waiting for a key (a key interrupts it)'),
  options: z.record(dtmfKey, identifier).describe('Key → step'),
  timeout: positiveSeconds('timeout').default(5).describe('Seconds to wait for a key after the prompt'),
  retries: retriesSchema,
  invalid: promptList('Played after a key with no option, before the prompt again'),
  noInput: promptList('Played when no key came, before the prompt again'),
  onFail: identifier.describe('Step after the last failed try'),
});

export const CollectSchema = z.strictObject({
  prompt: promptList('Played while waiting for the first digit (a digit interrupts it)'),
  variable: variableName.describe('Call variable that receives the digits'),
  min: positiveInt('min').default(1).describe('Fewest digits'),
  max: positiveInt('max').describe('Most digits (the entry ends when they are typed)'),
  terminator: z.enum(['#', '*']).optional().describe('Key that ends the entry early'),
  timeout: positiveSeconds('timeout').default(5).describe('Seconds to wait for the first digit'),
  interDigitTimeout: positiveSeconds('interDigitTimeout').default(3).describe('Seconds to wait between digits'),
  pattern: z.string().min(1).optional().describe('Regular expression the whole entry must match'),
  sensitive: z.boolean().default(false).describe('Digits kept out of logs, storage and lookups; only <variable>_valid (and _last4) remain'),
  last4: z.boolean().default(false).describe('Sensitive entries: keep the last four digits as <variable>_last4'),
  retries: retriesSchema,
  invalid: promptList('Played after a bad entry, before the prompt again'),
  noInput: promptList('Played when nothing was typed, before the prompt again'),
  onFail: identifier.describe('Step after the last failed try'),
});

export const SetSchema = z.strictObject({
  language: languageCode.optional().describe("The call's language (prompts, call.language)"),
  languageFrom: variableName.optional().describe("The call's language from a variable (e.g. a lookup field); ignored unless it holds a language code"),
  vars: z
    .record(variableName, z.string({ error: 'a variable holds text: quote numbers and true/false' }))
    .default({})
    .describe('Call variables'),
  priority: priorityValue.optional().describe('Queue priority from now on'),
  attributes: z
    .record(attributeName, z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .describe('Call attributes (call.NAME in requirement expressions)'),
});

export const VoicemailSchema = z.strictObject({
  prompt: promptList('Played before recording'),
  mailbox: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(@[A-Za-z0-9_-]+)?$/, 'must be a mailbox like "general" or "1000@default"')
    .describe('Mailbox that receives the message'),
  maxSeconds: wholeSeconds('maxSeconds').default(120).describe('Longest message'),
  silenceSeconds: wholeSeconds('silenceSeconds').default(5).describe('Silence that ends the recording'),
});

export const HangupSchema = z
  .strictObject({ prompt: promptList('Played before hanging up') })
  .nullable()
  .describe('Hang up, optionally after prompts');

const CONDITION_KINDS = ['schedule', 'callerIn', 'var'] as const;
const CONDITION_KEYS: Record<(typeof CONDITION_KINDS)[number], readonly string[]> = { schedule: ['is'], callerIn: [], var: ['equals', 'matches', 'exists'] };

export const ConditionSchema = z
  .strictObject({
    schedule: identifier.optional().describe('True when the schedule is in the state "is"'),
    is: z.enum(['open', 'closed', 'holiday']).optional(),
    callerIn: identifier.optional().describe("True when the caller's number is in this caller list"),
    var: variableName.optional().describe('Tests a call variable with equals, matches and/or exists'),
    equals: z.string({ error: 'equals compares text: quote it, e.g. "true"' }).optional(),
    matches: z.string().min(1).optional().describe('Regular expression (found anywhere in the value)'),
    exists: z.boolean().optional(),
  })
  .meta({ id: 'FlowCondition', description: 'One of schedule (with is), callerIn, var', oneOf: CONDITION_KINDS.map((k) => ({ required: [k] })) })
  .superRefine((c, ctx) => {
    const kinds = CONDITION_KINDS.filter((k) => c[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `needs exactly one of ${CONDITION_KINDS.join(', ')}` });
      return;
    }
    const kind = kinds[0]!;
    for (const key of ['is', 'equals', 'matches', 'exists'] as const) {
      if (c[key] !== undefined && !CONDITION_KEYS[kind].includes(key)) ctx.addIssue({ code: 'custom', message: `"${key}" does not apply to a ${kind} condition`, path: [key] });
    }
    if (kind === 'schedule' && c.is === undefined) ctx.addIssue({ code: 'custom', message: 'a schedule condition needs "is": open, closed or holiday', path: ['is'] });
    if (kind === 'var' && c.equals === undefined && c.matches === undefined && c.exists === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a var condition needs equals, matches or exists' });
    }
  });

export const STEP_KINDS = ['play', 'menu', 'collect', 'lookup', 'branch', 'set', 'queue', 'transfer', 'dial', 'voicemail', 'hangup', 'goto'] as const;
type StepKind = (typeof STEP_KINDS)[number];
const STEP_EXTRA_KEYS = ['next', 'onFailure', 'send', 'fields', 'else', 'priority'] as const;
type StepExtraKey = (typeof STEP_EXTRA_KEYS)[number];
const STEP_KEYS: Record<StepKind, { required: readonly StepExtraKey[]; optional: readonly StepExtraKey[] }> = {
  play: { required: ['next'], optional: [] },
  menu: { required: [], optional: [] },
  collect: { required: ['next'], optional: [] },
  lookup: { required: ['next', 'onFailure'], optional: ['send', 'fields'] },
  branch: { required: ['else'], optional: [] },
  set: { required: ['next'], optional: [] },
  queue: { required: [], optional: ['priority'] },
  transfer: { required: [], optional: [] },
  dial: { required: ['onFailure'], optional: [] },
  voicemail: { required: [], optional: [] },
  hangup: { required: [], optional: [] },
  goto: { required: [], optional: [] },
};

export const StepSchema = z
  .strictObject({
    play: z.array(soundName).min(1, 'play needs at least one prompt').optional().describe('Play prompts, then go to next'),
    menu: MenuSchema.optional().describe('Play a prompt and branch on one key'),
    collect: CollectSchema.optional().describe('Collect digits into a variable, then go to next'),
    lookup: identifier.optional().describe('Ask a lookup (send → fields), then go to next (or onFailure)'),
    branch: z
      .array(z.strictObject({ if: ConditionSchema, then: identifier.describe('Step when the condition holds') }))
      .min(1, 'branch needs at least one rule')
      .optional()
      .describe('The first rule that holds decides; else when none does'),
    set: SetSchema.optional().describe('Set language, variables, priority or attributes, then go to next'),
    queue: identifier.optional().describe('Join this queue (the flow ends)'),
    transfer: identifier.optional().describe("Continue in another flow's start"),
    dial: identifier.optional().describe('Ring a configured destination and connect the caller (onFailure if it does not answer)'),
    voicemail: VoicemailSchema.optional().describe('Record a message for a mailbox, then hang up'),
    hangup: HangupSchema.optional(),
    goto: identifier.optional().describe('Go to another step'),
    next: identifier.optional().describe('Following step (play, collect, lookup, set)'),
    onFailure: identifier.optional().describe('lookup: step when the lookup fails or times out; dial: when the destination does not answer'),
    send: z.array(variableName).optional().describe('lookup: call variables sent'),
    fields: z.record(variableName, fieldPath).optional().describe('lookup: variable → dotted path in the JSON answer'),
    else: identifier.optional().describe('branch: step when no rule holds'),
    priority: priorityValue.optional().describe('queue: priority (default: the call\'s, 0 unless set)'),
  })
  .meta({ id: 'FlowStep', description: `Exactly one of ${STEP_KINDS.join(', ')}`, oneOf: STEP_KINDS.map((k) => ({ required: [k] })) })
  .superRefine((s, ctx) => {
    const kinds = STEP_KINDS.filter((k) => s[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: kinds.length === 0 ? `needs one of ${STEP_KINDS.join(', ')}` : `has ${kinds.join(' and ')}: a step does exactly one of them` });
      return;
    }
    const kind = kinds[0]!;
    const { required, optional } = STEP_KEYS[kind];
    for (const key of required) if (s[key] === undefined) ctx.addIssue({ code: 'custom', message: `a ${kind} step needs "${key}"`, path: [key] });
    for (const key of STEP_EXTRA_KEYS) {
      if (s[key] !== undefined && !required.includes(key) && !optional.includes(key)) ctx.addIssue({ code: 'custom', message: `"${key}" does not apply to a ${kind} step`, path: [key] });
    }
  });

export const FlowSchema = z.strictObject({
  start: identifier.describe('The first step'),
  language: languageCode.default('en').describe("The call's language at the start (prompts play in it, falling back to en)"),
  steps: z.record(identifier, StepSchema).describe('Step name → step'),
});

export const RoutingFileSchema = z
  .strictObject({
    skills: z.array(identifier).optional().describe('Skill catalog (merged across files)'),
    languages: z.array(languageCode).optional().describe('Language catalog (merged across files)'),
    pauseReasons: z.record(identifier, PauseReasonSchema).optional().describe('Pause reason code → label ("no-answer" is built in)'),
    agents: z.record(identifier, AgentSchema).optional(),
    queues: z.record(identifier, QueueSchema).optional(),
    numbers: z.record(dialledNumber, NumberRouteSchema).optional().describe('Dialled number → route'),
    schedules: z.record(identifier, ScheduleSchema).optional().describe('Hours of operation, for flow branches'),
    callerLists: z.record(identifier, CallerListSchema).optional().describe('Named lists of caller numbers, for flow branches'),
    lookups: z.record(identifier, LookupSchema).optional().describe('HTTP lookups flows can call'),
    destinations: z.record(identifier, DestinationSchema).optional().describe('Endpoints a flow may dial (dial step), from configuration only'),
    flows: z.record(identifier, FlowSchema).optional().describe('IVR flows (numbers reach them with flow:)'),
  })
  .meta({ title: 'Switchboard routing file', description: 'One file of a Switchboard routing folder (all *.yaml files are merged).' });

type ParsedFile = z.output<typeof RoutingFileSchema>;
type ParsedAgent = z.output<typeof AgentSchema>;
type ParsedQueue = z.output<typeof QueueSchema>;
type ParsedNumber = z.output<typeof NumberRouteSchema>;
type ParsedExit = z.output<typeof QueueExitSchema>;
type ParsedFlow = z.output<typeof FlowSchema>;
type ParsedStep = z.output<typeof StepSchema>;
type ParsedCondition = z.output<typeof ConditionSchema>;
type ParsedSchedule = z.output<typeof ScheduleSchema>;
type ParsedLookup = z.output<typeof LookupSchema>;
type ParsedDestination = z.output<typeof DestinationSchema>;

// ---------------------------------------------------------------------------------------------
// Output

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
  flows: ReadonlyMap<string, Flow>;
  lookups: ReadonlyMap<string, Lookup>;
  destinations: ReadonlyMap<string, Destination>;
  /** List name → caller numbers as they arrive. */
  callerLists: ReadonlyMap<string, ReadonlySet<string>>;
  schedules: ReadonlyMap<string, Schedule>;
  files: string[];
}

export interface LoadOptions {
  /**
   * Asterisk's sounds folder; when given and present, every prompt must exist in its "en" folder
   * (flow prompts: in the folder of each language the call may have there, or in "en").
   */
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

/**
 * The node at `at`, matching map keys by their text (YAML reads `1:` as the number 1, while paths
 * hold the string "1"); undefined when there is none.
 */
function nodeAt(doc: Document, at: Path): unknown {
  let node: unknown = doc.contents;
  for (const k of at) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(k));
      if (!pair) return undefined;
      node = pair.value;
    } else if (isSeq(node)) node = node.items[Number(k)];
    else return undefined;
  }
  return node;
}

/** Position of the node at `at` (or of its nearest existing parent) in the document; map entries by their key. */
function locate(doc: Document, lc: LineCounter, at: Path): { line: number; column: number } | undefined {
  for (let n = at.length; n >= 0; n--) {
    const keys = at.slice(0, n);
    const node = nodeAt(doc, keys);
    // For map entries prefer the key's position: it is what the reader looks for.
    if (n > 0) {
      const parent = nodeAt(doc, keys.slice(0, -1));
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
  const node = nodeAt(doc, at);
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

type Section = 'agents' | 'queues' | 'numbers' | 'pauseReasons' | 'schedules' | 'callerLists' | 'lookups' | 'destinations' | 'flows';
const SECTIONS: readonly Section[] = ['pauseReasons', 'agents', 'queues', 'numbers', 'schedules', 'callerLists', 'lookups', 'destinations', 'flows'];
const SECTION_NOUN: Record<Section, string> = {
  agents: 'agent',
  queues: 'queue',
  numbers: 'number',
  pauseReasons: 'pause reason',
  schedules: 'schedule',
  callerLists: 'caller list',
  lookups: 'lookup',
  destinations: 'destination',
  flows: 'flow',
};
const ENTRY_SCHEMA = {
  agents: AgentSchema,
  queues: QueueSchema,
  numbers: NumberRouteSchema,
  pauseReasons: PauseReasonSchema,
  schedules: ScheduleSchema,
  callerLists: CallerListSchema,
  lookups: LookupSchema,
  destinations: DestinationSchema,
  flows: FlowSchema,
} as const;
const KEY_SCHEMA = { agents: identifier, queues: identifier, numbers: dialledNumber, pauseReasons: identifier, schedules: identifier, callerLists: identifier, lookups: identifier, destinations: identifier, flows: identifier } as const;

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
  for (const section of SECTIONS) {
    const entries = raw[section];
    if (!isPlainObject(entries)) continue;
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entries)) {
      if (!KEY_SCHEMA[section].safeParse(key).success) continue;
      const r = ENTRY_SCHEMA[section].safeParse(value);
      if (r.success) kept[key] = r.data;
      else if (section === 'flows') {
        const flow = salvageFlow(value);
        if (flow) kept[key] = flow;
      }
    }
    out[section] = kept;
  }
  return out as Partial<ParsedFile>;
}

/** A flow with broken steps: keep the steps that validate, so references and the rest are still checked. */
function salvageFlow(raw: unknown): ParsedFlow | undefined {
  if (!isPlainObject(raw)) return undefined;
  const start = identifier.safeParse(raw.start);
  const language = languageCode.default('en').safeParse(raw.language);
  if (!start.success || !language.success || !isPlainObject(raw.steps)) return undefined;
  const steps: Record<string, ParsedStep> = {};
  for (const [name, value] of Object.entries(raw.steps)) {
    const r = StepSchema.safeParse(value);
    if (r.success && identifier.safeParse(name).success) steps[name] = r.data;
  }
  return { start: start.data, language: language.data, steps };
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
  const defined = Object.fromEntries(SECTIONS.map((s) => [s, new Map<string, string>()])) as Record<Section, Map<string, string>>;
  for (const src of sources) {
    const raw = src.raw;
    if (!isPlainObject(raw)) continue;
    for (const section of SECTIONS) {
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

  /** Every prompt to check against the sounds folder; flow prompts name their step (`flow\0step`) for its languages. */
  const prompts: { src: Source; path: Path; name: string; flowStep?: string }[] = [];

  const checkLanguage = (src: Source, p: Path, lang: string): void => {
    if (!languages.has(lang)) at(src, p, `unknown language "${lang}"${languages.size ? ` (known: ${[...languages].join(', ')})` : ' (the languages list is empty)'}`);
  };

  const compile = (src: Source, p: Path, source: string): Requirement | undefined => {
    try {
      return compileRequirement(source, { skills, languages });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      const node = nodeAt(src.doc, p);
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
      if (q.survey !== undefined && !defined.flows.has(q.survey)) at(src, [...base, 'survey'], `unknown flow "${q.survey}"${didYouMean(q.survey, defined.flows.keys())}`);
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
        ...(q.survey !== undefined ? { survey: q.survey } : {}),
      });
    }
  }

  // Schedules
  const schedules = new Map<string, Schedule>();
  for (const src of sources) {
    for (const [id, sc] of Object.entries(src.data.schedules ?? {}) as [string, ParsedSchedule][]) {
      const base = ['schedules', id] as const;
      const before = problems.length;
      if (!isValidTimeZone(sc.timeZone)) at(src, [...base, 'timeZone'], `unknown time zone "${sc.timeZone}" (use an IANA name like "Europe/Madrid")`);
      const ranges = (p: Path, texts: readonly string[]): TimeRange[] => {
        const parsed: { range: TimeRange; text: string; i: number }[] = [];
        texts.forEach((text, i) => {
          try {
            parsed.push({ range: parseTimeRange(text), text, i });
          } catch (err) {
            at(src, [...p, i], (err as Error).message);
          }
        });
        // Overlapping ranges are a typo (a range that should have ended earlier), never intended.
        let latest: (typeof parsed)[number] | undefined;
        for (const r of [...parsed].sort((a, b) => a.range.from - b.range.from || a.i - b.i)) {
          if (latest && r.range.from < latest.range.to) at(src, [...p, r.i], `"${r.text}" overlaps "${latest.text}"`);
          if (!latest || r.range.to > latest.range.to) latest = r;
        }
        return parsed.map((r) => r.range);
      };
      const weekly: Partial<Record<Weekday, TimeRange[]>> = {};
      for (const day of WEEKDAYS) {
        const texts = sc.weekly[day];
        if (texts) weekly[day] = ranges([...base, 'weekly', day], texts);
      }
      const overrides = (kind: 'holidays' | 'exceptions'): DayOverride[] =>
        sc[kind].map((o, i) => {
          if (!isRealDate(o.date)) at(src, [...base, kind, i, 'date'], `"${o.date}" is not a date written YYYY-MM-DD`);
          return { date: o.date, ...(o.name !== undefined ? { name: o.name } : {}), hours: ranges([...base, kind, i, 'hours'], o.hours) };
        });
      const holidays = overrides('holidays');
      const exceptions = overrides('exceptions');
      if (problems.length > before) continue;
      schedules.set(id, { id, timeZone: sc.timeZone, weekly, holidays, exceptions });
    }
  }

  // Caller lists and lookups
  const callerLists = new Map<string, ReadonlySet<string>>();
  for (const src of sources) for (const [id, list] of Object.entries(src.data.callerLists ?? {})) callerLists.set(id, new Set(list));
  const lookups = new Map<string, Lookup>();
  const destinations = new Map<string, Destination>();
  for (const src of sources) {
    for (const [id, l] of Object.entries(src.data.lookups ?? {}) as [string, ParsedLookup][]) lookups.set(id, { id, url: l.url, method: l.method, timeoutS: l.timeout });
    for (const [id, d] of Object.entries(src.data.destinations ?? {}) as [string, ParsedDestination][]) destinations.set(id, { id, endpoint: d.endpoint, timeoutS: d.timeout });
  }

  // Flows
  const flows = new Map<string, Flow>();
  const drafts = new Map<string, FlowDraft>();
  /** Sensitive collects (variable → where), and where variables are sent or tested. */
  const sensitiveVars = new Map<string, string>();
  const varUses: { src: Source; path: Path; name: string; use: 'send' | 'test' }[] = [];
  const catalogLanguage = (src: Source, p: Path, lang: string): void => {
    // Flows may name a language when no catalog is defined; with one, it must be in it.
    if (languages.size > 0) checkLanguage(src, p, lang);
  };
  const checkPattern = (src: Source, p: Path, pattern: string, wrap: boolean): void => {
    try {
      new RegExp(pattern);
      if (wrap) new RegExp(`^(?:${pattern})$`);
    } catch (err) {
      const k = regexErrorOffset(pattern);
      const offset = offsetInScalar(src.text, nodeAt(src.doc, p), k);
      const pos = offset !== undefined ? toPos(src.lc, offset) : locateValue(src.doc, src.lc, p);
      const detail = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      const where = k >= pattern.length ? 'at the end' : `at character ${k + 1}`;
      problems.push({ file: src.file, line: pos?.line, column: pos?.column, field: p.map(String).join('.'), message: `invalid pattern: ${detail} (in "${pattern}" ${where})` });
    }
  };
  for (const src of sources) {
    for (const [id, f] of Object.entries(src.data.flows ?? {}) as [string, ParsedFlow][]) {
      const base = ['flows', id] as const;
      // Every step the file names counts as defined, also one that failed validation (reported
      // already): references to it are not reported again.
      const rawSteps = valueAt(src.raw, [...base, 'steps']);
      const stepNames = new Set(isPlainObject(rawSteps) ? Object.keys(rawSteps) : Object.keys(f.steps));
      const partial = [...stepNames].some((n) => !(n in f.steps));
      const draft: FlowDraft = { src, id, start: f.start, language: f.language, partial, steps: new Map(), edges: new Map() };
      drafts.set(id, draft);
      const unknownStep = (p: Path, to: string): void => at(src, p, `unknown step "${to}" in flow "${id}"${didYouMean(to, stepNames)}`);
      if (!stepNames.has(f.start)) unknownStep([...base, 'start'], f.start);
      catalogLanguage(src, [...base, 'language'], f.language);

      for (const [name, s] of Object.entries(f.steps) as [string, ParsedStep][]) {
        const sp = [...base, 'steps', name] as const;
        const edges: Edge[] = [];
        const edge = (p: Path, to: string): string => {
          if (stepNames.has(to)) edges.push({ to, path: p });
          else unknownStep(p, to);
          return to;
        };
        const promptsAt = (p: Path, names: readonly string[]): string[] => {
          names.forEach((n, i) => prompts.push({ src, path: [...p, i], name: n, flowStep: `${id}\0${name}` }));
          return [...names];
        };
        const refTo = (p: Path, section: 'queues' | 'lookups' | 'destinations' | 'schedules' | 'callerLists' | 'flows', ref: string): void => {
          if (!defined[section].has(ref)) at(src, p, `unknown ${SECTION_NOUN[section]} "${ref}"${didYouMean(ref, defined[section].keys())}`);
        };
        let step: Step | undefined;
        if (s.play !== undefined) {
          step = { kind: 'play', prompts: promptsAt([...sp, 'play'], s.play), next: edge([...sp, 'next'], s.next!) };
        } else if (s.menu !== undefined) {
          const m = s.menu;
          const mp = [...sp, 'menu'] as const;
          const options: Partial<Record<Digit, string>> = {};
          for (const [key, to] of Object.entries(m.options)) options[key as Digit] = edge([...mp, 'options', key], to);
          if (Object.keys(m.options).length === 0) at(src, [...mp, 'options'], 'a menu needs at least one option');
          step = {
            kind: 'menu',
            prompts: promptsAt([...mp, 'prompt'], m.prompt),
            options,
            timeoutS: m.timeout,
            retries: m.retries,
            invalidPrompts: promptsAt([...mp, 'invalid'], m.invalid),
            noInputPrompts: promptsAt([...mp, 'noInput'], m.noInput),
            onFail: edge([...mp, 'onFail'], m.onFail),
          };
        } else if (s.collect !== undefined) {
          const c = s.collect;
          const cp = [...sp, 'collect'] as const;
          if (c.min > c.max) at(src, [...cp, 'min'], `min (${c.min}) is more than max (${c.max})`);
          if (c.pattern !== undefined) checkPattern(src, [...cp, 'pattern'], c.pattern, true);
          if (c.last4 && !c.sensitive) at(src, [...cp, 'last4'], 'last4 only applies to a sensitive collect (the variable holds every digit otherwise)');
          if (c.sensitive && !sensitiveVars.has(c.variable)) sensitiveVars.set(c.variable, `step "${name}" of flow "${id}"`);
          step = {
            kind: 'collect',
            prompts: promptsAt([...cp, 'prompt'], c.prompt),
            variable: c.variable,
            minDigits: c.min,
            maxDigits: c.max,
            ...(c.terminator !== undefined ? { terminator: c.terminator } : {}),
            timeoutS: c.timeout,
            interDigitTimeoutS: c.interDigitTimeout,
            ...(c.pattern !== undefined ? { pattern: c.pattern } : {}),
            sensitive: c.sensitive,
            derive: { last4: c.last4 },
            next: edge([...sp, 'next'], s.next!),
            retries: c.retries,
            invalidPrompts: promptsAt([...cp, 'invalid'], c.invalid),
            noInputPrompts: promptsAt([...cp, 'noInput'], c.noInput),
            onFail: edge([...cp, 'onFail'], c.onFail),
          };
        } else if (s.lookup !== undefined) {
          refTo([...sp, 'lookup'], 'lookups', s.lookup);
          const send = s.send ?? [];
          send.forEach((v, i) => varUses.push({ src, path: [...sp, 'send', i], name: v, use: 'send' }));
          step = { kind: 'lookup', lookup: s.lookup, send: [...send], fields: { ...(s.fields ?? {}) }, next: edge([...sp, 'next'], s.next!), onFailure: edge([...sp, 'onFailure'], s.onFailure!) };
        } else if (s.branch !== undefined) {
          const when = s.branch.map((rule, i) => {
            const rp = [...sp, 'branch', i] as const;
            const condition = toCondition(rule.if);
            if (condition.kind === 'schedule') refTo([...rp, 'if', 'schedule'], 'schedules', condition.schedule);
            else if (condition.kind === 'callerIn') refTo([...rp, 'if', 'callerIn'], 'callerLists', condition.list);
            else {
              varUses.push({ src, path: [...rp, 'if', 'var'], name: condition.name, use: 'test' });
              if (condition.matches !== undefined) checkPattern(src, [...rp, 'if', 'matches'], condition.matches, false);
            }
            return { condition, next: edge([...rp, 'then'], rule.then) };
          });
          step = { kind: 'branch', when, otherwise: edge([...sp, 'else'], s.else!) };
        } else if (s.set !== undefined) {
          const st = s.set;
          if (st.language !== undefined) catalogLanguage(src, [...sp, 'set', 'language'], st.language);
          // The queue step sends the call's language as call.language: set it with set.language.
          if ('language' in st.attributes) at(src, [...sp, 'set', 'attributes', 'language'], 'the call\'s language is set with set.language, not as an attribute');
          step = {
            kind: 'set',
            ...(st.language !== undefined ? { language: st.language } : {}),
            ...(st.languageFrom !== undefined ? { languageFrom: st.languageFrom } : {}),
            vars: { ...st.vars },
            ...(st.priority !== undefined ? { priority: st.priority } : {}),
            attributes: { ...st.attributes },
            next: edge([...sp, 'next'], s.next!),
          };
        } else if (s.queue !== undefined) {
          refTo([...sp, 'queue'], 'queues', s.queue);
          step = { kind: 'queue', queue: s.queue, ...(s.priority !== undefined ? { priority: s.priority } : {}) };
        } else if (s.transfer !== undefined) {
          refTo([...sp, 'transfer'], 'flows', s.transfer);
          step = { kind: 'transfer', flow: s.transfer };
        } else if (s.dial !== undefined) {
          refTo([...sp, 'dial'], 'destinations', s.dial);
          step = { kind: 'dial', destination: s.dial, onFailure: edge([...sp, 'onFailure'], s.onFailure!) };
        } else if (s.voicemail !== undefined) {
          const v = s.voicemail;
          step = { kind: 'voicemail', prompts: promptsAt([...sp, 'voicemail', 'prompt'], v.prompt), mailbox: v.mailbox, maxSeconds: v.maxSeconds, silenceSeconds: v.silenceSeconds };
        } else if (s.hangup !== undefined) {
          step = { kind: 'hangup', prompts: promptsAt([...sp, 'hangup', 'prompt'], s.hangup?.prompt ?? []) };
        } else if (s.goto !== undefined) {
          step = { kind: 'goto', next: edge([...sp, 'goto'], s.goto) };
        }
        if (!step) continue; // cannot happen: the schema requires one kind
        draft.steps.set(name, step);
        draft.edges.set(name, edges);
      }
      if (!stepNames.has(f.start)) draft.partial = true;
      flows.set(id, { id, start: f.start, language: f.language, steps: draft.steps });
    }
  }

  // Sensitive digits never leave the call, and only what is derived from them can be tested.
  for (const u of varUses) {
    const where = sensitiveVars.get(u.name);
    if (where === undefined) continue;
    if (u.use === 'send') at(u.src, u.path, `"${u.name}" is collected as sensitive (${where}): sensitive digits are never sent; send ${u.name}_valid or ${u.name}_last4`);
    else at(u.src, u.path, `"${u.name}" is collected as sensitive (${where}) and never kept: test ${u.name}_valid or ${u.name}_last4`);
  }

  // Every step can be reached from the start (a step nobody reaches is a typo in a reference).
  for (const d of drafts.values()) {
    if (d.partial) continue; // broken references or steps: already reported
    const seen = new Set<string>([d.start]);
    const pending = [d.start];
    while (pending.length > 0) {
      for (const e of d.edges.get(pending.pop()!) ?? []) {
        if (!seen.has(e.to)) {
          seen.add(e.to);
          pending.push(e.to);
        }
      }
    }
    for (const name of d.steps.keys()) if (!seen.has(name)) at(d.src, ['flows', d.id, 'steps', name], `never reached from start "${d.start}"`, true);
  }

  // Loops that never wait for the caller: a cycle of steps that complete at once (branch, set,
  // goto, transfer) would spin until the engine's hop limit cuts the call.
  {
    const INSTANT = new Set<Step['kind']>(['branch', 'set', 'goto', 'transfer']);
    const node = (flow: string, step: string) => `${flow}\0${step}`;
    const instantEdges = new Map<string, { to: string; src: Source; path: Path }[]>();
    for (const d of drafts.values()) {
      for (const [name, step] of d.steps) {
        if (!INSTANT.has(step.kind)) continue;
        const out: { to: string; src: Source; path: Path }[] = [];
        if (step.kind === 'transfer') {
          const target = drafts.get(step.flow);
          if (target?.steps.has(target.start)) out.push({ to: node(target.id, target.start), src: d.src, path: ['flows', d.id, 'steps', name, 'transfer'] });
        } else for (const e of d.edges.get(name) ?? []) out.push({ to: node(d.id, e.to), src: d.src, path: e.path });
        instantEdges.set(node(d.id, name), out.filter((e) => {
          const [flow, step] = e.to.split('\0') as [string, string];
          const k = drafts.get(flow)?.steps.get(step)?.kind;
          return k !== undefined && INSTANT.has(k);
        }));
      }
    }
    const state = new Map<string, 'open' | 'done'>();
    const trail: string[] = [];
    const reportedLoops = new Set<string>();
    const visit = (n: string): void => {
      state.set(n, 'open');
      trail.push(n);
      for (const e of instantEdges.get(n) ?? []) {
        const st = state.get(e.to);
        if (st === undefined) visit(e.to);
        else if (st === 'open') {
          const cycle = [...trail.slice(trail.indexOf(e.to)), e.to];
          // One report per loop, at the first reference found that closes it.
          const loopKey = cycle.slice(1).sort().join('\n');
          if (reportedLoops.has(loopKey)) continue;
          reportedLoops.add(loopKey);
          const flowsIn = new Set(cycle.map((c) => c.split('\0')[0]));
          const label = (c: string) => (flowsIn.size === 1 ? c.split('\0')[1]! : c.replace('\0', ':'));
          at(e.src, e.path, `loops back to "${label(e.to)}" without waiting for the caller: ${cycle.map(label).join(' → ')}`);
        }
      }
      trail.pop();
      state.set(n, 'done');
    };
    for (const n of instantEdges.keys()) if (!state.has(n)) visit(n);
  }

  // The languages a call may have at each step: the flow's at its start, changed by set steps,
  // kept across transfers. Prompts are looked up in each of them (falling back to en).
  const stepLanguages = new Map<string, Set<string>>();
  {
    const pending: [string, string, string][] = [...drafts.values()].map((d) => [d.id, d.start, d.language]);
    while (pending.length > 0) {
      const [flow, name, lang] = pending.pop()!;
      const key = `${flow}\0${name}`;
      const langs = stepLanguages.get(key) ?? new Set<string>();
      if (langs.has(lang)) continue;
      langs.add(lang);
      stepLanguages.set(key, langs);
      const d = drafts.get(flow);
      const step = d?.steps.get(name);
      if (!d || !step) continue;
      const after = step.kind === 'set' && step.language !== undefined ? step.language : lang;
      for (const e of d.edges.get(name) ?? []) pending.push([flow, e.to, after]);
      if (step.kind === 'transfer') {
        const target = drafts.get(step.flow);
        if (target) pending.push([target.id, target.start, lang]);
      }
    }
  }

  // Numbers
  const numbers = new Map<string, NumberRouteConfig>();
  for (const src of sources) {
    for (const [number, n] of Object.entries(src.data.numbers ?? {}) as [string, ParsedNumber][]) {
      const base = ['numbers', number] as const;
      const before = problems.length;
      const greeting = n.greeting ?? [];
      if (n.flow !== undefined) {
        if (!defined.flows.has(n.flow)) at(src, [...base, 'flow'], `unknown flow "${n.flow}"${didYouMean(n.flow, defined.flows.keys())}`);
        // A flow does it all: its own prompts, queue, priority and attributes (set steps).
        for (const key of ['greeting', 'queue', 'priority', 'attributes'] as const) {
          if (valueAt(src.raw, [...base, key]) !== undefined) at(src, [...base, key], `a number with a flow has no ${key} (the flow decides it)`, true);
        }
        if (n.language !== undefined) checkLanguage(src, [...base, 'language'], n.language);
        if (problems.length > before) continue;
        numbers.set(number, { greeting: [], flow: n.flow, priority: 0, attributes: {}, ...(n.language !== undefined ? { language: n.language } : {}) });
        continue;
      }
      if (n.queue === undefined) {
        if (n.greeting === undefined) at(src, base, 'needs a flow, a queue or a greeting', true);
        else if (greeting.length === 0) at(src, [...base, 'greeting'], 'needs at least one prompt (or a queue)');
      } else if (!queueExists(n.queue)) at(src, [...base, 'queue'], `unknown queue "${n.queue}"${didYouMean(n.queue, defined.queues.keys())}`);
      greeting.forEach((name, i) => prompts.push({ src, path: [...base, 'greeting', i], name }));
      const lang = n.attributes.language;
      if (lang !== undefined) {
        if (typeof lang !== 'string') at(src, [...base, 'attributes', 'language'], 'language must be a language code like "en"');
        else checkLanguage(src, [...base, 'attributes', 'language'], lang);
      }
      if (problems.length > before) continue;
      if (n.language !== undefined) checkLanguage(src, [...base, 'language'], n.language);
      // A number's language reaches the queue as call.language (an explicit attribute wins).
      const attributes = { ...(n.language !== undefined ? { language: n.language } : {}), ...n.attributes } as CallAttributes;
      numbers.set(number, { greeting: [...greeting], ...(n.queue !== undefined ? { queue: n.queue } : {}), priority: n.priority, attributes, ...(n.language !== undefined ? { language: n.language } : {}) });
    }
  }

  // Sounds: a prompt plays in the call's language, else in en (Asterisk's fallback).
  if (options.soundsDir !== undefined && prompts.length > 0 && (await isDir(options.soundsDir))) {
    const soundsDir = options.soundsDir;
    const known = new Map<string, Promise<boolean>>();
    const exists = (lang: string, name: string) => {
      const key = `${lang}/${name}`;
      let p = known.get(key);
      if (!p) {
        p = anyExists(SOUND_EXTENSIONS.map((ext) => path.join(soundsDir, lang, `${name}.${ext}`)));
        known.set(key, p);
      }
      return p;
    };
    for (const p of prompts) {
      const flow = p.flowStep !== undefined ? drafts.get(p.flowStep.split('\0')[0]!) : undefined;
      const langs = p.flowStep !== undefined ? [...(stepLanguages.get(p.flowStep) ?? [flow?.language ?? DEFAULT_SOUND_LANGUAGE])] : [DEFAULT_SOUND_LANGUAGE];
      if (await exists(DEFAULT_SOUND_LANGUAGE, p.name)) continue;
      const missing: string[] = [];
      for (const lang of langs) if (lang === DEFAULT_SOUND_LANGUAGE || !(await exists(lang, p.name))) missing.push(lang);
      if (missing.length === 0) continue;
      const looked = [...new Set([...missing, DEFAULT_SOUND_LANGUAGE])].map((l) => path.join(soundsDir, l));
      at(p.src, p.path, `unknown sound "${p.name}" (no ${p.name}.{${SOUND_EXTENSIONS.join(',')}} in ${looked.join(' or ')})`);
    }
  }

  if (problems.length > 0) throw sorted(problems, files);
  return { numbers, skills, languages, pauseReasons, agents, queues, flows, lookups, destinations, callerLists, schedules, files };
}

interface Edge {
  to: string;
  path: Path;
}

/** A flow while it is checked: its compiled steps and the step references each one makes. */
interface FlowDraft {
  src: Source;
  id: string;
  start: string;
  language: string;
  /** Some step failed validation or a reference is broken: graph checks would only add noise. */
  partial: boolean;
  steps: Map<string, Step>;
  edges: Map<string, Edge[]>;
}

function toCondition(c: ParsedCondition): Condition {
  if (c.schedule !== undefined) return { kind: 'schedule', schedule: c.schedule, is: c.is ?? 'open' };
  if (c.callerIn !== undefined) return { kind: 'callerIn', list: c.callerIn };
  return {
    kind: 'var',
    name: c.var ?? '',
    ...(c.equals !== undefined ? { equals: c.equals } : {}),
    ...(c.matches !== undefined ? { matches: c.matches } : {}),
    ...(c.exists !== undefined ? { exists: c.exists } : {}),
  };
}

/** A real calendar date written YYYY-MM-DD. */
function isRealDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/**
 * Where a regular expression goes wrong, as a character offset: the longest prefix that can still
 * be completed (by closing open groups and classes) ends where the problem is; the length of the
 * pattern means "at the end" (something left open).
 */
export function regexErrorOffset(pattern: string): number {
  for (let k = pattern.length; k > 0; k--) if (completable(pattern.slice(0, k))) return k;
  return 0;
}

function completable(prefix: string): boolean {
  let open = 0;
  let inClass = false;
  for (let i = 0; i < prefix.length; i++) {
    const ch = prefix[i];
    if (ch === '\\') {
      if (i === prefix.length - 1) return false;
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') inClass = true;
    else if (ch === '(') open++;
    else if (ch === ')') open--;
  }
  try {
    new RegExp(prefix + (inClass ? ']' : '') + ')'.repeat(Math.max(0, open)));
    return true;
  } catch {
    return false;
  }
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
