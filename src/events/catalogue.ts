// Every state change Switchboard announces, as typed, versioned events: one zod schema each (the
// JSON Schema in schema/events.schema.json and docs/events.md come from these). The journal
// stores them, and in-process subscribers (the queue_log writer, later statistics, the event
// stream, webhooks) read them. Times are epoch milliseconds; durations say their unit.
//
// No field can hold a sensitive value: events carry ids, names, figures and the flow's
// variables, and digits collected as sensitive are never variables (the IVR keeps them in process
// memory only): `ivr.collected` of a sensitive input carries its length, never its value.
import { z } from 'zod';

/** The version of the event shapes; a breaking change of any event bumps it. */
export const EVENT_VERSION = 1;

const at = z.number().int().describe('When it happened (epoch ms)');
const callId = z.string().describe("The call's id (the caller's Asterisk channel id)");
const queue = z.string().describe('Queue id');
const agentId = z.string().describe('Agent id');
const seconds = z.number().int().nonnegative();
const position = z.number().int().positive();
// Strict: an event with a field its schema does not name is invalid (nothing rides along unseen).
const ev = <T extends string, S extends z.ZodRawShape>(type: T, description: string, shape: S) =>
  z.strictObject({ v: z.literal(EVENT_VERSION), type: z.literal(type), at, ...shape }).describe(description);

// ------------------------------------------------------------------ calls --

export const CallArrived = ev('call.arrived', 'A call entered Switchboard', { callId, number: z.string().describe('Number dialled'), callerId: z.string().describe("Caller's number"), callerName: z.string().optional().describe("Caller's name as the network sent it (CNAM, SIP display name), when any") });
export const CallRefused = ev('call.refused', 'Switchboard was overloaded and sent the call to the dialplan\'s overload branch without taking it', {
  callId,
  number: z.string().describe('Number dialled'),
  callerId: z.string().describe("Caller's number"),
  reason: z.enum(['max-calls', 'event-loop', 'ari', 'redis']).describe('Which limit was reached (docs/capacity.md)'),
});
export const CallAnswered = ev('call.answered', 'Switchboard answered the call', { callId });
export const CallEnded = ev('call.ended', 'The call is over for Switchboard', {
  callId,
  reason: z
    .enum(['caller-hangup', 'agent-hangup', 'far-end-hangup', 'flow-complete', 'answer-failed', 'unknown-number', 'not-configured'])
    .describe('agent-hangup: the agent ended the conversation; far-end-hangup: the destination an attended transfer handed the caller to hung up; answer-failed: Asterisk could not answer (refused with congestion); not-configured: its flow went missing in a reload (refused)'),
});

// -------------------------------------------------------------------- IVR --

const flow = z.string().describe('Flow id');
const step = z.string().describe('Step id');
export const IvrStarted = ev('ivr.started', 'A flow started on the call', { callId, flow });
export const IvrStep = ev('ivr.step', 'The call reached a step', { callId, flow, step, kind: z.string().describe('Step kind'), sensitive: z.literal(true).optional().describe('A collect of sensitive digits (recordings pause until the next step)') });
export const IvrChoice = ev('ivr.choice', 'The caller chose a menu option', { callId, flow, step, digit: z.string() });
export const IvrRetry = ev('ivr.retry', 'A menu or input got an invalid key or no input', { callId, flow, step, why: z.enum(['invalid', 'no-input']), try: z.number().int() });
export const IvrCollected = ev('ivr.collected', 'Digits collected into a variable (a sensitive input only by its length)', {
  callId,
  flow,
  step,
  variable: z.string(),
  input: z.discriminatedUnion('sensitive', [z.strictObject({ sensitive: z.literal(false), value: z.string() }), z.strictObject({ sensitive: z.literal(true), length: z.number().int() })]),
});
export const IvrLookup = ev('ivr.lookup', 'A data lookup answered (or failed)', { callId, flow, step, ok: z.boolean() });
export const IvrDial = ev('ivr.dial', 'A configured destination is rung, answered, or failed', { callId, flow, step, destination: z.string().optional(), outcome: z.enum(['ringing', 'answered', 'failed']) });
export const IvrQueued = ev('ivr.queued', 'The flow handed the call to a queue', { callId, flow, step, queue });
export const IvrHangup = ev('ivr.hangup', 'The caller hung up during the flow', { callId, flow, step });
export const IvrEnded = ev('ivr.ended', 'The flow ended', { callId, flow, step, reason: z.string() });
export const VoicemailStored = ev('voicemail.stored', 'A voicemail was recorded and stored', { callId, mailbox: z.string(), recording: z.string(), durationS: z.number().nonnegative() });

// ------------------------------------------------------------------ queues --

const waitS = seconds.describe('Seconds waited in this queue (since the caller entered it)');
const positions = { position: position.describe('Position in the queue at the time'), origPosition: position.describe('Position when the caller entered this queue') };
export const QueueEntered = ev('queue.entered', 'The caller entered a queue (also after an overflow or exit to it)', {
  callId,
  queue,
  callerId: z.string(),
  position: position.describe('Position on entry'),
  priority: z.number().int(),
  from: queue.optional().describe('The queue it came from (overflow or exit)'),
  preferredAgent: agentId.optional().describe("The caller's preferred agent, who has the call first for the queue's window"),
});
export const QueueRefused = ev('queue.refused', 'The caller was refused at the door (then goes to the exit the queue names)', {
  callId,
  queue,
  callerId: z.string(),
  reason: z.enum(['full', 'no-agents']),
  position: position.describe('Position it would have had'),
});
export const QueuePriorityChanged = ev('queue.priority-changed', "A supervisor changed a waiting call's priority (its place among the waiting calls follows)", {
  callId,
  queue,
  from: z.number().int(),
  to: z.number().int(),
  by: z.string().describe('The API role (and key) that changed it'),
});
export const QueueSlaBreached = ev('queue.sla-breached', "A waiting caller's wait in this queue passed the queue's service-level threshold (still unanswered)", {
  callId,
  queue,
  waitS,
  thresholdS: seconds.describe("The queue's service-level threshold (seconds)"),
});
export const QueueOffered = ev('queue.offered', "An agent's phone is rung for the call", { callId, queue, agentId, legId: z.string(), offer: z.number().int().positive().describe('1 for the first offer of this call') });
export const QueueRingNoAnswer = ev('queue.ring-no-answer', 'The agent did not take the call (no answer, busy, rejected, unreachable)', {
  callId,
  queue,
  agentId,
  ringMs: z.number().int().nonnegative(),
  cause: z.string(),
});
export const QueueRingCanceled = ev('queue.ring-canceled', "The caller left while the agent's phone rang", { callId, queue, agentId, ringMs: z.number().int().nonnegative() });
export const QueueRingStopped = ev('queue.ring-stopped', "Another agent answered a ring-all offer: this agent's phone stopped ringing (no strike)", { callId, queue, agentId, answeredBy: agentId, ringMs: z.number().int().nonnegative() });
export const QueueConnected = ev('queue.connected', 'Caller and agent are connected', { callId, queue, agentId, legId: z.string(), holdS: waitS, ringS: seconds, callerId: z.string().optional().describe("The caller's number (absent in journals written before it was added)"), transferredFrom: agentId.optional().describe('An attended transfer from this agent brought the call (the queue counted its answer before)') });
export const QueueConnectFailed = ev('queue.connect-failed', 'The agent answered but caller and agent could not be connected; the caller waits again', {
  callId,
  queue,
  agentId,
  why: z.enum(['caller-gone', 'agent-gone', 'failed']),
});
export const QueueAbandoned = ev('queue.abandoned', 'The caller hung up before an agent took the call', {
  callId,
  queue,
  ...positions,
  waitS,
  ringing: z.boolean().describe('An agent was being rung'),
  answeredBy: agentId.optional().describe('An agent had answered, but the caller left before the two were connected'),
});
export const QueueExited = ev('queue.exited', 'The caller left the queue on a rule', {
  callId,
  queue,
  ...positions,
  waitS,
  reason: z
    .enum(['timeout', 'overflow', 'moved', 'withdrawn', 'callback-failed', 'callback'])
    .describe('timeout: maximum wait; overflow: a requirement step moved it; moved: a supervisor moved it (PATCH /api/v1/calls/{id}); withdrawn: a callback taken out of line (cancelled, or moved to a later time), or a waiting caller a supervisor sent to a destination (POST /api/v1/calls/{id}/withdraw); callback-failed: an attempt to reach a callback\'s customer failed; callback: the caller asked to be called back (a callback keeps their place)'),
  key: z.string().optional().describe('The key the caller pressed (reason callback)'),
  to: queue.optional().describe('The queue it went on to'),
  by: z.string().optional().describe('Who moved or withdrew it (reasons moved, withdrawn of a caller): the API key id'),
  destination: z.string().optional().describe('Where a supervisor withdrew the caller to (reason withdrawn): a configured destination'),
});
export const QueueCompleted = ev('queue.completed', 'A connected call ended', {
  callId,
  queue,
  agentId,
  by: z.enum(['caller', 'agent']),
  holdS: waitS,
  talkS: seconds.describe('From the connection to the end, hold included (as app_queue counts it)'),
  onHoldS: seconds.optional().describe('Of the talk time, seconds the caller was on hold (absent: none)'),
  origPosition: position,
});
const byKey = z.string().describe('Who asked: "agent:<id>", or the API key id of a supervisor or admin');
export const QueueTransferred = ev('queue.transferred', "The agent's part of a connected call ended in a transfer (the agent goes to wrap-up; the call goes on where `to` says)", {
  callId,
  queue,
  agentId,
  mode: z.enum(['blind', 'attended']),
  to: z.enum(['queue', 'agent', 'destination']),
  target: z.string().describe('The queue, agent or destination id'),
  holdS: waitS,
  talkS: seconds.describe('From the connection to the transfer, hold included'),
  onHoldS: seconds.optional().describe('Of the talk time, seconds on hold (absent: none)'),
  origPosition: position,
  by: byKey,
});
export const QueueConsultStarted = ev('queue.consult-started', "An attended transfer began: the call's agent rings a colleague to consult them while the caller is on hold", { callId, queue, agentId, target: agentId.describe('The agent consulted'), by: byKey });
export const QueueConsultEnded = ev('queue.consult-ended', 'A consultation ended: the transfer completed, was cancelled, or the colleague did not answer or hung up, or the call ended', {
  callId,
  queue,
  agentId,
  target: agentId.describe('The agent consulted'),
  outcome: z.enum(['completed', 'cancelled', 'not-answered', 'target-hung-up', 'call-ended']),
});
export const QueueHeld = ev('queue.held', 'A connected caller was put on hold (out of the bridge, hearing music)', { callId, queue, agentId, by: byKey });
export const QueueResumed = ev('queue.resumed', 'A caller on hold was taken back into the conversation', { callId, queue, agentId, by: byKey, heldS: seconds.describe('How long this hold lasted') });
export const QueueAssistStarted = ev('queue.assist-started', 'The agent sent the connected caller to an assist flow (a payment IVR); the agent waits in the call', { callId, queue, agentId, flow, by: byKey });
export const QueueAssistEnded = ev('queue.assist-ended', 'The assist flow ended and the caller is back in the conversation with the agent', { callId, queue, agentId, flow, assistS: seconds.describe('Time the caller spent in the flow') });
export const CallDisposition = ev('call.disposition', "The outcome of a handled call, recorded at wrap-up by its agent or a supervisor (the notes stay out of the journal)", {
  callId,
  queue,
  agentId,
  resolved: z.boolean().describe('The customer\'s matter was resolved on this contact'),
  reason: z.string().describe("A disposition code from the routing files' dispositions"),
  by: z.string().describe('"agent:<id>", or the role that recorded it'),
});
export const SurveyStarted = ev('survey.started', "The agent hung up first and the caller went on to the queue's survey flow (its answers are that flow's ivr.collected events)", {
  callId,
  queue,
  flow,
});

// ------------------------------------------------------------------ agents --

const queues = z.array(queue).describe('The queues the agent serves');
export const AgentLoggedIn = ev('agent.logged-in', 'The agent logged in', { agentId, queues });
const commandedBy = z.string().optional().describe('Who asked through the API: "agent:<id>", or a supervisor\'s or admin\'s key id (absent: the phone, or the system)');
export const AgentLoggedOut = ev('agent.logged-out', 'The agent logged out', { agentId, queues, reason: z.string().optional().describe('Why, as given to the logout'), by: commandedBy });
export const AgentPaused = ev('agent.paused', 'The agent paused (or changed pause reason)', { agentId, queues, reason: z.string() });
export const AgentUnpaused = ev('agent.unpaused', 'The agent is no longer paused', { agentId, queues, reason: z.string().describe('The pause reason that ended') });
export const AgentWrapUpStarted = ev('agent.wrap-up-started', 'After-call work began', { agentId, callId, untilAt: z.number().int() });
export const AgentWrapUpEnded = ev('agent.wrap-up-ended', 'After-call work ended', { agentId, callId });
export const AgentStateChanged = ev('agent.state-changed', "The agent's state changed", {
  agentId,
  from: z.string(),
  to: z.string(),
  reason: z.string().optional(),
  callId: callId.optional(),
  by: commandedBy,
});
export const AgentReachability = ev('agent.reachability', "The agent's phone became reachable (registered, free) or not", { agentId, reachable: z.boolean() });

// -------------------------------------------------------------- callbacks --

const callbackId = z.string().describe("The callback's id (its queue entry's call id is cb-<id>)");
const attempt = z.number().int().positive().describe('Attempt to reach the customer, from 1');
const failure = z.enum(['no-answer', 'busy', 'rejected', 'unreachable', 'agent-hangup', 'failed']);
export const CallbackRequested = ev('callback.requested', 'A callback was requested (a waiting caller, or through the API)', {
  callbackId,
  queue,
  number: z.string().describe('The number to call back'),
  origin: z.enum(['in-queue', 'scheduled']),
  dueAt: z.number().int().describe('When it joins the queue (epoch ms)'),
  priority: z.number().int(),
  preferredAgent: agentId.optional(),
  createdBy: z.string().describe('"caller", or the API role (and agent) that asked'),
});
export const CallbackUpdated = ev('callback.updated', 'A pending callback was changed (a second request for the same number and queue, or the API)', {
  callbackId,
  queue,
  fields: z.array(z.enum(['dueAt', 'preferredAgent', 'note', 'number'])).describe('What changed (the note itself is not in the journal)'),
  dueAt: z.number().int(),
});
export const CallbackOffered = ev('callback.offered', "An agent's phone is rung for the callback (the agent is called first)", { callbackId, callId, queue, agentId });
export const CallbackDialling = ev('callback.dialling', 'The agent answered; the customer is being dialled through the trunk', { callbackId, callId, queue, agentId, attempt });
export const CallbackConnected = ev('callback.connected', 'The customer answered and is connected with the agent', { callbackId, callId, queue, agentId, attempt });
export const CallbackRetryScheduled = ev('callback.retry-scheduled', 'An attempt failed; the callback joins the queue again at dueAt', { callbackId, queue, attempt, reason: failure, dueAt: z.number().int() });
export const CallbackFailed = ev('callback.failed', 'The last attempt failed: the callback is over', { callbackId, queue, attempt, reason: failure });
export const CallbackCancelled = ev('callback.cancelled', 'The callback was cancelled before it was dialled', { callbackId, queue, by: z.string() });

// ------------------------------------------------------------ service, config --

// -------------------------------------------------------- agents' own calls --

const outboundNumber = z.string().describe('The number the agent called');
export const OutboundStarted = ev('outbound.started', "An agent placed a call of their own (blended work): their phone rings first, then the number", { callId, agentId, number: outboundNumber, by: z.string().describe('Who asked: "agent:<id>", or a key id') });
export const OutboundAnswered = ev('outbound.answered', "The called party answered the agent's call", { callId, agentId, number: outboundNumber });
export const OutboundEnded = ev('outbound.ended', "An agent's own call ended", {
  callId,
  agentId,
  number: outboundNumber,
  answered: z.boolean(),
  talkS: seconds.describe('From the answer to the end (0 when not answered)'),
  reason: z.enum(['agent-hung-up', 'far-end-hung-up', 'agent-not-answered', 'not-answered', 'failed', 'stopped']),
});

// ------------------------------------------------------------- recordings --

const recordingId = z.string().describe("The recording's id (Asterisk's stored recording name)");
export const RecordingStarted = ev('recording.started', "A connected call's recording started (its queue records calls)", { callId, queue, agentId, recordingId });
export const RecordingPaused = ev('recording.paused', "A call's recording was paused: the caller went on hold, someone asked (payment details), or the caller keys sensitive digits", { callId, queue, agentId, recordingId, why: z.enum(['hold', 'api', 'sensitive']).describe('hold: the caller went on hold; api: someone asked; sensitive: the caller is keying sensitive digits in an assist flow'), by: z.string().optional().describe('Who asked (why api)') });
export const RecordingResumed = ev('recording.resumed', "A call's paused recording resumed", { callId, queue, agentId, recordingId, why: z.enum(['hold', 'api', 'sensitive']), by: z.string().optional().describe('Who asked (why api)') });
export const RecordingFinished = ev('recording.finished', "A call's recording ended with the agent's part of the call", { callId, queue, agentId, recordingId, ok: z.boolean(), durationS: z.number().nonnegative().optional().describe('Audio in the file (paused stretches left out)') });
export const RecordingDeleted = ev('recording.deleted', 'A recording was deleted: through the API, or past its retention', { callId, queue, agentId, recordingId, by: z.string().describe('The API key id, or "retention"') });

// ------------------------------------------------------------- monitoring --

const sessionId = z.string().describe("The monitoring session's id");
const supervisorPhone = z.string().describe("The supervisor's phone (supervisors in the routing files)");
const monitorMode = z.enum(['listen', 'whisper', 'barge']);
export const MonitorStarted = ev('monitor.started', "A supervisor's phone answered and joined an agent's call (listen, whisper or barge)", { callId, queue, agentId, sessionId, supervisor: supervisorPhone, mode: monitorMode, by: z.string().describe('The API key id that asked') });
export const MonitorModeChanged = ev('monitor.mode-changed', 'A monitoring session changed mode', { callId, queue, agentId, sessionId, supervisor: supervisorPhone, from: monitorMode, to: monitorMode, by: z.string().describe('The API key id that asked') });
export const MonitorEnded = ev('monitor.ended', 'A monitoring session ended (the call itself goes on unless it was what ended)', {
  callId,
  queue,
  agentId,
  sessionId,
  supervisor: supervisorPhone,
  answered: z.boolean().describe("The supervisor's phone answered (the session took place)"),
  reason: z.enum(['stopped', 'supervisor-hung-up', 'not-answered', 'call-ended']),
  durationS: seconds.describe('From the answer to the end (0 when never answered)'),
});

export const ServiceStarted = ev('service.started', 'A Switchboard instance started', { instance: z.string() });
export const ConfigReloaded = ev('config.reloaded', 'A new routing configuration is running', { files: z.array(z.string()) });
export const ConfigRefused = ev('config.refused', 'A routing configuration was refused; the previous one keeps running', { problems: z.array(z.string()) });

export const EVENT_SCHEMAS = [
  CallArrived,
  CallRefused,
  CallAnswered,
  CallEnded,
  IvrStarted,
  IvrStep,
  IvrChoice,
  IvrRetry,
  IvrCollected,
  IvrLookup,
  IvrDial,
  IvrQueued,
  IvrHangup,
  IvrEnded,
  VoicemailStored,
  QueueEntered,
  QueueRefused,
  QueueSlaBreached,
  QueuePriorityChanged,
  QueueOffered,
  QueueRingNoAnswer,
  QueueRingCanceled,
  QueueRingStopped,
  QueueConnected,
  QueueConnectFailed,
  QueueAbandoned,
  QueueExited,
  QueueCompleted,
  QueueHeld,
  QueueResumed,
  QueueAssistStarted,
  QueueAssistEnded,
  QueueTransferred,
  QueueConsultStarted,
  QueueConsultEnded,
  CallDisposition,
  SurveyStarted,
  AgentLoggedIn,
  AgentLoggedOut,
  AgentPaused,
  AgentUnpaused,
  AgentWrapUpStarted,
  AgentWrapUpEnded,
  AgentStateChanged,
  AgentReachability,
  CallbackRequested,
  CallbackUpdated,
  CallbackOffered,
  CallbackDialling,
  CallbackConnected,
  CallbackRetryScheduled,
  CallbackFailed,
  CallbackCancelled,
  OutboundStarted,
  OutboundAnswered,
  OutboundEnded,
  RecordingStarted,
  RecordingPaused,
  RecordingResumed,
  RecordingFinished,
  RecordingDeleted,
  MonitorStarted,
  MonitorModeChanged,
  MonitorEnded,
  ServiceStarted,
  ConfigReloaded,
  ConfigRefused,
] as const;

export const SwitchboardEventSchema = z.discriminatedUnion('type', EVENT_SCHEMAS);
export type SwitchboardEvent = z.infer<typeof SwitchboardEventSchema>;
export type EventType = SwitchboardEvent['type'];
export type EventOf<T extends EventType> = Extract<SwitchboardEvent, { type: T }>;
/** What a feature passes to announce an event: the version is added for it. */
export type NewEvent = SwitchboardEvent extends infer E ? (E extends { v: number } ? Omit<E, 'v'> : never) : never;
export const EVENT_TYPES: readonly EventType[] = EVENT_SCHEMAS.map((s) => s.shape.type.value);
