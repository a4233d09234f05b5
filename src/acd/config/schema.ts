// The ACD's entries in the routing files: agents, queues and pause reasons (also published as
// JSON Schema: src/config/json-schema.ts, schema/routing.schema.json).
import { z } from 'zod';
import { asteriskEndpoint, dialPattern, exactlyOne, trunkName, identifier, languageCode, nonNegativeSeconds, positiveInt, positiveSeconds, soundName } from '../../platform/config/fields';
import { entriesKey, listKey, type SectionFile } from '../../platform/config/loader';
import type { Strategy } from '../domain/model';
import { CallbackSettingsSchema } from '../../callbacks';

const proficiency = z
  .number({ error: 'proficiency must be a whole number from 1 to 10' })
  .int('proficiency must be a whole number from 1 to 10')
  .min(1, 'proficiency must be a whole number from 1 to 10')
  .max(10, 'proficiency must be a whole number from 1 to 10');

export const STRATEGIES = ['longest-idle', 'most-skilled', 'fewest-calls', 'least-talk-time', 'round-robin', 'random', 'ring-all'] as const satisfies readonly Strategy[];

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
      shortAbandon: nonNegativeSeconds('shortAbandon').default(5).describe('Callers who hang up within fewer seconds are short abandons (statistics)'),
      formula: z.enum(['sl1', 'sl2', 'sl3']).default('sl1').describe('The service level the statistics headline: sl1 answered within / answered; sl2 (answered + abandoned within) / (answered + abandoned); sl3 answered within / (offered - short abandons)'),
    })
    .default({ threshold: 20, target: 80, shortAbandon: 5, formula: 'sl1' }),
  preferredAgent: z
    .strictObject({
      window: positiveSeconds('window').max(600, 'window must be at most 600 seconds').default(30).describe('Seconds the preferred agent has the call to themselves'),
      lastAgent: z.boolean().default(true).describe("Prefer the caller's last agent (else only an agent the flow names in the preferredAgent attribute, e.g. from a lookup)"),
    })
    .optional()
    .describe("A caller's preferred agent (the flow's preferredAgent attribute, or the last agent who took their call) gets the call first, for a window, when eligible and free"),
  repeatWindow: z
    .number({ error: 'repeatWindow must be a number of hours' })
    .positive('repeatWindow must be more than 0 hours')
    .max(720, 'repeatWindow must be at most 720 hours')
    .default(72)
    .describe('Hours after a handled call within which a new call from the same number is a repeat contact (first-contact resolution, docs/statistics.md)'),
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
  assistFlows: z
    .array(z.string())
    .optional()
    .describe("Flows an agent may send a connected caller to and get them back from (a payment IVR: POST /api/v1/calls/{id}/assist); the flow's end returns the caller to the agent"),
  requireDisposition: z.boolean().default(false).describe("Agents record each call's disposition before they leave wrap-up (POST /api/v1/calls/{id}/disposition)"),
  recording: z
    .strictObject({
      format: z.enum(['wav', 'gsm', 'ulaw', 'alaw']).default('wav').describe("Asterisk's file format"),
      retention: positiveInt('retention').max(3650, 'retention must be at most 3650 days').default(90).describe('Days a recording is kept, then deleted'),
      pauseOnHold: z.boolean().default(true).describe('Pause while the caller is on hold (false: the agent side goes on being recorded)'),
    })
    .optional()
    .describe("Record the queue's connected calls (caller and agent mixed), paused while the caller is on hold (docs/recordings.md)"),
  callback: CallbackSettingsSchema.optional(),
});

export const AgentSchema = z.strictObject({
  name: z.string().min(1).optional().describe('Display name (default: the agent id)'),
  endpoint: asteriskEndpoint.describe('Asterisk endpoint the agent is called on'),
  skills: z.record(identifier, proficiency).default({}).describe('Skill name → proficiency 1..10'),
  languages: z.array(languageCode).default([]).describe('Languages the agent speaks'),
  wrapUp: nonNegativeSeconds('wrapUp').optional().describe("Wrap-up seconds, overriding the queue's"),
  maxMissedOffers: positiveInt('maxMissedOffers').optional().describe("Overrides the queue's maxMissedOffers"),
  autoLogin: z.boolean().default(false).describe('Logged in when the phone registers, out when it unregisters'),
  outbound: z
    .strictObject({
      trunk: trunkName.describe('Outbound trunk: the number is dialled as PJSIP/<number>@<trunk>'),
      numberPattern: dialPattern.describe('Numbers the agent may call (matched whole); only digits and a leading + are ever dialled'),
      callerId: z.string().regex(/^\+?[0-9]{1,20}$/, 'must be a phone number of digits (an optional leading +)').describe('Caller id the called party sees'),
    })
    .optional()
    .describe('The agent may place calls of their own (POST /api/v1/agents/{id}/calls {"number"}); busy for the ACD meanwhile'),
  remote: z
    .strictObject({
      trunk: trunkName.describe('Outbound trunk the remote number is rung through: PJSIP/<number>@<trunk>'),
      numberPattern: dialPattern.describe('Numbers the agent may log in at (matched whole); only digits and a leading + are ever dialled'),
    })
    .optional()
    .describe('The agent may log in at an external number instead of the SIP phone (POST /api/v1/agents/{id}/login {"number"})'),
});

export const PauseReasonSchema = z.strictObject({ label: z.string().min(1) });

export const DispositionSchema = z.strictObject({ label: z.string().min(1).describe('What the agent sees') });

export const TeamSchema = z.strictObject({
  name: z.string().min(1).optional().describe('Display name (default: the team id)'),
  agents: z.array(identifier).min(1, 'a team has at least one agent').describe('The agents of the team (an agent may be in several teams)'),
});

export type ParsedQueue = z.output<typeof QueueSchema>;
export type ParsedExit = z.output<typeof QueueExitSchema>;

/** The top-level keys the ACD owns, in the order of the file schema. */
export const ACD_KEYS = {
  skills: listKey(identifier, 'Skill catalog (merged across files)'),
  languages: listKey(languageCode, 'Language catalog (merged across files)'),
  pauseReasons: entriesKey(identifier, PauseReasonSchema, { noun: 'pause reason', description: 'Pause reason code → label ("no-answer" is built in)' }),
  agents: entriesKey(identifier, AgentSchema, { noun: 'agent' }),
  queues: entriesKey(identifier, QueueSchema, { noun: 'queue' }),
  dispositions: entriesKey(identifier, DispositionSchema, { noun: 'disposition', description: 'Disposition codes agents choose from at wrap-up, with a label' }),
  teams: entriesKey(identifier, TeamSchema, { noun: 'team', description: 'Teams of agents; supervisors\' API keys name the teams they supervise' }),
};

export type AcdFile = SectionFile<typeof ACD_KEYS>;
