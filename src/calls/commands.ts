// Carries out what a call's state machine decided: Asterisk commands, IVR timers and lookups,
// voicemail records, the hand-off to the ACD, and the events that announce each step. One failed
// command does not stop the rest (a hang-up that fails must not lose the call's end event).
import type { Logger } from 'pino';
import type { EventSink } from '../events';
import type { Destination, FlowContext, VoicemailRecord } from '../ivr';
import { callBridgeId, dialBridgeId } from '../kernel/ids';
import type { Clock } from '../platform/clock';
import type { CallCommand, CallState } from './domain/call';
import type { CallEvent } from './domain/events';
import type { Telephony } from './ports';

/** What the IVR needs around the pure engine. */
export interface IvrPorts {
  /** Rings a configured destination on channel `dialId`; false when Asterisk refused at once. */
  dial(dialId: string, callId: string, callerId: string, destination: Destination): Promise<boolean>;
  /** Puts the channels in one bridge (its id chosen by us). */
  connect(bridgeId: string, channelIds: string[]): Promise<void>;
  /** Takes that bridge down (quietly when it is gone). */
  disconnect(bridgeId: string): Promise<void>;
  setTimer(timerId: string, at: number, callId: string): Promise<void>;
  cancelTimer(timerId: string): Promise<void>;
  lookup(lookupId: string, params: Record<string, string>, fields: Record<string, string>): Promise<{ ok: boolean; fields: Record<string, string>; reason?: string }>;
  saveVoicemail(v: VoicemailRecord): Promise<void>;
}

/** The part of the ACD the call flow hands calls to. */
export interface QueueHandoff {
  enqueue(call: { callId: string; channelId: string; callerId: string; callerName?: string; queue: string; priority: number; attributes: Record<string, string | number | boolean> }): Promise<void>;
  callerLeft(callId: string): Promise<void>;
  /** A key the caller pressed while waiting. */
  callerDigit(callId: string, digit: string): Promise<void>;
  /** The caller's assist flow ended: back to their agent. */
  assistDone(callId: string): Promise<void>;
}

export interface CallCommandsDeps {
  telephony: Telephony;
  ivr: IvrPorts;
  acd?: QueueHandoff;
  events: EventSink;
  context: () => FlowContext;
  clock: Clock;
  /** Queues an event of the call (a lookup's answer, a dial that failed at once). */
  handle(event: CallEvent): Promise<void>;
}

/** Commands that may run while the caller's answer is still on its way: none of them touches the caller's channel. */
const BEFORE_ANSWER = new Set<CallCommand['kind']>(['enqueue', 'setTimer', 'cancelTimer', 'lookup', 'leaveQueue']);

export class CallCommands {
  constructor(private readonly deps: CallCommandsDeps) {}

  /**
   * Carries out a step's commands in order, except that the caller's answer runs side by side with
   * what does not need it (above all the hand-off to a queue, so the agent's phone rings while
   * Asterisk answers). The call's own notices after the answer ("call.answered" first) wait for
   * Asterisk to confirm it, keeping their order. 'answer-failed': the answer failed, and what
   * needed it did not run.
   */
  async runAll(call: CallState, commands: readonly CallCommand[], log: Logger, at: number): Promise<'ok' | 'answer-failed'> {
    let answering: Promise<boolean> | undefined;
    const notices: CallCommand[] = [];
    const answered = async (): Promise<boolean> => {
      if (answering && !(await answering)) return false;
      answering = undefined;
      for (const n of notices.splice(0)) await this.execute(call, n, log, at);
      return true;
    };
    for (const c of commands) {
      if (c.kind === 'answer') answering = this.answer(call, log);
      else if (answering && c.kind === 'notify') notices.push(c);
      else if (answering && BEFORE_ANSWER.has(c.kind)) await this.execute(call, c, log, at);
      else if (!(await answered())) return 'answer-failed';
      else await this.execute(call, c, log, at);
    }
    return (await answered()) ? 'ok' : 'answer-failed';
  }

  /** True when answered (or the caller is already gone: their hang-up ends the call). */
  private async answer(call: CallState, log: Logger): Promise<boolean> {
    try {
      const r = await this.deps.telephony.answer(call.channelId);
      if (r === 'answered') log.info('answered');
      return true;
    } catch (err) {
      log.error({ err }, 'could not answer the call');
      return false;
    }
  }

  async execute(call: CallState, c: CallCommand, log: Logger, at: number): Promise<void> {
    try {
      await this.run(call, c, log, at);
    } catch (err) {
      log.error({ err, command: c.kind }, 'call command failed');
    }
  }

  private async run(call: CallState, c: CallCommand, log: Logger, at: number): Promise<void> {
    const { telephony, ivr } = this.deps;
    switch (c.kind) {
      case 'notify':
        await this.deps.events.publish({ ...c.notice, callId: call.callId, at });
        return;
      case 'answer':
        return; // runAll answers
      case 'reject':
        await telephony.hangup(call.channelId, c.reason);
        log.info({ reason: c.reason }, 'refused');
        return;
      case 'hangup':
        await telephony.hangup(call.channelId, 'normal');
        return;
      case 'leaveQueue':
        await this.deps.acd?.callerLeft(call.callId);
        return;
      case 'queueDigit':
        await this.deps.acd?.callerDigit(call.callId, c.digit);
        return;
      case 'backToAgent':
        await this.deps.acd?.assistDone(call.callId);
        return;
      case 'endHandedLeg':
        await telephony.hangup(c.legId, 'normal').catch(() => undefined);
        await ivr.disconnect(callBridgeId(call.callId));
        return;
      case 'enqueue':
        if (!this.deps.acd) throw new Error('no ACD to take the call');
        await this.deps.acd.enqueue({ callId: call.callId, channelId: call.channelId, callerId: call.callerId, ...(call.callerName ? { callerName: call.callerName } : {}), queue: c.queue, priority: c.priority, attributes: c.attributes });
        return;
      case 'play':
        await telephony.play(call.channelId, c.playbackId, c.prompts.map((p) => `sound:${p}`), c.language);
        return;
      case 'stopPlayback':
        await telephony.stopPlayback(c.playbackId);
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
          return this.deps.handle({ type: 'LookupDone', callId: call.callId, requestId: c.requestId, ok: r.ok, fields: r.fields, at: this.deps.clock.now() });
        });
        return;
      case 'record':
        await telephony.record(call.channelId, c.recordingId, c.maxSeconds, c.silenceSeconds);
        return;
      case 'voicemail':
        await ivr.saveVoicemail({ id: c.recordingId, callId: call.callId, number: call.number, callerId: call.callerId, mailbox: c.mailbox, durationS: c.durationS, at, vars: c.vars });
        await this.deps.events.publish({ type: 'voicemail.stored', callId: call.callId, mailbox: c.mailbox, recording: c.recordingId, durationS: c.durationS, at });
        log.info({ mailbox: c.mailbox, durationS: c.durationS, recording: c.recordingId }, 'voicemail stored');
        return;
      case 'dial': {
        const dest = this.deps.context().destinations.get(c.destination);
        if (!dest || !(await ivr.dial(c.dialId, call.callId, call.callerId, dest))) {
          void this.deps.handle({ type: 'DialEnded', callId: call.callId, dialId: c.dialId, at: this.deps.clock.now() });
        }
        return;
      }
      case 'connect':
        await ivr.connect(dialBridgeId(call.callId), [call.channelId, c.dialId]);
        return;
      case 'hangupDial':
        await telephony.hangup(c.dialId, 'normal');
        return;
      case 'disconnect':
        await ivr.disconnect(dialBridgeId(call.callId));
        return;
    }
  }
}
