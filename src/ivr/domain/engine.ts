// The IVR flow engine: a pure state machine over (state, event, now) that returns commands for
// the ARI adapter to carry out. Every wait (a prompt, an input timeout, a lookup, a recording)
// carries a sequence number so that a late event from an earlier wait is ignored.
// Longer than the house's ~400 lines: one state machine over every step kind; the step kinds share
// its waits and retries (jambonz splits verbs per file, but ours have no I/O to separate).
import { ivrId, type IvrIdKind } from '../../kernel/ids';
import type { Condition, Digit, Flow, FlowContext, Step } from './model';

export type IvrEvent =
  | { type: 'Start'; at: number }
  | { type: 'PlaybackFinished'; playbackId: string; at: number }
  | { type: 'Digit'; digit: string; at: number }
  | { type: 'Timer'; timerId: string; at: number }
  | { type: 'LookupDone'; requestId: string; ok: boolean; fields: Record<string, string>; at: number }
  | { type: 'RecordingDone'; recordingId: string; ok: boolean; durationS: number; at: number }
  | { type: 'HungUp'; at: number }
  /** Switchboard lost sight of the call (ARI reconnect): events may have been missed. */
  | { type: 'Resume'; at: number }
  /** The destination of a dial step answered / is gone (before or after answering). */
  | { type: 'DialAnswered'; dialId: string; at: number }
  | { type: 'DialEnded'; dialId: string; at: number };

export type IvrCommand =
  | { kind: 'play'; playbackId: string; prompts: string[]; language: string }
  | { kind: 'stopPlayback'; playbackId: string }
  | { kind: 'setTimer'; timerId: string; at: number }
  | { kind: 'cancelTimer'; timerId: string }
  /** `fields`: variable name → dotted path in the answer; the adapter answers with LookupDone keyed by variable name. */
  | { kind: 'lookup'; requestId: string; lookup: string; params: Record<string, string>; fields: Record<string, string> }
  | { kind: 'record'; recordingId: string; maxSeconds: number; silenceSeconds: number }
  | { kind: 'voicemail'; recordingId: string; mailbox: string; durationS: number; vars: Record<string, string> }
  | { kind: 'enqueue'; queue: string; priority: number; attributes: Record<string, string | number | boolean> }
  /** Ring a configured destination on a channel with id `dialId`. */
  | { kind: 'dial'; dialId: string; destination: string }
  /** Put the caller and the answered destination together. */
  | { kind: 'connect'; dialId: string }
  | { kind: 'hangupDial'; dialId: string }
  /** The connected dial is over (either side left): take the bridge down. */
  | { kind: 'disconnect'; dialId: string }
  | { kind: 'hangup' }
  /** Something to announce (the call flow turns it into an event); never carries a sensitive value. */
  | { kind: 'notify'; notice: IvrNotice };

/** What the engine announces; the call flow adds the call id and the time (events catalogue: ivr.*). */
export type IvrNotice =
  | { type: 'ivr.started'; flow: string }
  | { type: 'ivr.step'; flow: string; step: string; kind: string; sensitive?: true }
  | { type: 'ivr.choice'; flow: string; step: string; digit: string }
  | { type: 'ivr.retry'; flow: string; step: string; why: 'invalid' | 'no-input'; try: number }
  | { type: 'ivr.collected'; flow: string; step: string; variable: string; input: { sensitive: false; value: string } | { sensitive: true; length: number } }
  | { type: 'ivr.lookup'; flow: string; step: string; ok: boolean }
  | { type: 'ivr.dial'; flow: string; step: string; destination?: string; outcome: 'ringing' | 'answered' | 'failed' }
  | { type: 'ivr.queued'; flow: string; step: string; queue: string }
  | { type: 'ivr.hangup'; flow: string; step: string }
  | { type: 'ivr.ended'; flow: string; step: string; reason: string };

/** 'recording-after-hangup': the caller hung up to end their message; Asterisk still reports the recording. */
type Phase = 'prompt' | 'input' | 'lookup' | 'dialing' | 'connected' | 'record-prompt' | 'recording' | 'recording-after-hangup' | 'goodbye' | 'queued' | 'ended';

export interface IvrState {
  callId: string;
  callerId: string;
  flowId: string;
  stepId: string;
  phase: Phase;
  language: string;
  vars: Record<string, string>;
  priority: number;
  attributes: Record<string, string | number | boolean>;
  /** Failed tries in the current menu or collect. */
  tries: number;
  /** Digits typed in the current collect (a sensitive collect's digits are in `secret` instead). */
  buffer: string;
  /**
   * The digits of a sensitive collect. Never persisted: the call store drops this field, so a
   * restart mid-entry makes the caller type again rather than keep card digits in Redis.
   */
  secret?: string;
  /** Whether the current prompt is still playing (a keypress stops it). */
  prompting: boolean;
  /** Bumped for every wait; ids of playbacks, timers, lookups and recordings end with it. */
  seq: number;
}

export interface IvrResult {
  state: IvrState;
  commands: IvrCommand[];
}

/** Steps run without waiting for the caller before the engine calls it a loop. */
export const MAX_HOPS = 50;

/** A language a variable may carry (from a lookup): "es", "pt_BR"… anything else is ignored. */
const LANGUAGE_CODE = /^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?$/;

const DIGITS = new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#']);

export function newIvrState(callId: string, callerId: string, flow: Flow, at: number): IvrState {
  void at;
  return { callId, callerId, flowId: flow.id, stepId: flow.start, phase: 'prompt', language: flow.language, vars: {}, priority: 0, attributes: {}, tries: 0, buffer: '', prompting: false, seq: 0 };
}

const id = (s: IvrState, what: IvrIdKind) => ivrId(s.callId, what, s.seq);

/** The playback the engine is waiting for, if a prompt is playing. */
export function currentPlaybackId(s: IvrState): string | undefined {
  return s.prompting ? id(s, 'pb') : undefined;
}

class Run {
  readonly commands: IvrCommand[] = [];
  constructor(
    public s: IvrState,
    readonly ctx: FlowContext,
    readonly now: number,
  ) {}

  flow(): Flow {
    const f = this.ctx.flows.get(this.s.flowId);
    if (!f) throw new Error(`flow ${this.s.flowId} is not configured`);
    return f;
  }

  step(): Step | undefined {
    return this.flow().steps.get(this.s.stepId);
  }

  emit(c: IvrCommand): void {
    this.commands.push(c);
  }

  /** Starts a new wait: earlier playbacks, timers and lookups no longer count. */
  bump(): void {
    this.s = { ...this.s, seq: this.s.seq + 1 };
  }

  play(prompts: readonly string[], phase: Phase): void {
    this.bump();
    this.s = { ...this.s, phase, prompting: prompts.length > 0 };
    if (prompts.length > 0) this.emit({ kind: 'play', playbackId: id(this.s, 'pb'), prompts: [...prompts], language: this.s.language });
  }

  timer(seconds: number): void {
    this.emit({ kind: 'setTimer', timerId: id(this.s, 'tm'), at: this.now + seconds * 1000 });
  }

  stopPrompt(): void {
    if (this.s.prompting) this.emit({ kind: 'stopPlayback', playbackId: id(this.s, 'pb') });
    this.s = { ...this.s, prompting: false };
  }

  notify(notice: IvrNotice): void {
    this.emit({ kind: 'notify', notice });
  }

  end(reason: string): void {
    this.s = { ...this.s, phase: 'ended', prompting: false, buffer: '', secret: undefined };
    this.emit({ kind: 'hangup' });
    this.notify({ type: 'ivr.ended', flow: this.s.flowId, step: this.s.stepId, reason });
  }

  /** Enters `stepId` and runs steps until one waits for the caller or the network. */
  goTo(stepId: string): void {
    for (let hops = 0; hops < MAX_HOPS; hops++) {
      this.s = { ...this.s, stepId, tries: 0, buffer: '', secret: undefined, prompting: false };
      const step = this.step();
      if (!step) {
        this.end(`missing step ${stepId}`);
        return;
      }
      this.notify({ type: 'ivr.step', flow: this.s.flowId, step: stepId, kind: step.kind, ...(step.kind === 'collect' && step.sensitive ? { sensitive: true as const } : {}) });
      const next = this.enter(step);
      if (next === undefined) return;
      stepId = next;
    }
    // Validation refuses loops that wait for no input; this is the net under it.
    this.end('loop without input');
  }

  /** Starts a step; returns the next step id when the step completes at once. */
  private enter(step: Step): string | undefined {
    switch (step.kind) {
      case 'play':
        this.play(step.prompts, 'prompt');
        return step.prompts.length === 0 ? step.next : undefined;
      case 'menu':
      case 'collect':
        this.play(step.prompts, 'input');
        if (step.prompts.length === 0) this.timer(step.timeoutS);
        return undefined;
      case 'branch': {
        const hit = step.when.find((w) => this.test(w.condition));
        return hit ? hit.next : step.otherwise;
      }
      case 'lookup': {
        this.bump();
        const params: Record<string, string> = {};
        for (const name of step.send) if (this.s.vars[name] !== undefined) params[name] = this.s.vars[name]!;
        this.s = { ...this.s, phase: 'lookup' };
        this.emit({ kind: 'lookup', requestId: id(this.s, 'lk'), lookup: step.lookup, params, fields: { ...step.fields } });
        return undefined;
      }
      case 'set': {
        const fromVar = step.languageFrom !== undefined ? this.s.vars[step.languageFrom] : undefined;
        this.s = {
          ...this.s,
          language: fromVar !== undefined && LANGUAGE_CODE.test(fromVar) ? fromVar : (step.language ?? this.s.language),
          vars: { ...this.s.vars, ...step.vars },
          priority: step.priority ?? this.s.priority,
          attributes: { ...this.s.attributes, ...step.attributes },
        };
        return step.next;
      }
      case 'queue':
        this.s = { ...this.s, phase: 'queued' };
        this.emit({ kind: 'enqueue', queue: step.queue, priority: step.priority ?? this.s.priority, attributes: { ...this.s.attributes, language: this.s.language } });
        this.notify({ type: 'ivr.queued', flow: this.s.flowId, step: this.s.stepId, queue: step.queue });
        return undefined;
      case 'transfer': {
        const to = this.ctx.flows.get(step.flow);
        if (!to) {
          this.end(`unknown flow ${step.flow}`);
          return undefined;
        }
        this.s = { ...this.s, flowId: to.id };
        return to.start;
      }
      case 'dial':
        if (!this.ctx.destinations.has(step.destination)) return step.onFailure;
        this.bump();
        this.s = { ...this.s, phase: 'dialing' };
        this.emit({ kind: 'dial', dialId: id(this.s, 'dl'), destination: step.destination });
        this.notify({ type: 'ivr.dial', flow: this.s.flowId, step: this.s.stepId, destination: step.destination, outcome: 'ringing' });
        return undefined;
      case 'voicemail':
        this.play(step.prompts, 'record-prompt');
        if (step.prompts.length === 0) this.startRecording(step);
        return undefined;
      case 'hangup':
        if (step.prompts.length === 0) {
          this.end('hangup step');
          return undefined;
        }
        this.play(step.prompts, 'goodbye');
        return undefined;
      case 'goto':
        return step.next;
    }
  }

  startRecording(step: Extract<Step, { kind: 'voicemail' }>): void {
    this.bump();
    this.s = { ...this.s, phase: 'recording', prompting: false };
    this.emit({ kind: 'record', recordingId: id(this.s, 'vm'), maxSeconds: step.maxSeconds, silenceSeconds: step.silenceSeconds });
  }

  test(c: Condition): boolean {
    switch (c.kind) {
      case 'schedule':
        return this.ctx.scheduleState(c.schedule, this.now) === c.is;
      case 'callerIn':
        return this.ctx.callerLists.get(c.list)?.has(this.s.callerId) ?? false;
      case 'var': {
        const v = this.s.vars[c.name];
        if (c.exists !== undefined && (v !== undefined) !== c.exists) return false;
        if (c.equals !== undefined && v !== c.equals) return false;
        if (c.matches !== undefined && (v === undefined || !new RegExp(c.matches).test(v))) return false;
        return true;
      }
    }
  }

  // ------------------------------------------------------------------ input ---

  /** A failed try (wrong key, nothing typed, bad entry): say so and ask again, or give up. */
  retry(step: Extract<Step, { kind: 'menu' | 'collect' }>, why: 'invalid' | 'no-input'): void {
    const tries = this.s.tries + 1;
    this.notify({ type: 'ivr.retry', flow: this.s.flowId, step: this.s.stepId, why, try: tries });
    if (tries > step.retries) {
      this.goTo(step.onFail);
      return;
    }
    const prompts = [...(why === 'invalid' ? step.invalidPrompts : step.noInputPrompts), ...step.prompts];
    this.s = { ...this.s, tries, buffer: '', secret: undefined };
    this.play(prompts, 'input');
    if (prompts.length === 0) this.timer(step.timeoutS);
  }

  digit(d: Digit): void {
    const step = this.step();
    if (this.s.phase === 'prompt' && step?.kind === 'play') {
      if (step.keysIgnored) return;
      // Type-ahead: a key during an announcement ends it and counts for the input that follows.
      this.stopPrompt();
      this.goTo(step.next);
      if ((this.s.phase as Phase) === 'input') this.digit(d); // goTo changed the phase
      return;
    }
    if (this.s.phase !== 'input' || !step || (step.kind !== 'menu' && step.kind !== 'collect')) return;
    this.stopPrompt();
    this.emit({ kind: 'cancelTimer', timerId: id(this.s, 'tm') });
    if (step.kind === 'menu') {
      const next = step.options[d];
      if (next) {
        this.notify({ type: 'ivr.choice', flow: this.s.flowId, step: this.s.stepId, digit: d });
        this.goTo(next);
      } else this.retry(step, 'invalid');
      return;
    }
    if (step.terminator === d) {
      this.finishCollect(step);
      return;
    }
    const typed = (step.sensitive ? (this.s.secret ?? '') : this.s.buffer) + d;
    this.s = step.sensitive ? { ...this.s, secret: typed } : { ...this.s, buffer: typed };
    if (typed.length >= step.maxDigits) {
      this.finishCollect(step);
      return;
    }
    this.bump();
    this.timer(step.interDigitTimeoutS);
  }

  finishCollect(step: Extract<Step, { kind: 'collect' }>): void {
    const typed = step.sensitive ? (this.s.secret ?? '') : this.s.buffer;
    if (typed.length === 0) {
      this.retry(step, 'no-input');
      return;
    }
    const valid = typed.length >= step.minDigits && typed.length <= step.maxDigits && (!step.pattern || new RegExp(`^(?:${step.pattern})$`).test(typed));
    if (step.sensitive) {
      // Only what the flow derives survives; the digits themselves end here.
      const vars = { ...this.s.vars, [`${step.variable}_valid`]: valid ? 'yes' : 'no' };
      if (step.derive.last4 && valid) vars[`${step.variable}_last4`] = typed.slice(-4);
      this.s = { ...this.s, vars, secret: undefined };
    }
    if (!valid) {
      this.retry(step, 'invalid');
      return;
    }
    if (!step.sensitive) this.s = { ...this.s, vars: { ...this.s.vars, [step.variable]: typed }, buffer: '' };
    // A non-sensitive value (an account number, a survey rating) is journaled with the call; a sensitive one never.
    const input = step.sensitive ? { sensitive: true as const, length: typed.length } : { sensitive: false as const, value: typed };
    this.notify({ type: 'ivr.collected', flow: this.s.flowId, step: this.s.stepId, variable: step.variable, input });
    this.goTo(step.next);
  }
}

/** One step of a call's flow. */
export function ivrStep(state: IvrState, event: IvrEvent, ctx: FlowContext): IvrResult {
  const r = new Run(state, ctx, event.at);
  if (state.phase === 'ended' || (state.phase === 'queued' && event.type !== 'HungUp')) return { state, commands: [] };
  if (state.phase === 'recording-after-hangup' && event.type !== 'RecordingDone') return { state, commands: [] };
  switch (event.type) {
    case 'Start':
      r.notify({ type: 'ivr.started', flow: state.flowId });
      r.goTo(state.stepId);
      break;
    case 'HungUp': {
      if (state.phase === 'dialing' || state.phase === 'connected') {
        const commands: IvrCommand[] = [{ kind: 'hangupDial', dialId: id(state, 'dl') }];
        if (state.phase === 'connected') commands.push({ kind: 'disconnect', dialId: id(state, 'dl') });
        commands.push(hungUp(state));
        return { state: { ...state, phase: 'ended' }, commands };
      }
      // Hanging up is how most callers end a voicemail: keep the recording Asterisk is closing.
      if (state.phase === 'recording') return { state: { ...state, phase: 'recording-after-hangup' }, commands: [hungUp(state)] };
      // Leave nothing behind: no timer, no playback, no recording, no half-typed digits.
      const commands: IvrCommand[] = [];
      if (state.prompting) commands.push({ kind: 'stopPlayback', playbackId: id(state, 'pb') });
      if (state.phase === 'input') commands.push({ kind: 'cancelTimer', timerId: id(state, 'tm') });
      commands.push(hungUp(state));
      return { state: { ...state, phase: 'ended', prompting: false, buffer: '', secret: undefined }, commands };
    }
    case 'PlaybackFinished': {
      if (event.playbackId !== id(state, 'pb')) return { state, commands: [] };
      r.s = { ...r.s, prompting: false };
      const step = r.step();
      if (!step) break;
      if (state.phase === 'prompt' && step.kind === 'play') r.goTo(step.next);
      else if (state.phase === 'input' && (step.kind === 'menu' || step.kind === 'collect')) r.timer(step.timeoutS);
      else if (state.phase === 'record-prompt' && step.kind === 'voicemail') r.startRecording(step);
      else if (state.phase === 'goodbye') r.end('hangup step');
      break;
    }
    case 'DialAnswered':
      if (event.dialId !== id(state, 'dl') || state.phase !== 'dialing') return { state, commands: [] };
      r.s = { ...r.s, phase: 'connected' };
      r.emit({ kind: 'connect', dialId: event.dialId });
      r.notify({ type: 'ivr.dial', flow: state.flowId, step: state.stepId, outcome: 'answered' });
      break;
    case 'DialEnded': {
      if (event.dialId !== id(state, 'dl')) return { state, commands: [] };
      if (state.phase === 'connected') {
        r.emit({ kind: 'disconnect', dialId: event.dialId });
        r.end('destination hung up');
        break;
      }
      if (state.phase !== 'dialing') return { state, commands: [] };
      const step = r.step();
      r.notify({ type: 'ivr.dial', flow: state.flowId, step: state.stepId, outcome: 'failed' });
      if (step?.kind === 'dial') r.goTo(step.onFailure);
      break;
    }
    case 'Resume':
      // A prompt end or a lookup answer may have been lost: start the current step again.
      if (state.phase === 'recording' || state.phase === 'queued' || state.phase === 'dialing' || state.phase === 'connected') return { state, commands: [] };
      r.stopPrompt();
      r.emit({ kind: 'cancelTimer', timerId: id(state, 'tm') });
      r.goTo(state.stepId);
      break;
    case 'Digit':
      if (!DIGITS.has(event.digit)) return { state, commands: [] };
      r.digit(event.digit as Digit);
      break;
    case 'Timer': {
      if (event.timerId !== id(state, 'tm') || state.phase !== 'input') return { state, commands: [] };
      const step = r.step();
      if (step?.kind === 'menu') r.retry(step, 'no-input');
      else if (step?.kind === 'collect') r.finishCollect(step);
      break;
    }
    case 'LookupDone': {
      if (event.requestId !== id(state, 'lk') || state.phase !== 'lookup') return { state, commands: [] };
      const step = r.step();
      if (step?.kind !== 'lookup') break;
      r.notify({ type: 'ivr.lookup', flow: state.flowId, step: state.stepId, ok: event.ok });
      if (!event.ok) {
        r.goTo(step.onFailure);
        break;
      }
      const vars = { ...r.s.vars };
      for (const name of Object.keys(step.fields)) if (event.fields[name] !== undefined) vars[name] = event.fields[name]!;
      r.s = { ...r.s, vars };
      r.goTo(step.next);
      break;
    }
    case 'RecordingDone': {
      if (event.recordingId !== id(state, 'vm') || (state.phase !== 'recording' && state.phase !== 'recording-after-hangup')) return { state, commands: [] };
      const step = r.step();
      if (step?.kind === 'voicemail' && event.ok && event.durationS > 0) {
        r.emit({ kind: 'voicemail', recordingId: event.recordingId, mailbox: step.mailbox, durationS: event.durationS, vars: { ...r.s.vars } });
      }
      if (state.phase === 'recording-after-hangup') {
        r.s = { ...r.s, phase: 'ended' };
        r.notify({ type: 'ivr.ended', flow: r.s.flowId, step: r.s.stepId, reason: event.ok ? 'voicemail' : 'voicemail failed' });
      } else r.end(event.ok ? 'voicemail' : 'voicemail failed');
      break;
    }
  }
  return { state: r.s, commands: r.commands };
}

function hungUp(state: IvrState): IvrCommand {
  return { kind: 'notify', notice: { type: 'ivr.hangup', flow: state.flowId, step: state.stepId } };
}

/** Removes what must never be stored (a sensitive collect's digits). */
export function persistable(state: IvrState): IvrState {
  const { secret: _secret, ...rest } = state;
  void _secret;
  return rest;
}
