// Callbacks: requested, scheduled on BullMQ, put in line in the ACD when due, and dialled when
// their agent answers. Every step is a transition of the pure lifecycle (domain/lifecycle.ts)
// stored with a compare-and-set before its side effect, so a step run twice (a job retried, an
// event repeated) finds the state moved on and acts once: in particular the customer is dialled
// only after the record moved to `dialling` for that attempt, under a channel id made of it.
//
// Work for one callback runs in its call's queue (`serialize`), as the ARI events of its legs do;
// the ACD's hooks (offered, agentAnswered, agentLeft…) are called from inside that queue.
// Longer than most files: requests, due jobs, the ACD's hooks and the customer leg share one set
// of stored steps (step, apply, toDialling), and splitting them would spread the dial-once rule.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AcdEntry, CallbackHooks } from '../acd';
import type { AgentProfile, QueueConfig } from '../acd/domain';
import { trunkEndpoint } from '../kernel/dialable';
import type { EventSink } from '../events';
import { customerLegId, whisperId } from '../kernel/ids';
import type { Clock } from '../platform/clock';
import { failureOfCause } from './domain/causes';
import { isPending, keptFor, transition, type CallbackEvent } from './domain/lifecycle';
import { callbackCallId, callbackIdOf, type Callback, type CallbackFailure, type CallbackSettings } from './domain/model';
import { acceptNumber } from './domain/number';
import type { DueJob } from './jobs';
import type { CallbackStore, VersionedCallback } from './store';

/** What the callbacks feature needs of the ACD (AcdService). */
export interface AcdForCallbacks {
  joinCallback(j: { callId: string; callback: { id: string; number: string; attempt: number }; queue: string; priority: number; enqueuedAt: number; keptFor?: { agentId: string; until: number } }): Promise<boolean>;
  withdrawCallback(callId: string): Promise<boolean>;
  callbackCustomerAnswered(callId: string): Promise<boolean>;
  callbackAttemptFailed(callId: string): Promise<void>;
  callbackCustomerLeft(callId: string): Promise<void>;
}

export interface CustomerTelephony {
  /** Rings the customer through the trunk; false when Asterisk refused the originate. */
  dial(o: { legId: string; callId: string; endpoint: string; callerId: string; timeoutS: number; variables: Record<string, string> }): Promise<boolean>;
  hangup(channelId: string): Promise<void>;
  /** Plays to the agent who is being called back (ends by itself or when the customer answers). */
  whisper(channelId: string, playbackId: string, media: string[]): Promise<void>;
  /** Deletes the caller's recorded name once nobody will hear it again. */
  forgetRecording(name: string): Promise<void>;
}

export interface CallbackConfigView {
  queues: ReadonlyMap<string, QueueConfig>;
  agents: ReadonlyMap<string, AgentProfile>;
  /** The first moment at or after `at` when the schedule is open (`at` for an unknown schedule: its queue check reports it). */
  openAt(schedule: string, at: number): number;
}

export interface CallbacksDeps {
  store: CallbackStore;
  jobs: { schedule(j: DueJob): Promise<void>; unschedule(j: DueJob): Promise<void> };
  acd: AcdForCallbacks;
  telephony: CustomerTelephony;
  config: () => CallbackConfigView;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  serialize(callId: string, what: string, work: () => Promise<void>): Promise<void>;
  newId?: () => string;
}

export class CallbackRefused extends Error {
  constructor(
    readonly kind: 'not-found' | 'invalid' | 'conflict',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface RequestInput {
  queue: string;
  number: string;
  at?: number;
  agent?: string;
  note?: string;
  origin: Callback['origin'];
  createdBy: string;
  /** In-queue: the caller's place and priority. */
  enqueuedAt?: number;
  priority?: number;
  /** In-queue: the caller's recorded name. */
  nameRecording?: string;
}

export interface UpdateInput {
  at?: number;
  agent?: string | null;
  note?: string | null;
}

const CAS_TRIES = 5;

/** Also the ACD's callback hooks for callback entries (offered … agentLeft); the in-queue offer's are in-queue.ts. */
export class CallbackService implements Omit<CallbackHooks, 'callerDigit' | 'callerDone' | 'callerJoined' | 'inConversation'> {
  private readonly log: Logger;

  constructor(private readonly d: CallbacksDeps) {
    this.log = d.logger.child({ component: 'callbacks' });
  }

  // ---- requests (API, CLI) ----

  /** A new callback, or the pending one for this number and queue updated (it keeps its earlier place). */
  async request(input: RequestInput): Promise<{ callback: Callback; created: boolean }> {
    const settings = this.settingsOf(input.queue);
    if (!acceptNumber(input.number, settings.numberPattern)) throw new CallbackRefused('invalid', `"${input.number}" is not a number this queue calls back (pattern ${settings.numberPattern})`, 'number');
    if (input.agent !== undefined) this.checkAgent(input.agent);
    const now = this.d.clock.now();
    for (let i = 0; i < CAS_TRIES; i++) {
      const pending = await this.d.store.pendingFor(input.queue, input.number);
      if (pending) {
        const dueAt = input.at !== undefined ? Math.min(input.at, pending.d.dueAt) : undefined;
        const updated = await this.inCall(pending.d.id, 'callback requested again', () => this.change(pending.d.id, { dueAt, keepPlace: true, preferredAgent: input.agent, note: input.note }));
        return { callback: updated, created: false };
      }
      const dueAt = this.openAt(settings, input.at ?? now);
      const id = this.d.newId?.() ?? randomBytes(8).toString('hex');
      const cb: Callback = {
        id,
        queue: input.queue,
        number: input.number,
        origin: input.origin,
        state: 'requested',
        requestedAt: now,
        dueAt,
        enqueuedAt: input.enqueuedAt ?? dueAt,
        priority: input.priority ?? settings.priority,
        ...(input.agent !== undefined ? { preferredAgent: input.agent } : {}),
        ...(input.note !== undefined ? { note: input.note } : {}),
        ...(input.nameRecording !== undefined ? { nameRecording: input.nameRecording } : {}),
        createdBy: input.createdBy,
        attempt: 0,
        failures: [],
        updatedAt: now,
      };
      const saved = await this.d.store.save(cb);
      if (!saved.ok) continue; // another request for this number got there first: update it instead
      await this.d.jobs.schedule({ callbackId: id, attempt: 1, dueAt });
      await this.d.events.publish({ type: 'callback.requested', callbackId: id, queue: cb.queue, number: cb.number, origin: cb.origin, dueAt, priority: cb.priority, preferredAgent: cb.preferredAgent, createdBy: cb.createdBy, at: now });
      this.log.info({ callbackId: id, queue: cb.queue, dueAt, origin: cb.origin }, 'callback requested');
      return { callback: cb, created: true };
    }
    throw new CallbackRefused('conflict', 'the callback kept changing while it was requested; try again');
  }

  async update(id: string, input: UpdateInput): Promise<Callback> {
    if (input.agent !== undefined && input.agent !== null) this.checkAgent(input.agent);
    return this.inCall(id, 'callback update', () => this.change(id, { dueAt: input.at, preferredAgent: input.agent, note: input.note }));
  }

  async cancel(id: string, by: string): Promise<Callback> {
    return this.inCall(id, 'callback cancel', async () => {
      const cur = await this.mustGet(id);
      if (cur.d.state === 'waiting' && !(await this.d.acd.withdrawCallback(callbackCallId(id)))) throw new CallbackRefused('conflict', `callback ${id} is being offered to an agent; it can no longer be cancelled`);
      const next = await this.apply(cur, { type: 'cancel', at: this.d.clock.now() });
      await this.d.jobs.unschedule({ callbackId: id, attempt: cur.d.attempt + 1, dueAt: cur.d.dueAt });
      await this.d.events.publish({ type: 'callback.cancelled', callbackId: id, queue: next.queue, by, at: next.updatedAt });
      await this.over(next);
      return next;
    });
  }

  /** The callback pending for this number in this queue, if any. */
  async pendingFor(queue: string, number: string): Promise<Callback | undefined> {
    return (await this.d.store.pendingFor(queue, number))?.d;
  }

  async get(id: string): Promise<Callback | undefined> {
    return (await this.d.store.get(id))?.d;
  }

  async list(filter: { queue?: string; agent?: string; state?: Callback['state'] }): Promise<Callback[]> {
    return (await this.d.store.list()).filter(
      (cb) => (!filter.queue || cb.queue === filter.queue) && (!filter.state || cb.state === filter.state) && (!filter.agent || cb.preferredAgent === filter.agent || cb.agentId === filter.agent),
    );
  }

  // ---- due times (BullMQ jobs) ----

  /** A due job ran (maybe again): the callback joins its queue, once. */
  async due(job: DueJob): Promise<void> {
    await this.inCall(job.callbackId, 'callback due', async () => {
      const cur = await this.d.store.get(job.callbackId);
      if (!cur || cur.d.attempt + 1 !== job.attempt) return; // gone, or this attempt is over
      if (cur.d.state === 'waiting') return void (await this.join(cur.d)); // joined before the job was acknowledged: make sure it is in line
      if ((cur.d.state !== 'requested' && cur.d.state !== 'retry-wait') || cur.d.dueAt !== job.dueAt) return; // moved on, or rescheduled
      const settings = this.settingsOf(cur.d.queue);
      const now = this.d.clock.now();
      const open = this.openAt(settings, now);
      if (open > now) {
        // Outside the queue's hours: wait for the opening.
        const next = await this.apply(cur, { type: 'update', dueAt: open, keepPlace: true, at: now });
        await this.d.jobs.schedule({ callbackId: next.id, attempt: job.attempt, dueAt: next.dueAt });
        return;
      }
      const next = await this.apply(cur, { type: 'due', at: now });
      await this.join(next);
    });
  }

  /** Records that should have a job or a queue entry get them again (after a restart: both steps are idempotent). */
  async resume(): Promise<number> {
    let n = 0;
    for (const cb of await this.d.store.list()) {
      if (cb.state === 'requested' || cb.state === 'retry-wait') await this.d.jobs.schedule({ callbackId: cb.id, attempt: cb.attempt + 1, dueAt: cb.dueAt });
      else if (cb.state === 'waiting') await this.inCall(cb.id, 'callback resumed', () => this.join(cb).then(() => undefined));
      else continue;
      n++;
    }
    return n;
  }

  // ---- the ACD's hooks (called inside the callback's queue) ----

  async offered(callId: string, agentId: string): Promise<void> {
    const next = await this.step(callbackIdOf(callId), { type: 'offered', agentId, at: this.d.clock.now() });
    if (next) await this.d.events.publish({ type: 'callback.offered', callbackId: next.id, callId, queue: next.queue, agentId, at: next.updatedAt });
  }

  async offerMissed(callId: string): Promise<void> {
    await this.step(callbackIdOf(callId), { type: 'offer-missed', at: this.d.clock.now() });
  }

  /** The agent answered: the record moves to `dialling` (the one way to dial), then the customer is rung. */
  async agentAnswered(entry: AcdEntry): Promise<boolean> {
    const id = callbackIdOf(entry.callId);
    const agentId = entry.agentId!;
    const at = this.d.clock.now();
    const step = await this.toDialling(id, agentId, entry.callback?.attempt, at);
    if (!step) return false;
    const cb = step.next;
    if (step.offeredToo) await this.d.events.publish({ type: 'callback.offered', callbackId: id, callId: entry.callId, queue: cb.queue, agentId, at });
    const settings = this.settingsOf(cb.queue);
    const legId = customerLegId(entry.callId, cb.attempt);
    const log = this.d.logger.child({ callId: entry.callId, callbackId: id, agentId });
    await this.d.events.publish({ type: 'callback.dialling', callbackId: id, callId: entry.callId, queue: cb.queue, agentId, attempt: cb.attempt, at });
    log.info({ attempt: cb.attempt, name: cb.nameRecording !== undefined }, 'dialling the customer');
    const [dialled] = await Promise.all([
      this.d.telephony.dial({
        legId,
        callId: entry.callId,
        // Digits that passed the queue's pattern, into the configured trunk: nothing else.
        endpoint: trunkEndpoint(cb.number, settings.trunk),
        callerId: settings.callerId,
        timeoutS: settings.ringTimeoutS,
        variables: { SWITCHBOARD_CALLBACK_ID: id, SWITCHBOARD_QUEUE: cb.queue },
      }),
      // Digits as sound files, not "digits:": a say-playback cannot be stopped when the customer answers.
      this.d.telephony.whisper(entry.legId!, whisperId(entry.callId, cb.attempt), [...(cb.nameRecording ? [`recording:${cb.nameRecording}`] : []), ...cb.number.replace(/\D/g, '').split('').map((d) => `sound:digits/${d}`)]).catch((err: unknown) => log.warn({ err }, 'could not tell the agent who is called back')),
    ]);
    if (dialled) return true;
    await this.attemptOver(id, 'failed');
    return false;
  }

  /**
   * offering → dialling for this attempt, in one compare-and-set (retried when another step got
   * there first). From `waiting` too: the offer's own step may not be stored yet (an agent who
   * answers at once, while the ring's bookkeeping runs) or may have failed; the ACD's reservation
   * is what counts.
   */
  private async toDialling(id: string, agentId: string, attempt: number | undefined, at: number): Promise<{ next: Callback; offeredToo: boolean } | undefined> {
    for (let i = 0; i < CAS_TRIES; i++) {
      const cur = await this.d.store.get(id);
      if (!cur || cur.d.attempt + 1 !== attempt) return undefined;
      const ctx = this.ctx(cur.d.queue);
      const offered = cur.d.state === 'waiting' ? transition(cur.d, { type: 'offered', agentId, at }, ctx) : ({ ok: true, next: cur.d } as const);
      if (!offered.ok) return undefined;
      const r = transition(offered.next, { type: 'agent-answered', agentId, at }, ctx);
      if (!r.ok) return undefined;
      if ((await this.d.store.save(r.next, cur)).ok) return { next: r.next, offeredToo: cur.d.state === 'waiting' };
    }
    return undefined;
  }

  /** The agent hung up before the customer answered: this attempt is over. */
  async agentLeft(callId: string): Promise<void> {
    const id = callbackIdOf(callId);
    const cur = await this.d.store.get(id);
    if (cur?.d.state === 'dialling') await this.d.telephony.hangup(customerLegId(callId, cur.d.attempt)).catch(() => undefined);
    await this.attemptOver(id, 'agent-hangup');
    await this.d.acd.callbackAttemptFailed(callId);
  }

  // ---- the customer leg (ARI events, in the callback's queue) ----

  async customerAnswered(callId: string, legId: string): Promise<void> {
    const id = callbackIdOf(callId);
    const cur = await this.d.store.get(id);
    if (!cur || cur.d.state !== 'dialling' || customerLegId(callId, cur.d.attempt) !== legId) {
      await this.d.telephony.hangup(legId); // nobody waits for this leg any more
      return;
    }
    if (!(await this.d.acd.callbackCustomerAnswered(callId))) {
      await this.d.telephony.hangup(legId);
      return;
    }
    const next = await this.step(id, { type: 'customer-answered', at: this.d.clock.now() });
    if (next) await this.d.events.publish({ type: 'callback.connected', callbackId: id, callId, queue: next.queue, agentId: next.agentId!, attempt: next.attempt, at: next.updatedAt });
    if (next) await this.over(next);
  }

  async customerEnded(callId: string, legId: string, cause: number): Promise<void> {
    const id = callbackIdOf(callId);
    const cur = await this.d.store.get(id);
    if (!cur || customerLegId(callId, cur.d.attempt) !== legId) return;
    if (cur.d.state === 'connected') return this.d.acd.callbackCustomerLeft(callId);
    if (cur.d.state !== 'dialling') return;
    await this.attemptOver(id, failureOfCause(cause));
    await this.d.acd.callbackAttemptFailed(callId);
  }

  // ---- inside ----

  /** A callback that is over keeps only its record: the caller's recorded name goes. */
  private async over(cb: Callback): Promise<void> {
    if (cb.nameRecording) await this.d.telephony.forgetRecording(cb.nameRecording).catch((err: unknown) => this.log.warn({ err, callbackId: cb.id }, 'could not delete the recorded name'));
  }

  /** An attempt failed: retry after the delay (a new due job) or fail for good. */
  private async attemptOver(id: string, reason: CallbackFailure): Promise<void> {
    const next = await this.step(id, { type: 'customer-failed', reason, at: this.d.clock.now() });
    if (!next) return;
    if (next.state === 'retry-wait') {
      await this.d.jobs.schedule({ callbackId: id, attempt: next.attempt + 1, dueAt: next.dueAt });
      await this.d.events.publish({ type: 'callback.retry-scheduled', callbackId: id, queue: next.queue, attempt: next.attempt, reason, dueAt: next.dueAt, at: next.updatedAt });
      this.log.info({ callbackId: id, attempt: next.attempt, reason, dueAt: next.dueAt }, 'callback attempt failed; retrying later');
    } else {
      await this.d.events.publish({ type: 'callback.failed', callbackId: id, queue: next.queue, attempt: next.attempt, reason, at: next.updatedAt });
      this.log.info({ callbackId: id, attempt: next.attempt, reason }, 'callback failed');
      await this.over(next);
    }
  }

  /** A change through the API or a second request: out of line first when it was waiting. */
  private async change(id: string, u: { dueAt?: number; keepPlace?: boolean; preferredAgent?: string | null; note?: string | null }): Promise<Callback> {
    const cur = await this.mustGet(id);
    if (!isPending(cur.d)) throw new CallbackRefused('conflict', `callback ${id} is ${cur.d.state}: it can no longer be changed`);
    const now = this.d.clock.now();
    // A waiting callback whose time or agent changes leaves the line and joins again (at once, or at its new time).
    const rejoin = cur.d.state === 'waiting' && (u.dueAt !== undefined || u.preferredAgent !== undefined);
    if (rejoin && !(await this.d.acd.withdrawCallback(callbackCallId(id)))) throw new CallbackRefused('conflict', `callback ${id} is being offered to an agent; it can no longer be changed`);
    const dueAt = u.dueAt ?? (rejoin ? now : undefined);
    const next = await this.apply(cur, { type: 'update', dueAt, keepPlace: u.keepPlace || (rejoin && u.dueAt === undefined), preferredAgent: u.preferredAgent, note: u.note, at: now });
    const fields = (['dueAt', 'preferredAgent', 'note'] as const).filter((f) => next[f] !== cur.d[f]);
    if (next.dueAt !== cur.d.dueAt || rejoin) {
      await this.d.jobs.unschedule({ callbackId: id, attempt: cur.d.attempt + 1, dueAt: cur.d.dueAt });
      await this.d.jobs.schedule({ callbackId: id, attempt: next.attempt + 1, dueAt: next.dueAt });
    }
    await this.d.events.publish({ type: 'callback.updated', callbackId: id, queue: next.queue, fields, dueAt: next.dueAt, at: now });
    return next;
  }

  private async join(cb: Callback): Promise<boolean> {
    const settings = this.settingsOf(cb.queue);
    const kept = keptFor(cb, settings.preferredAgentWindowS);
    return this.d.acd.joinCallback({ callId: callbackCallId(cb.id), callback: { id: cb.id, number: cb.number, attempt: cb.attempt + 1 }, queue: cb.queue, priority: cb.priority, enqueuedAt: cb.enqueuedAt, ...(kept ? { keptFor: kept } : {}) });
  }

  /** Applies one event and stores it; refused (the state moved on) is undefined, a lost race is retried on fresh data. */
  private async step(id: string, e: CallbackEvent): Promise<Callback | undefined> {
    for (let i = 0; i < CAS_TRIES; i++) {
      const cur = await this.d.store.get(id);
      if (!cur) return undefined;
      const r = transition(cur.d, e, this.ctx(cur.d.queue));
      if (!r.ok) {
        this.log.debug({ callbackId: id, event: e.type, why: r.refused }, 'callback event refused');
        return undefined;
      }
      if ((await this.d.store.save(r.next, cur)).ok) return r.next;
    }
    this.log.warn({ callbackId: id, event: e.type }, 'callback kept changing; event dropped');
    return undefined;
  }

  /** Like step, for a record just read: a refusal or a lost race is the client's 409. */
  private async apply(cur: VersionedCallback, e: CallbackEvent): Promise<Callback> {
    const r = transition(cur.d, e, this.ctx(cur.d.queue));
    if (!r.ok) throw new CallbackRefused('conflict', r.refused);
    const saved = await this.d.store.save(r.next, cur);
    if (saved.ok) return r.next;
    throw new CallbackRefused('conflict', 'taken' in saved ? `callback ${saved.taken} is already pending for this number in this queue` : `callback ${cur.d.id} changed meanwhile; try again`);
  }

  private async mustGet(id: string): Promise<VersionedCallback> {
    const cur = await this.d.store.get(id);
    if (!cur) throw new CallbackRefused('not-found', `no callback "${id}"`);
    return cur;
  }

  private async inCall<T>(id: string, what: string, work: () => Promise<T>): Promise<T> {
    const box: { out?: { ok: true; value: T } | { ok: false; err: unknown } } = {};
    await this.d.serialize(callbackCallId(id), what, async () => {
      try {
        box.out = { ok: true, value: await work() };
      } catch (err) {
        box.out = { ok: false, err };
      }
    });
    const out = box.out ?? { ok: false, err: new Error(`${what} did not run`) };
    if (!out.ok) throw out.err;
    return out.value;
  }

  private settingsOf(queue: string): CallbackSettings {
    const q = this.d.config().queues.get(queue);
    if (!q) throw new CallbackRefused('invalid', `unknown queue "${queue}"`, 'queue');
    if (!q.callback) throw new CallbackRefused('invalid', `queue "${queue}" offers no callbacks`, 'queue');
    return q.callback;
  }

  private checkAgent(agentId: string): void {
    if (!this.d.config().agents.has(agentId)) throw new CallbackRefused('invalid', `unknown agent "${agentId}"`, 'agent');
  }

  private openAt(settings: CallbackSettings, at: number): number {
    return settings.hours ? this.d.config().openAt(settings.hours, at) : at;
  }

  private ctx(queue: string) {
    const settings = this.settingsOf(queue);
    return { settings, openAt: (at: number) => this.openAt(settings, at) };
  }
}
