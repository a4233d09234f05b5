// Runs each call's state machine (domain/call.ts) against the ports: one event at a time per call
// (events of one call in arrival order; different calls in parallel), the state written to Redis
// before the commands it produced are carried out.
import type { Logger } from 'pino';
import type { EventSink } from '../events';
import { currentPlaybackId, persistable, type IvrState } from '../ivr';
import type { Clock } from '../platform/clock';
import { ChildLoggers } from '../platform/child-loggers';
import type { StoreHealth } from '../platform/redis/connection';
import { CallCommands, type IvrPorts, type QueueHandoff } from './commands';
import type { Verdict } from './domain/admission';
import { callStep, type CallContext, type CallState } from './domain/call';
import type { CallEvent } from './domain/events';
import type { CallRepository, ChannelInfo, Telephony } from './ports';
import { KeyedChain } from '../kernel/keyed-chain';
import { RecentSet } from '../kernel/recent-set';

export interface CallControllerDeps {
  telephony: Telephony;
  acd?: QueueHandoff;
  ivr: IvrPorts;
  calls: CallRepository;
  events: EventSink;
  /** The flows and which flow each number runs, as configured now. */
  context: () => CallContext;
  clock: Clock;
  logger: Logger;
  /** Redis's reachability: a call that arrives while it is away waits (ringing) up to arrivalGraceMs for it. */
  store?: StoreHealth;
  arrivalGraceMs?: number;
  /** May a new call come in now (calls/admission.ts)? Without it every call is taken. */
  admission?: { check(): Verdict };
}

type Arrival = Extract<CallEvent, { type: 'CallArrived' }>;

export class CallController {
  private readonly chains = new KeyedChain();
  /** Calls this process has ended. */
  private readonly ended = new RecentSet();
  /** Calls this instance has taken and not yet ended (the admission's count). */
  private readonly active = new Set<string>();
  /** Digits of a sensitive collect in progress: process memory only, never Redis (see IvrState.secret). */
  private readonly secrets = new Map<string, string>();
  private readonly loggers: ChildLoggers;
  private readonly commands: CallCommands;

  constructor(private readonly deps: CallControllerDeps) {
    this.loggers = new ChildLoggers(deps.logger, 'callId');
    this.commands = new CallCommands({ ...deps, handle: (e) => this.handle(e) });
  }

  /** Queues the event behind earlier events of the same call. Never rejects. */
  handle(event: CallEvent): Promise<void> {
    if (event.type === 'CallArrived') return this.enqueue(event.callId, event.type, () => this.arrive(event));
    return this.enqueue(event.callId, event.type, () => this.process(event));
  }

  /** Runs `work` in the call's queue, after everything already queued for that call. Never rejects. */
  run(callId: string, what: string, work: () => Promise<void>): Promise<void> {
    return this.enqueue(callId, what, work);
  }

  private enqueue(callId: string, what: string, work: () => Promise<void>): Promise<void> {
    return this.chains.run(callId, work, (err) => this.loggers.of(callId).error({ err, event: what }, 'failed to handle call event'));
  }

  /** Calls in progress in this instance. */
  get callsInProgress(): number {
    return this.active.size;
  }

  /** Resolves when every queued event has been handled. */
  async idle(): Promise<void> {
    await this.chains.idle();
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
        this.loggers.of(channel.id).warn('channel still in the application after its call ended; hanging up');
        await this.deps.telephony.hangup(channel.id, 'normal');
      } else {
        // A prompt still playing will report its end on the new connection; otherwise pick up
        // where the flow was (its end may have been missed).
        const playing = state.ivr && currentPlaybackId(state.ivr);
        if (!playing || !(await this.deps.telephony.playbackActive(playing))) await this.process({ type: 'CallResumed', callId: channel.id, at });
      }
    });
  }

  /**
   * A new call is ours once its state is in Redis. Until then nothing may leave it ringing: with
   * Redis away it rings up to arrivalGraceMs for Redis to come back, and a call that cannot be
   * taken goes back to the dialplan, which apologises and hangs up (docs/reliability.md).
   */
  private async arrive(event: Arrival): Promise<void> {
    const verdict = this.deps.admission?.check();
    if (verdict && !verdict.admit) return this.refuse(event, verdict);
    this.active.add(event.callId); // counted at once: calls arriving together cannot all pass the cap
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

  /** Overloaded: back to the dialplan's overload branch at once; nothing stored, one line in the journal. */
  private async refuse(event: Arrival, v: Extract<Verdict, { admit: false }>): Promise<void> {
    void this.deps.events.publish({ type: 'call.refused', callId: event.callId, number: event.number, callerId: event.callerId, reason: v.reason, at: event.at });
    try {
      await this.deps.telephony.divert(event.channelId, 'overload');
    } catch (err) {
      this.loggers.of(event.callId).error({ err }, 'could not hand the refused call back to the dialplan; hanging up');
      await this.deps.telephony.hangup(event.channelId, 'congestion').catch(() => undefined);
    }
    this.loggers.forget(event.callId);
  }

  private async turnAway(event: Arrival, why: string): Promise<void> {
    this.active.delete(event.callId);
    const log = this.loggers.of(event.callId);
    log.warn({ why }, 'cannot take the call now; the dialplan apologises');
    try {
      await this.deps.telephony.divert(event.channelId, 'unavailable');
    } catch (err) {
      log.error({ err }, 'could not hand the call back to the dialplan; hanging up');
      await this.deps.telephony.hangup(event.channelId, 'congestion').catch(() => undefined);
    }
    this.loggers.forget(event.callId);
  }

  /** `stored.yes` becomes true once the call's state is in Redis (from then on the call is ours). */
  private async process(event: CallEvent, stored = { yes: false }): Promise<void> {
    // The rest of an ended call's hang-up events change nothing (callStep): no look-up for them.
    if (event.type !== 'CallArrived' && this.ended.has(event.callId)) return;
    const before = await this.deps.calls.get(event.callId);
    if (before) stored.yes = true;
    const log = event.type === 'CallArrived' ? this.loggers.of(event.callId, { number: event.number, caller: event.callerId }) : this.loggers.of(event.callId);
    const input = this.withSecret(before);
    const { state, commands } = callStep(input, event, this.deps.context());
    if (!state || state === input) {
      // Nothing happened (a late or repeated event); a repeated arrival of a call already over is not in progress.
      if (event.type === 'CallArrived' && before?.phase !== 'ivr') this.active.delete(event.callId);
      return;
    }
    const after = this.keepSecret(state);
    await this.deps.calls.put(after);
    stored.yes = true;
    if (after.phase === 'ended') this.active.delete(after.callId);
    else this.active.add(after.callId);
    if ((await this.commands.runAll(after, commands, log, event.at)) === 'answer-failed') {
      void this.handle({ type: 'AnswerFailed', callId: after.callId, at: this.deps.clock.now() }); // queued behind this one
    }
    if (after.phase === 'ended') {
      this.ended.add(after.callId);
      this.loggers.forget(after.callId);
      this.secrets.delete(after.callId);
    }
  }

  /** The state with the sensitive digits typed so far (they never leave process memory). */
  private withSecret(state: CallState | undefined): CallState | undefined {
    const secret = state && this.secrets.get(state.callId);
    return state?.ivr && secret !== undefined ? { ...state, ivr: { ...state.ivr, secret } } : state;
  }

  /** Takes the sensitive digits out of the state before it is stored. */
  private keepSecret(state: CallState): CallState {
    const ivr: IvrState | undefined = state.ivr;
    if (ivr?.secret) this.secrets.set(state.callId, ivr.secret);
    else this.secrets.delete(state.callId);
    return ivr ? { ...state, ivr: persistable(ivr) } : state;
  }
}
