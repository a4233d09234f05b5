// The IVR's entries in the routing files: schedules (hours of operation), caller lists, lookups,
// destinations and flows (also published as JSON Schema: src/config/json-schema.ts,
// schema/routing.schema.json).
import { z } from 'zod';
import { attributeName, identifier, isHttpUrl, languageCode, positiveInt, positiveSeconds, soundName } from '../../platform/config/fields';
import { entriesKey, type SectionFile } from '../../platform/config/loader';
import { isPlainObject } from '../../platform/config/yaml-positions';

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

export type ParsedFlow = z.output<typeof FlowSchema>;
export type ParsedStep = z.output<typeof StepSchema>;
export type ParsedCondition = z.output<typeof ConditionSchema>;
export type ParsedSchedule = z.output<typeof ScheduleSchema>;

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

/** The top-level keys the IVR owns, in the order of the file schema. */
export const IVR_KEYS = {
  schedules: entriesKey(identifier, ScheduleSchema, { noun: 'schedule', description: 'Hours of operation, for flow branches' }),
  callerLists: entriesKey(identifier, CallerListSchema, { noun: 'caller list', description: 'Named lists of caller numbers, for flow branches' }),
  lookups: entriesKey(identifier, LookupSchema, { noun: 'lookup', description: 'HTTP lookups flows can call' }),
  destinations: entriesKey(identifier, DestinationSchema, { noun: 'destination', description: 'Endpoints a flow may dial (dial step), from configuration only' }),
  flows: entriesKey(identifier, FlowSchema, { noun: 'flow', description: 'IVR flows (numbers reach them with flow:)', salvage: salvageFlow }),
};

export type IvrFile = SectionFile<typeof IVR_KEYS>;
