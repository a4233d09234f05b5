// Runs the pure call flow against the ports: one event at a time per call (events of one call
// are applied in arrival order; different calls proceed in parallel), state written to Redis
// before the commands it produced are carried out.
import type { Logger } from 'pino';
import { playbackIdFor, step, type CallState, type RouteLookup } from './domain/greeting-flow';
import type { Command } from './domain/commands';
import type { CallEvent } from './domain/events';
import { ivrStep, newIvrState, persistable, type Destination, type FlowContext, type IvrCommand, type IvrEvent, type IvrState, type VoicemailRecord } from '../ivr';
import type { Clock } from '../platform/clock';
import type { StoreHealth } from '../platform/redis/connection';
import type { CallRepository, ChannelInfo, Journal, Telephony } from './ports';

/** Dial legs of a flow's dial step are named <callId>-dial-<n>. */
export const DIAL_MARK = '-dial-';

/** What the IVR needs around the pure engine. */
export interface IvrPorts {
  context(): FlowContext;
  /** Rings a configured destination on channel `dialId`; false when Asterisk refused at once. */
  dial(dialId: string, callId: string, callerId: string, destination: Destination): Promise<boolean>;
  /** Bridges the caller with the answered destination. */
  connect(callId: string, channelIds: string[]): Promise<void>;
  /** Takes that bridge down (quietly when it is gone). */
  disconnect(callId: string): Promise<void>;
  setTimer(timerId: string, at: number, callId: string): Promise<void>;
  cancelTimer(timerId: string): Promise<void>;
  lookup(lookupId: string, params: Record<string, string>, fields: Record<string, string>): Promise<{ ok: boolean; fields: Record<string, string>; reason?: string }>;
  saveVoicemail(v: VoicemailRecord): Promise<void>;
}

/** The part of the ACD the call flow hands calls to. */
export interface QueueHandoff {
  enqueue(call: { callId: string; channelId: string; callerId: string; queue: string; priority: number; attributes: Record<string, string | number | boolean> }): Promise<void>;
  callerLeft(callId: string): Promise<void>;
}

export interface CallControllerDeps {
  telephony: Telephony;
  acd?: QueueHandoff;
  ivr?: IvrPorts;
  calls: CallRepository;
  journal: Journal;
  routes: RouteLookup;
  clock: Clock;
  logger: Logger;
  /** Redis's reachability: a call that arrives while it is away waits (ringing) up to arrivalGraceMs for it. */
  store?: StoreHealth;
  arrivalGraceMs?: number;
}

/** The Asterisk channel id of a flow's dial: <callId>-dial-<n>, from the engine's …-ivr-dl-<n>. */
export function dialChannel(callId: string, dialId: string): string {
  return `${callId}${DIAL_MARK}${dialId.slice(dialId.lastIndexOf('-') + 1)}`;
}

/** The engine's dial id from a dial channel id (events from Asterisk carry the channel id). */
export function engineDialId(callId: string, id: string): string {
  return id.includes(DIAL_MARK) ? `${callId}-ivr-dl-${id.slice(id.lastIndexOf('-') + 1)}` : id;
}

export class CallController {
  private readonly chains = new Map<string, Promise<void>>();
  /** Digits of a sensitive collect in progress: process memory only, never Redis (see IvrState.secret). */
  private readonly secrets = new Map<string, string>();
  private readonly loggers = new Map<string, Logger>();

  constructor(private readonly deps: CallControllerDeps) {}

  /** Queues the event behind earlier events of the same call. Never rejects. */
  handle(event: CallEvent): Promise<void> {
    if (event.type === 'CallArrived') return this.enqueue(event.callId, event.type, () => this.arrive(event));
    return this.enqueue(event.callId, event.type, () => this.process(event));
  }

  /**
   * A new call is ours once its state is in Redis. Until then nothing may leave it ringing: with
   * Redis away it rings up to arrivalGraceMs for Redis to come back, and a call that cannot be
   * taken goes back to the dialplan, which apologises and hangs up (docs/reliability.md).
   */
  private async arrive(event: Extract<CallEvent, { type: 'CallArrived' }>): Promise<void> {
    const store = this.deps.store;
    if (store && !store.up()) {
      await this.deps.telephony.ring(event.channelId).catch(() => undefined);
      if (!(await store.whenUp(this.deps.arrivalGraceMs ?? 2000))) return this.turnAway(event, 'the state store (Redis) is unreachable');
    }
    const stored = { yes: false };
    try {
      await this.process(event, stored);
    } catch (err) {
      if (stored.yes) throw err; // ours: the failure is logged, and reconcile picks the call up
      await this.turnAway(event, (err as Error).message);
    }
  }

  private async turnAway(event: Extract<CallEvent, { type: 'CallArrived' }>, why: string): Promise<void> {
    const log = this.callLogger(event.callId);
    log.warn({ why }, 'cannot take the call now; the dialplan apologises');
    try {
      await this.deps.telephony.divert(event.channelId);
    } catch (err) {
      log.error({ err }, 'could not hand the call back to the dialplan; hanging up');
      await this.deps.telephony.hangup(event.channelId, 'congestion').catch(() => undefined);
    }
    this.loggers.delete(event.callId);
  }

  /** Runs `work` in the call's queue, after everything already queued for that call. Never rejects. */
  run(callId: string, what: string, work: () => Promise<void>): Promise<void> {
    return this.enqueue(callId, what, work);
  }

  private enqueue(callId: string, what: string, work: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(callId) ?? Promise.resolve();
    const next = prev.then(work).catch((err: unknown) => {
      this.callLogger(callId).error({ err, event: what }, 'failed to handle call event');
    });
    this.chains.set(callId, next);
    void next.then(() => {
      if (this.chains.get(callId) === next) this.chains.delete(callId);
    });
    return next;
  }

  /** Resolves when every queued event has been handled. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** A channel found in the application during reconcile; runs in the call's queue like an event. */
  adopt(channel: ChannelInfo): Promise<void> {
    return this.enqueue(channel.id, 'adopt', async () => {
      const state = await this.deps.calls.get(channel.id);
      const at = this.deps.clock.now();
      if (!state) {
        await this.process({ type: 'CallArrived', callId: channel.id, channelId: channel.id, number: channel.exten, callerId: channel.callerId, at });
      } else if (state.phase === 'ended') {
        // We had finished with it but the hang-up never landed: finish the job.
        this.callLogger(channel.id).warn('channel still in the application after its call ended; hanging up');
        await this.deps.telephony.hangup(channel.id, 'normal');
      } else if (!(await this.deps.telephony.playbackActive(playbackIdFor(state)))) {
        // Its playback ended while we could not hear about it: pick up from the prompts left.
        await this.process({ type: 'CallResumed', callId: channel.id, at });
      }
    });
  }

  /** `stored.yes` becomes true once the call's state is in Redis (from then on the call is ours). */
  private async process(event: CallEvent, stored = { yes: false }): Promise<void> {
    const before = await this.deps.calls.get(event.callId);
    if (before) stored.yes = true;
    if (event.type === 'CallArrived' && !before) {
      this.loggers.set(event.callId, this.deps.logger.child({ callId: event.callId, number: event.number, caller: event.callerId }));
    }
    const log = this.callLogger(event.callId);
    const flow = event.type === 'CallArrived' && !before ? this.deps.routes(event.number)?.flow : undefined;
    if (before?.ivr || flow || event.type === 'FlowStart') {
      await this.processIvr(before, event, flow, log, stored);
      return;
    }
    const { state, commands } = step(before, event, this.deps.routes);
    if (state && state !== before) await this.deps.calls.put(state);
    stored.yes = true;
    for (const command of commands) await this.execute(command, log);
    if (state?.phase === 'ended') this.loggers.delete(event.callId);
  }

  /** A call on an IVR flow: the engine decides, the ports carry it out. */
  private async processIvr(before: CallState | undefined, event: CallEvent, flowId: string | undefined, log: Logger, stored: { yes: boolean }): Promise<void> {
    const ivr = this.deps.ivr;
    if (!ivr) throw new Error('no IVR configured');
    const ctx = ivr.context();
    let state = before;
    const pre: Command[] = [];
    let ivrEvent: IvrEvent | undefined;
    if (!state) {
      if (event.type !== 'CallArrived') return;
      const flow = ctx.flows.get(flowId!);
      if (!flow) {
        log.error({ flow: flowId }, 'flow not configured; hanging up');
        await this.deps.telephony.hangup(event.channelId, 'congestion');
        return;
      }
      const fresh = newIvrState(event.callId, event.callerId, flow, event.at);
      const language = this.deps.routes(event.number)?.language; // the number's language overrides the flow's
      state = { callId: event.callId, channelId: event.channelId, number: event.number, callerId: event.callerId, phase: 'ivr', arrivedAt: event.at, remaining: [], playbackSeq: 0, digits: '', ivr: language ? { ...fresh, language } : fresh };
      pre.push(
        { kind: 'journal', entry: { type: 'CALL_ARRIVED', callId: event.callId, number: event.number, callerId: event.callerId, at: event.at } },
        { kind: 'answer', channelId: event.channelId },
        { kind: 'journal', entry: { type: 'CALL_ANSWERED', callId: event.callId, at: event.at } },
      );
      ivrEvent = { type: 'Start', at: event.at };
    } else {
      switch (event.type) {
        case 'PlaybackFinished':
          ivrEvent = { type: 'PlaybackFinished', playbackId: event.playbackId, at: event.at };
          break;
        case 'DigitReceived':
          ivrEvent = { type: 'Digit', digit: event.digit, at: event.at };
          break;
        case 'CallHungUp':
          ivrEvent = { type: 'HungUp', at: event.at };
          break;
        case 'FlowTimer':
          ivrEvent = { type: 'Timer', timerId: event.timerId, at: event.at };
          break;
        case 'LookupDone':
          ivrEvent = { type: 'LookupDone', requestId: event.requestId, ok: event.ok, fields: event.fields, at: event.at };
          break;
        case 'RecordingDone':
          ivrEvent = { type: 'RecordingDone', recordingId: event.recordingId, ok: event.ok, durationS: event.durationS, at: event.at };
          break;
        case 'CallResumed':
          ivrEvent = { type: 'Resume', at: event.at };
          break;
        case 'DialAnswered':
          ivrEvent = { type: 'DialAnswered', dialId: engineDialId(state.callId, event.dialId), at: event.at };
          break;
        case 'DialEnded':
          ivrEvent = { type: 'DialEnded', dialId: engineDialId(state.callId, event.dialId), at: event.at };
          break;
        case 'FlowStart': {
          // A new flow on a call in progress (the survey after the agent hung up).
          const next = ctx.flows.get(event.flow);
          if (!next || state.phase === 'ended') return;
          const fresh = newIvrState(state.callId, state.callerId, next, event.at);
          state = { ...state, phase: 'ivr', ivr: { ...fresh, language: state.ivr?.language ?? fresh.language, vars: state.ivr?.vars ?? {} } };
          ivrEvent = { type: 'Start', at: event.at };
          break;
        }
        default:
          return; // a repeated arrival
      }
    }
    const cur: IvrState = { ...state.ivr!, secret: this.secrets.get(state.callId) };
    const wasQueued = cur.phase === 'queued';
    const { state: next, commands } = ivrStep(cur, ivrEvent, ctx);
    if (next.secret) this.secrets.set(state.callId, next.secret);
    else this.secrets.delete(state.callId);
    const ended = next.phase === 'ended' || ivrEvent.type === 'HungUp';
    const after: CallState = { ...state, phase: ended ? 'ended' : 'ivr', ivr: persistable(next) };
    if (ivrEvent.type === 'HungUp') {
      if (wasQueued) pre.push({ kind: 'leaveQueue', callId: state.callId });
      pre.push({ kind: 'journal', entry: { type: 'CALL_ENDED', callId: state.callId, reason: 'caller-hangup', at: event.at } });
    }
    await this.deps.calls.put(after);
    stored.yes = true;
    for (const c of pre) await this.execute(c, log);
    for (const c of commands) await this.executeIvr(after, c, log, event.at);
    if (after.phase === 'ended') {
      this.loggers.delete(state.callId);
      this.secrets.delete(state.callId);
    }
  }

  private async executeIvr(call: CallState, c: IvrCommand, log: Logger, at: number): Promise<void> {
    const ivr = this.deps.ivr!;
    try {
      switch (c.kind) {
        case 'play':
          await this.deps.telephony.play(call.channelId, c.playbackId, c.prompts.map((p) => `sound:${p}`), c.language);
          return;
        case 'stopPlayback':
          await this.deps.telephony.stopPlayback(c.playbackId);
          return;
        case 'setTimer':
          await ivr.setTimer(c.timerId, c.at, call.callId);
          return;
        case 'cancelTimer':
          await ivr.cancelTimer(c.timerId);
          return;
        case 'lookup':
          // The answer comes back as an event in the call's queue; the call is not held up meanwhile.
          void ivr.lookup(c.lookup, c.params, c.fields).then((r) => {
            if (!r.ok) log.warn({ lookup: c.lookup, reason: r.reason }, 'lookup failed');
            return this.handle({ type: 'LookupDone', callId: call.callId, requestId: c.requestId, ok: r.ok, fields: r.fields, at: this.deps.clock.now() });
          });
          return;
        case 'record':
          await this.deps.telephony.record(call.channelId, c.recordingId, c.maxSeconds, c.silenceSeconds);
          return;
        case 'voicemail':
          await ivr.saveVoicemail({ id: c.recordingId, callId: call.callId, number: call.number, callerId: call.callerId, mailbox: c.mailbox, durationS: c.durationS, at, vars: c.vars });
          log.info({ mailbox: c.mailbox, durationS: c.durationS, recording: c.recordingId }, 'voicemail stored');
          return;
        case 'enqueue':
          if (!this.deps.acd) throw new Error('no ACD to take the call');
          await this.deps.acd.enqueue({ callId: call.callId, channelId: call.channelId, callerId: call.callerId, queue: c.queue, priority: c.priority, attributes: c.attributes });
          return;
        case 'hangup':
          await this.deps.telephony.hangup(call.channelId, 'normal');
          return;
        case 'dial': {
          const dest = ivr.context().destinations.get(c.destination);
          const channel = dialChannel(call.callId, c.dialId);
          if (!dest || !(await ivr.dial(channel, call.callId, call.callerId, dest))) {
            void this.handle({ type: 'DialEnded', callId: call.callId, dialId: c.dialId, at: this.deps.clock.now() });
          }
          return;
        }
        case 'connect':
          await ivr.connect(call.callId, [call.channelId, dialChannel(call.callId, c.dialId)]);
          return;
        case 'hangupDial':
          await this.deps.telephony.hangup(dialChannel(call.callId, c.dialId), 'normal');
          return;
        case 'disconnect':
          await ivr.disconnect(call.callId);
          return;
        case 'journal':
          await this.deps.journal.append({ type: 'IVR', callId: call.callId, event: c.event, data: JSON.stringify(c.data), at });
          return;
      }
    } catch (err) {
      log.error({ err, command: c.kind }, 'IVR command failed');
    }
  }

  private async execute(command: Command, log: Logger): Promise<void> {
    try {
      switch (command.kind) {
        case 'answer':
          await this.deps.telephony.answer(command.channelId);
          log.info('answered');
          return;
        case 'play':
          await this.deps.telephony.play(command.channelId, command.playbackId, command.media);
          log.info({ playbackId: command.playbackId, media: command.media }, 'playing');
          return;
        case 'stopPlayback':
          await this.deps.telephony.stopPlayback(command.playbackId);
          return;
        case 'hangup':
          await this.deps.telephony.hangup(command.channelId, command.reason);
          log.info({ reason: command.reason }, 'hung up');
          return;
        case 'journal':
          await this.deps.journal.append(command.entry);
          if (command.entry.type === 'CALL_ENDED') log.info({ reason: command.entry.reason }, 'call ended');
          return;
        case 'enqueue':
          if (!this.deps.acd) throw new Error('no ACD to take the call');
          await this.deps.acd.enqueue(command);
          return;
        case 'leaveQueue':
          await this.deps.acd?.callerLeft(command.callId);
          return;
      }
    } catch (err) {
      // One failed command must not stop the rest (e.g. the journal entry after a failed hangup).
      log.error({ err, command: command.kind }, 'command failed');
    }
  }

  private callLogger(callId: string): Logger {
    let log = this.loggers.get(callId);
    if (!log) {
      log = this.deps.logger.child({ callId });
      this.loggers.set(callId, log);
    }
    return log;
  }
}

export type { CallState };
