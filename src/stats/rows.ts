// The rows the statistics API answers with, as zod schemas (the OpenAPI document is generated
// from them; every field says its formula), and their CSV form (RFC 4180).
import { z } from 'zod';

const count = (what: string) => z.number().int().nonnegative().describe(what);
const secs = (what: string) => z.number().nonnegative().describe(`${what} (seconds)`);
const maybe = (what: string) => z.number().nullable().describe(`${what}; null when its denominator is 0`);
const share = (what: string) => z.number().min(0).max(1).nullable().describe(`${what} (0–1, 4 decimals); null when its denominator is 0`);

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('Local date (SWITCHBOARD_STATS_TIMEZONE), YYYY-MM-DD');
const interval = z
  .string()
  .regex(/^\d{2}:\d{2}$/)
  .optional()
  .describe('Local start of the 15-minute interval, HH:MM (absent in a whole-day row)');

export const QueueStatsRowSchema = z
  .object({
    queue: z.string().describe('Queue id'),
    date,
    interval,
    offered: count('Calls that entered the queue (queue.entered, also after an overflow from another queue)'),
    answered: count('Calls connected to an agent (queue.connected)'),
    abandoned: count('Callers who hung up while waiting (queue.abandoned), short abandons included'),
    shortAbandoned: count('Abandoned after waiting less than the queue\'s serviceLevel.shortAbandon seconds (also counted in abandoned)'),
    abandonedRinging: count('Abandoned while an agent was being rung (also counted in abandoned)'),
    answeredWithinThreshold: count('Answered with wait <= serviceLevel.threshold'),
    abandonedWithinThreshold: count('Abandoned with wait <= serviceLevel.threshold (short abandons included)'),
    overflowed: count('Left the queue for another by a requirement step (queue.exited reason overflow)'),
    timedOut: count('Left the queue after its maximum wait (queue.exited reason timeout)'),
    leftForCallback: count('Left the queue asking for a callback (queue.exited reason callback)'),
    withdrawn: count('Callbacks taken out of the line, cancelled or moved (queue.exited reason withdrawn)'),
    movedOut: count('Waiting calls a supervisor moved to another queue (queue.exited reason moved); the other queue counts them as offered'),
    callbackAttemptsFailed: count("Callbacks that left the line because an attempt to reach the customer failed (queue.exited reason callback-failed)"),
    callbacksRequested: count('Callbacks requested for this queue (callback.requested)'),
    callbacksConnected: count('Callbacks whose customer was connected with an agent (callback.connected)'),
    callbacksFailed: count('Callbacks given up after their last attempt (callback.failed)'),
    longestWaitSeconds: z.number().nullable().describe('Longest wait of an answered or abandoned call (seconds); null when there was none'),
    asaSeconds: maybe('Average speed of answer = total wait of answered calls / answered (seconds)'),
    maxWaitAnsweredSeconds: z.number().nullable().describe('Longest wait of an answered call (seconds); null when none was answered'),
    avgWaitAbandonedSeconds: maybe('Total wait of abandoned calls / abandoned (seconds)'),
    maxWaitAbandonedSeconds: z.number().nullable().describe('Longest wait of an abandoned call (seconds); null when none was abandoned'),
    handled: count('Connected calls that ended (queue.completed)'),
    talkSeconds: secs('Sum of talk time of the calls that ended, hold excluded (queue.completed talkS − onHoldS)'),
    holdSeconds: secs('Sum of time on hold in the calls that ended (queue.completed onHoldS)'),
    transferred: count('Handled calls whose agent transferred them (queue.transferred); counted in handled too'),
    wrapUpSeconds: secs('Sum of wrap-up time after this queue\'s calls (agent.wrap-up-started to agent.wrap-up-ended)'),
    ahtSeconds: maybe('Average handle time = (talkSeconds + holdSeconds + wrapUpSeconds) / handled (seconds)'),
    surveyResponses: count('Numeric answers collected in the post-call survey of this queue\'s calls'),
    surveyScoreAvg: maybe('Sum of the survey answers / surveyResponses'),
    dispositions: count('Calls given a disposition at wrap-up (call.disposition)'),
    resolved: count('… of them marked resolved'),
    fcrDisposition: share('First-contact resolution by disposition: resolved / dispositions'),
    repeatContacts: count("Handled calls whose caller called again within the queue's repeatWindow (counted when the new call arrives)"),
    fcrRepeat: share('First-contact resolution by repeat contacts: (handled − repeatContacts) / handled'),
    serviceLevel: share("The service level by the queue's serviceLevel.formula (sl1, sl2 or sl3)"),
    sl1: share('answeredWithinThreshold / answered (app_queue ServicelevelPerf, there × 100)'),
    sl2: share('(answeredWithinThreshold + abandonedWithinThreshold) / (answered + abandoned) (app_queue ServicelevelPerf2, there × 100)'),
    sl3: share('answeredWithinThreshold / (offered − shortAbandoned)'),
  })
  .describe('Figures of one queue for one 15-minute interval or one day');

export const AgentStatsRowSchema = z
  .object({
    agent: z.string().describe('Agent id'),
    date,
    interval,
    offered: count("Times the agent's phone was rung for a call (queue.offered)"),
    answered: count('Calls connected to the agent (queue.connected)'),
    missed: count('Offers the agent did not take (queue.ring-no-answer)'),
    handled: count('Connected calls of the agent that ended (queue.completed)'),
    talkSeconds: secs('Sum of talk time of the calls that ended, hold excluded'),
    holdSeconds: secs('Sum of time on hold in the calls that ended'),
    transferred: count('Calls the agent transferred (counted in handled too)'),
    wrapUpSeconds: secs('Sum of wrap-up time after calls, counted when each wrap-up ends'),
    ahtSeconds: maybe('Average handle time = (talkSeconds + holdSeconds + wrapUpSeconds) / handled (seconds)'),
    availableSeconds: secs('Time available (idle), split over intervals by wall clock'),
    reservedSeconds: secs('Time reserved or ringing for a call'),
    onCallSeconds: secs('Time on a call'),
    wrapUpStateSeconds: secs('Time in the wrap-up status, split over intervals by wall clock'),
    pausedSeconds: secs('Time paused (any reason)'),
    staffedSeconds: secs('Time logged in = available + reserved + on call + wrap-up + paused'),
    occupancy: share('(onCall + wrapUpState) / (onCall + wrapUpState + available + reserved)'),
    callsPerHour: maybe('answered / staffed hours'),
    surveyResponses: count("Numeric survey answers after the agent's calls"),
    surveyScoreAvg: maybe('Sum of the survey answers / surveyResponses'),
    dispositions: count('Calls given a disposition at wrap-up (call.disposition)'),
    resolved: count('… of them marked resolved'),
    fcrDisposition: share('First-contact resolution by disposition: resolved / dispositions'),
    repeatContacts: count("Handled calls whose caller called again within the queue's repeatWindow (counted when the new call arrives)"),
    fcrRepeat: share('First-contact resolution by repeat contacts: (handled − repeatContacts) / handled'),
  })
  .describe('Figures of one agent for one 15-minute interval or one day');

export type QueueStatsRow = z.infer<typeof QueueStatsRowSchema>;
export type AgentStatsRow = z.infer<typeof AgentStatsRowSchema>;

/** CSV columns, in the schemas' order. */
export const QUEUE_CSV_COLUMNS = Object.keys(QueueStatsRowSchema.shape) as Array<keyof QueueStatsRow>;
export const AGENT_CSV_COLUMNS = Object.keys(AgentStatsRowSchema.shape) as Array<keyof AgentStatsRow>;

const field = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180: a header line, then one line per row, each ended by CRLF; a field holding a comma,
 *  a quote or a line break is quoted (quotes doubled); null and absent fields are empty. */
export function toCsv<R extends object>(rows: readonly R[], columns: ReadonlyArray<keyof R & string>): string {
  const lines = [columns.map(field).join(',')];
  for (const row of rows) lines.push(columns.map((c) => field(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
