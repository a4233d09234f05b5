// Runs the pure call flow against the ports: one event at a time per call (events of one call
// are applied in arrival order; different calls proceed in parallel), state written to Redis
// before the commands it produced are carried out.
import type { Logger } from 'pino';
import { playbackIdFor, step, type CallState, type RouteLookup } from '../domain/call/greeting-flow';
import type { Command } from '../domain/commands';
import type { CallEvent } from '../domain/events';
import type { CallRepository, ChannelInfo, Clock, Journal, Telephony } from './ports';

/** The part of the ACD the call flow hands calls to. */
export interface QueueHandoff {
  enqueue(call: { callId: string; channelId: string; callerId: string; queue: string; priority: number; attributes: Record<string, string | number | boolean> }): Promise<void>;
  callerLeft(callId: string): Promise<void>;
}

export interface CallControllerDeps {
  telephony: Telephony;
  acd?: QueueHandoff;
  calls: CallRepository;
  journal: Journal;
  routes: RouteLookup;
  clock: Clock;
  logger: Logger;
}

export class CallController {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly loggers = new Map<string, Logger>();

  constructor(private readonly deps: CallControllerDeps) {}

  /** Queues the event behind earlier events of the same call. Never rejects. */
  handle(event: CallEvent): Promise<void> {
    return this.enqueue(event.callId, event.type, () => this.process(event));
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

  private async process(event: CallEvent): Promise<void> {
    const before = await this.deps.calls.get(event.callId);
    if (event.type === 'CallArrived' && !before) {
      this.loggers.set(event.callId, this.deps.logger.child({ callId: event.callId, number: event.number, caller: event.callerId }));
    }
    const log = this.callLogger(event.callId);
    const { state, commands } = step(before, event, this.deps.routes);
    if (state && state !== before) await this.deps.calls.put(state);
    for (const command of commands) await this.execute(command, log);
    if (state?.phase === 'ended') this.loggers.delete(event.callId);
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
