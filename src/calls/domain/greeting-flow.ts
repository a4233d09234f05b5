// The flow in front of the ACD: answer, play the greeting configured for the dialled number,
// then either hang up or hand the call to a queue. The IVR issue replaces this with flow graphs;
// the shape stays: a pure step function.
import type { Command } from './commands';
import type { CallEvent } from './events';
import type { IvrState } from '../../ivr/domain';

export interface NumberRoute {
  /** Prompts played in order, as Asterisk sound names (e.g. "hello-world"). May be empty when a queue follows. */
  greeting: string[];
  /** The queue the call joins after the greeting; without one the call ends after it. */
  queue?: string;
  /** An IVR flow instead of a greeting. */
  flow?: string;
  /** The call's language from the number. */
  language?: string;
  priority?: number;
  attributes?: Record<string, string | number | boolean>;
}

/** What the flow needs to know about configuration, as a lookup by dialled number. */
export type RouteLookup = (number: string) => NumberRoute | undefined;

export type CallPhase = 'greeting' | 'ivr' | 'queued' | 'ended';

export interface CallState {
  callId: string;
  channelId: string;
  number: string;
  callerId: string;
  phase: CallPhase;
  arrivedAt: number;
  /** Prompts still to play (the head is the one playing). */
  remaining: string[];
  /** Bumped on every (re)start of playback so playback ids stay unique and deterministic. */
  playbackSeq: number;
  digits: string;
  /** Where the call goes after the greeting (from the route, fixed at arrival). */
  queue?: { name: string; priority: number; attributes: Record<string, string | number | boolean> };
  /** Calls on an IVR flow: the flow's state (phase "ivr" until it ends). */
  ivr?: IvrState;
}

export interface StepResult {
  state: CallState | undefined;
  commands: Command[];
}

export function playbackIdFor(state: Pick<CallState, 'callId' | 'playbackSeq'>): string {
  return `${state.callId}-pb-${state.playbackSeq}`;
}

function playRemaining(state: CallState): Command[] {
  return [{ kind: 'play', channelId: state.channelId, playbackId: playbackIdFor(state), media: state.remaining.map((p) => `sound:${p}`) }];
}

function enqueue(state: CallState, at: number): StepResult {
  const q = state.queue!;
  return {
    state: { ...state, phase: 'queued', remaining: [] },
    commands: [
      { kind: 'journal', entry: { type: 'CALL_QUEUED', callId: state.callId, queue: q.name, at } },
      { kind: 'enqueue', callId: state.callId, channelId: state.channelId, callerId: state.callerId, queue: q.name, priority: q.priority, attributes: q.attributes },
    ],
  };
}

function finishGreeting(state: CallState, at: number): StepResult {
  return state.queue ? enqueue(state, at) : end(state, 'flow-complete', at, true);
}

function end(state: CallState, reason: 'caller-hangup' | 'flow-complete', at: number, hangup: boolean): StepResult {
  const commands: Command[] = [];
  if (hangup) commands.push({ kind: 'hangup', channelId: state.channelId, reason: 'normal' });
  commands.push({ kind: 'journal', entry: { type: 'CALL_ENDED', callId: state.callId, reason, at } });
  return { state: { ...state, phase: 'ended', remaining: [] }, commands };
}

/**
 * One step of a call: (state, event) → (state', commands). `undefined` state means the call is not
 * known (before arrival). Events that do not apply in the current phase change nothing: ARI can
 * repeat or reorder events, and a repeated event must be harmless.
 */
export function step(state: CallState | undefined, event: CallEvent, routes: RouteLookup): StepResult {
  if (event.type === 'CallArrived') {
    if (state) return { state, commands: [] }; // duplicate StasisStart
    const route = routes(event.number);
    const arrived: Command = {
      kind: 'journal',
      entry: { type: 'CALL_ARRIVED', callId: event.callId, number: event.number, callerId: event.callerId, at: event.at },
    };
    const base: CallState = {
      callId: event.callId,
      channelId: event.channelId,
      number: event.number,
      callerId: event.callerId,
      phase: 'greeting',
      arrivedAt: event.at,
      remaining: route ? [...route.greeting] : [],
      playbackSeq: 0,
      digits: '',
      ...(route?.queue ? { queue: { name: route.queue, priority: route.priority ?? 0, attributes: route.attributes ?? {} } } : {}),
    };
    if (!route) {
      // Not ours to answer: reject like a switch does for a number it does not serve.
      return {
        state: { ...base, phase: 'ended' },
        commands: [
          arrived,
          { kind: 'hangup', channelId: event.channelId, reason: 'unallocated' },
          { kind: 'journal', entry: { type: 'CALL_ENDED', callId: event.callId, reason: 'unknown-number', at: event.at } },
        ],
      };
    }
    const commands: Command[] = [
      arrived,
      { kind: 'answer', channelId: event.channelId },
      { kind: 'journal', entry: { type: 'CALL_ANSWERED', callId: event.callId, at: event.at } },
    ];
    if (base.remaining.length === 0) {
      const done = finishGreeting(base, event.at);
      return { state: done.state, commands: [...commands, ...done.commands] };
    }
    return { state: base, commands: [...commands, ...playRemaining(base)] };
  }

  if (!state || state.phase === 'ended') return { state, commands: [] };

  switch (event.type) {
    case 'PlaybackFinished': {
      // Stale playbacks, and the ACD's own announcements once queued, are not the greeting.
      if (state.phase !== 'greeting' || event.playbackId !== playbackIdFor(state)) return { state, commands: [] };
      return finishGreeting(state, event.at);
    }
    case 'DigitReceived': {
      const next = { ...state, digits: state.digits + event.digit };
      return { state: next, commands: [{ kind: 'journal', entry: { type: 'DIGIT', callId: state.callId, digit: event.digit, at: event.at } }] };
    }
    case 'CallHungUp': {
      const done = end(state, 'caller-hangup', event.at, false);
      if (state.phase === 'queued') done.commands.unshift({ kind: 'leaveQueue', callId: state.callId });
      return done;
    }
    case 'FlowTimer':
    case 'LookupDone':
    case 'RecordingDone':
    case 'FlowStart':
    case 'DialAnswered':
    case 'DialEnded':
      return { state, commands: [] };
    case 'CallResumed': {
      if (state.phase === 'queued') return { state, commands: [] }; // the ACD reconciles its own part
      // The playback may have ended while we were away: stop whatever is left of it and start the
      // remaining prompts again under a new id, so a late event from the old one is ignored.
      const next = { ...state, playbackSeq: state.playbackSeq + 1 };
      return { state: next, commands: [{ kind: 'stopPlayback', playbackId: playbackIdFor(state) }, ...playRemaining(next)] };
    }
  }
}
