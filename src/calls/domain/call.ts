// A call's one state machine: (state, event) → (state', commands). Every number runs a flow (a
// greeting-and-queue number is compiled into one, number-flow.ts), so the IVR engine decides what
// happens; this layer adds what belongs to the call around it: arrival (answer, or refuse a
// number nobody configured), the call's end, and leaving the queue when the caller hangs up.
// Pure: no I/O, no clock; events can repeat or come late and are then harmless.
import { ivrStep, newIvrState, type FlowContext, type IvrCommand, type IvrEvent, type IvrNotice, type IvrState } from '../../ivr/domain';
import type { CallEvent } from './events';

export interface CallState {
  callId: string;
  channelId: string;
  number: string;
  callerId: string;
  /** The caller's name as the network sent it (CNAM, SIP display name), when any. */
  callerName?: string;
  phase: 'ivr' | 'ended';
  arrivedAt: number;
  /** The caller hung up; the call may still wait for something (a voicemail recording closing). */
  callerGone?: boolean;
  /** The flow's state; absent for a call refused on arrival. */
  ivr?: IvrState;
  /** The caller is in an assist flow: its end gives them back to their agent instead of ending the call. */
  assist?: true;
  /** An attended transfer left the caller talking to a destination on this leg (in the call's bridge). */
  handedTo?: string;
}

export type CallNotice =
  | { type: 'call.arrived'; number: string; callerId: string; callerName?: string }
  | { type: 'call.answered' }
  | { type: 'call.ended'; reason: 'caller-hangup' | 'agent-hangup' | 'far-end-hangup' | 'flow-complete' | 'answer-failed' | 'unknown-number' | 'not-configured' };

export type CallCommand =
  | Exclude<IvrCommand, { kind: 'notify' }>
  | { kind: 'notify'; notice: IvrNotice | CallNotice }
  | { kind: 'answer' }
  /** Hang up without answering: SIP 404 for a number nobody configured, 503-like when its flow is missing. */
  | { kind: 'reject'; reason: 'unallocated' | 'congestion' }
  /** The caller is gone while queued: the ACD releases what it holds for the call. */
  | { kind: 'leaveQueue' }
  /** A key the caller pressed while waiting in a queue (a callback offer's answer): the ACD's. */
  | { kind: 'queueDigit'; digit: string }
  /** The assist flow is over with the caller still there: the ACD puts them back with their agent. */
  | { kind: 'backToAgent' }
  /** The caller or the destination they were handed to left: hang up that leg, take the call's bridge down. */
  | { kind: 'endHandedLeg'; legId: string };

/** What a call needs from configuration: the flows, and which flow a dialled number runs. */
export interface CallContext extends FlowContext {
  route(number: string): { flow: string; language?: string } | undefined;
}

export interface CallStep {
  state: CallState | undefined;
  commands: CallCommand[];
}

const notify = (notice: IvrNotice | CallNotice): CallCommand => ({ kind: 'notify', notice });

export function callStep(before: CallState | undefined, event: CallEvent, ctx: CallContext): CallStep {
  if (!before) return event.type === 'CallArrived' ? arrive(event, ctx) : { state: before, commands: [] };
  // Handed to a destination after the caller left (or the call ended): nobody for it to talk to.
  if (event.type === 'HandedOff' && (before.phase === 'ended' || before.callerGone)) return { state: { ...before }, commands: [{ kind: 'endHandedLeg', legId: event.legId }] };
  if (before.phase === 'ended' || !before.ivr) return { state: before, commands: [] }; // late or repeated events
  if (event.type === 'HandedOff' || event.type === 'HandedLegEnded' || before.handedTo) return handedOff(before, event);
  if (event.type === 'FlowStart') return startFlow(before, before.ivr, event, ctx);
  if (event.type === 'CallVanished') return vanished(before, before.ivr, event.at, ctx);
  if (event.type === 'AgentHungUp') return agentHungUp(before, before.ivr);
  if (event.type === 'AnswerFailed') return answerFailed(before, before.ivr);
  // Asterisk reports a hang-up three ways (request, StasisEnd, destroyed): the first one counts.
  if (event.type === 'CallHungUp' && before.callerGone) return { state: before, commands: [] };
  // A new state object: the controller carries out commands only for a step that changed the call.
  if (event.type === 'DigitReceived' && before.ivr.phase === 'queued') return { state: { ...before }, commands: [{ kind: 'queueDigit', digit: event.digit }] };
  const ivrEvent = toIvrEvent(event);
  if (!ivrEvent) return { state: before, commands: [] };
  return runIvr(before, before.ivr, ivrEvent, ctx);
}

/**
 * A caller an attended transfer handed to a destination talks to it in the call's bridge; the
 * flow takes no part any more. Either side hanging up ends the call and hangs up the other.
 */
function handedOff(state: CallState, event: CallEvent): CallStep {
  const ended = (reason: 'caller-hangup' | 'far-end-hangup', commands: CallCommand[]): CallStep => {
    const { handedTo: _, ...call } = state;
    return { state: { ...call, phase: 'ended', callerGone: reason === 'caller-hangup' || undefined, ivr: { ...state.ivr!, phase: 'ended' } }, commands: [...commands, notify({ type: 'call.ended', reason })] };
  };
  switch (event.type) {
    case 'HandedOff':
      return { state: { ...state, handedTo: event.legId }, commands: [] };
    case 'HandedLegEnded':
      if (state.handedTo !== event.legId) return { state, commands: [] };
      return ended('far-end-hangup', [{ kind: 'endHandedLeg', legId: event.legId }, { kind: 'hangup' }]);
    case 'CallHungUp':
    case 'CallVanished':
      return ended('caller-hangup', [{ kind: 'endHandedLeg', legId: state.handedTo! }]);
    default:
      return { state, commands: [] }; // keys, timers, a flow start: the caller talks to the destination
  }
}

/** The channel is gone and nothing more will come: the flow learns of the hang-up (if it had not) and the call ends. */
function vanished(state: CallState, ivr: IvrState, at: number, ctx: CallContext): CallStep {
  const r = state.callerGone ? { state, commands: [] as CallCommand[] } : runIvr(state, ivr, { type: 'HungUp', at }, ctx);
  const s = r.state!;
  if (s.phase === 'ended') return r;
  return { state: { ...s, phase: 'ended', ivr: { ...s.ivr!, phase: 'ended' } }, commands: [...r.commands, notify({ type: 'call.ended', reason: 'caller-hangup' })] };
}

/** The agent ended the conversation: the ACD hangs up the caller; the flow, waiting in its queue step, ends here. */
function agentHungUp(state: CallState, ivr: IvrState): CallStep {
  if ((ivr.phase !== 'queued' && !state.assist) || state.callerGone) return { state, commands: [] };
  return { state: { ...state, phase: 'ended', ivr: { ...ivr, phase: 'ended' } }, commands: [notify({ type: 'call.ended', reason: 'agent-hangup' })] };
}

/**
 * The answer failed: nothing else may happen to the call (it may already be in a queue, as the
 * answer and the enqueue run side by side). The caller is refused as a switch does when it cannot
 * take a call (congestion: a carrier may try another route).
 */
function answerFailed(state: CallState, ivr: IvrState): CallStep {
  if (state.callerGone) return { state, commands: [] };
  const commands: CallCommand[] = [];
  if (ivr.phase === 'queued') commands.push({ kind: 'leaveQueue' });
  commands.push({ kind: 'reject', reason: 'congestion' }, notify({ type: 'call.ended', reason: 'answer-failed' }));
  return { state: { ...state, phase: 'ended', ivr: { ...ivr, phase: 'ended', prompting: false } }, commands };
}

function arrive(event: Extract<CallEvent, { type: 'CallArrived' }>, ctx: CallContext): CallStep {
  const name = event.callerName ? { callerName: event.callerName } : {};
  const base = { callId: event.callId, channelId: event.channelId, number: event.number, callerId: event.callerId, ...name, arrivedAt: event.at };
  const arrived = notify({ type: 'call.arrived', number: event.number, callerId: event.callerId, ...name });
  const route = ctx.route(event.number);
  const flow = route && ctx.flows.get(route.flow);
  if (!route || !flow) {
    // Not ours to answer (or its flow went missing in a reload): refuse like a switch does.
    const reason = route ? 'not-configured' : 'unknown-number';
    return { state: { ...base, phase: 'ended' }, commands: [arrived, { kind: 'reject', reason: route ? 'congestion' : 'unallocated' }, notify({ type: 'call.ended', reason })] };
  }
  const fresh = newIvrState(event.callId, event.callerId, flow, event.at);
  const ivr = route.language ? { ...fresh, language: route.language } : fresh; // the number's language overrides the flow's
  const started = runIvr({ ...base, phase: 'ivr', ivr }, ivr, { type: 'Start', at: event.at }, ctx);
  return { state: started.state, commands: [arrived, { kind: 'answer' }, notify({ type: 'call.answered' }), ...started.commands] };
}

/**
 * A new flow on a call in progress (the post-call survey, an assist flow): the call keeps its
 * language and variables. An assist flow starts only for a caller with an agent (queued).
 */
function startFlow(state: CallState, ivr: IvrState, event: Extract<CallEvent, { type: 'FlowStart' }>, ctx: CallContext): CallStep {
  const flow = ctx.flows.get(event.flow);
  if (!flow || (event.returnToAgent && (ivr.phase !== 'queued' || state.callerGone))) return { state, commands: [] };
  const fresh = newIvrState(state.callId, state.callerId, flow, event.at);
  const next: IvrState = { ...fresh, language: ivr.language, vars: ivr.vars };
  const base: CallState = event.returnToAgent ? { ...state, assist: true } : state;
  return runIvr({ ...base, ivr: next }, next, { type: 'Start', at: event.at }, ctx);
}

function runIvr(state: CallState, ivr: IvrState, event: IvrEvent, ctx: CallContext): CallStep {
  const { state: next, commands } = ivrStep(ivr, event, ctx);
  const out: CallCommand[] = [...commands];
  const callerGone = state.callerGone === true || event.type === 'HungUp';
  // In an assist flow the call is still the ACD's (connected to its agent).
  if (event.type === 'HungUp' && (ivr.phase === 'queued' || state.assist)) out.unshift({ kind: 'leaveQueue' });
  if (state.assist && !callerGone && next.phase === 'ended') {
    // The assist flow is over: the caller goes back to their agent, not hung up.
    const { assist: _, ...call } = state;
    return { state: { ...call, phase: 'ivr', ivr: { ...next, phase: 'queued' } }, commands: [...out.filter((c) => c.kind !== 'hangup'), { kind: 'backToAgent' }] };
  }
  // The call ends when its flow does; a caller who hung up mid-recording ends it once the recording is in.
  const ended = next.phase === 'ended';
  if (ended) out.push(notify({ type: 'call.ended', reason: callerGone ? 'caller-hangup' : 'flow-complete' }));
  return { state: { ...state, phase: ended ? 'ended' : 'ivr', callerGone: callerGone || undefined, ivr: next }, commands: out };
}

function toIvrEvent(event: CallEvent): IvrEvent | undefined {
  switch (event.type) {
    case 'PlaybackFinished':
      return { type: 'PlaybackFinished', playbackId: event.playbackId, at: event.at };
    case 'DigitReceived':
      return { type: 'Digit', digit: event.digit, at: event.at };
    case 'CallHungUp':
      return { type: 'HungUp', at: event.at };
    case 'FlowTimer':
      return { type: 'Timer', timerId: event.timerId, at: event.at };
    case 'LookupDone':
      return { type: 'LookupDone', requestId: event.requestId, ok: event.ok, fields: event.fields, at: event.at };
    case 'RecordingDone':
      return { type: 'RecordingDone', recordingId: event.recordingId, ok: event.ok, durationS: event.durationS, at: event.at };
    case 'CallResumed':
      return { type: 'Resume', at: event.at };
    case 'DialAnswered':
      return { type: 'DialAnswered', dialId: event.dialId, at: event.at };
    case 'DialEnded':
      return { type: 'DialEnded', dialId: event.dialId, at: event.at };
    case 'CallArrived':
    case 'FlowStart':
    case 'CallVanished':
    case 'AgentHungUp':
    case 'AnswerFailed':
    case 'HandedOff':
    case 'HandedLegEnded':
      return undefined; // a repeated arrival; the others are handled before
  }
}
