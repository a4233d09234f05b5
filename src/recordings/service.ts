// Call recordings: a queue with `recording` records each connected call's bridge (caller and agent
// mixed) from the connection to the end of the agent's part. It subscribes to the event seam:
// queue.connected starts a recording, queue.held pauses it and queue.resumed resumes it (hold
// music and dead air stay out of the file), a sensitive collect step of an assist flow pauses it
// until the next step, and agents pause it through the API around payment details. Asterisk's RecordingFinished gives the length. Past its queue's retention a recording
// is deleted, audio and metadata.
import type { Logger } from 'pino';
import type { QueueConfig } from '../acd/domain/model';
import type { EventSink, SwitchboardEvent } from '../events';
import { callBridgeId } from '../kernel/ids';
import { KeyedChain } from '../kernel/keyed-chain';
import type { Clock } from '../platform/clock';
import { expiresAt, mayDelete, maySee, type RecordingMeta, type Viewer } from './domain/decide';
import type { RecordingStore } from './store';

export interface RecordingTelephony {
  recordBridge(bridgeId: string, name: string, format: string): Promise<void>;
  /** Quiet when it ended already. */
  stop(name: string): Promise<void>;
  pause(name: string, paused: boolean): Promise<void>;
  /** Quiet when the recording or the file is gone already. */
  deleteStored(name: string): Promise<void>;
}

export interface RecordingDeps {
  events: EventSink;
  store: Pick<RecordingStore, 'started' | 'get' | 'ofCall' | 'update' | 'list' | 'expired' | 'remove'>;
  telephony: RecordingTelephony;
  queues(): ReadonlyMap<string, QueueConfig>;
  clock: Clock;
  logger: Logger;
}

export class RecordingRefused extends Error {
  constructor(
    readonly status: 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Asterisk's name of the recording of an agent's part of a call: the call's id and the agent's leg. */
export const recordingName = (legId: string): string => `rec-${legId}`;

export class RecordingService {
  private readonly log: Logger;
  private readonly calls = new KeyedChain();
  constructor(private readonly d: RecordingDeps) {
    this.log = d.logger.child({ component: 'recordings' });
  }

  /** Calls in a sensitive step (marked as its event comes): their next step or the flow's end is work to queue. */
  private readonly inSensitiveStep = new Set<string>();
  /** Of those, the calls whose recording was paused for it (in the call's order): the next step resumes it. */
  private readonly sensitive = new Set<string>();

  /** The event seam's subscriber: a call's events in their order (the seam does not wait for subscribers). */
  readonly subscriber = (e: SwitchboardEvent): Promise<void> | undefined => {
    if (e.type === 'ivr.step' || e.type === 'ivr.ended' || e.type === 'queue.assist-ended') {
      const entering = e.type === 'ivr.step' && e.sensitive === true;
      if (!entering && !this.inSensitiveStep.has(e.callId)) return undefined; // most steps: no work, no Redis read
      if (entering) this.inSensitiveStep.add(e.callId);
      else this.inSensitiveStep.delete(e.callId);
      return this.calls.run(e.callId, () => this.sensitiveStep(e.callId, entering), (err) => this.log.error({ err, callId: e.callId, type: e.type }, 'recording bookkeeping failed'));
    }
    if (e.type !== 'queue.connected' && e.type !== 'queue.held' && e.type !== 'queue.resumed' && e.type !== 'queue.transferred') return undefined;
    // Decided when the hold begins: the resume always resumes (a reload meanwhile cannot leave it paused).
    if (e.type === 'queue.held' && this.d.queues().get(e.queue)?.recording?.pauseOnHold === false) return undefined;
    const work = async (): Promise<void> => {
      if (e.type === 'queue.connected') await this.start(e.callId, e.queue, e.agentId, e.legId);
      else if (e.type === 'queue.transferred') await this.stopCall(e.callId); // the next agent's part is a recording of its own
      else await this.pauseCall(e.callId, e.type === 'queue.held', 'hold');
    };
    return this.calls.run(e.callId, work, (err) => this.log.error({ err, callId: e.callId, type: e.type }, 'recording bookkeeping failed'));
  };

  private async start(callId: string, queue: string, agentId: string, legId: string): Promise<void> {
    const settings = this.d.queues().get(queue)?.recording;
    if (!settings) return;
    const id = recordingName(legId);
    const startedAt = this.d.clock.now();
    try {
      await this.d.telephony.recordBridge(callBridgeId(callId), id, settings.format);
    } catch (err) {
      this.log.warn({ err, callId, agentId }, 'could not start recording the call');
      return;
    }
    await this.d.store.started({ id, callId, queue, agentId, format: settings.format, startedAt, state: 'recording', pauses: 0, expiresAt: expiresAt(startedAt, settings.retentionDays) });
    await this.d.events.publish({ type: 'recording.started', callId, queue, agentId, recordingId: id, at: startedAt });
    this.log.info({ callId, agentId, recording: id }, 'recording the call');
  }

  /**
   * A caller with a recorded agent (an assist flow) keys sensitive digits: the recording pauses
   * until the flow moves on. A recording paused already (hold, an agent's request) is left alone.
   */
  private async sensitiveStep(callId: string, entering: boolean): Promise<void> {
    if (!entering) {
      if (this.sensitive.delete(callId)) await this.pauseCall(callId, false, 'sensitive');
      return;
    }
    if (this.sensitive.has(callId)) return; // one sensitive step after another: still paused
    const r = await this.d.store.ofCall(callId);
    if (r?.state !== 'recording') return;
    if ((await this.pauseCall(callId, true, 'sensitive'))?.state === 'paused') this.sensitive.add(callId);
  }

  /** Pauses or resumes the call's running recording; `why` says who asked (hold, a sensitive step, or an API request: `by`). */
  private async pauseCall(callId: string, paused: boolean, why: 'hold' | 'api' | 'sensitive', by?: string): Promise<RecordingMeta | undefined> {
    const r = await this.d.store.ofCall(callId);
    if (!r || r.state === 'done' || r.state === 'failed' || (r.state === 'paused') === paused) return r;
    try {
      await this.d.telephony.pause(r.id, paused);
    } catch (err) {
      this.log.warn({ err, callId, recording: r.id, paused }, 'could not pause or resume the recording');
      return r;
    }
    this.log.info({ callId, recording: r.id, why }, paused ? 'recording paused' : 'recording resumed');
    await this.d.events.publish({ type: paused ? 'recording.paused' : 'recording.resumed', callId, queue: r.queue, agentId: r.agentId, recordingId: r.id, why, ...(by !== undefined ? { by } : {}), at: this.d.clock.now() });
    return this.d.store.update(r.id, (cur) => ({ ...cur, state: paused ? 'paused' : 'recording', pauses: cur.pauses + (paused ? 1 : 0) }));
  }

  private async stopCall(callId: string): Promise<void> {
    const r = await this.d.store.ofCall(callId);
    if (r && (r.state === 'recording' || r.state === 'paused')) await this.d.telephony.stop(r.id).catch((err: unknown) => this.log.warn({ err, callId, recording: r.id }, 'could not stop the recording'));
  }

  /** Asterisk finished (the bridge ended) or failed the recording. */
  async finished(id: string, ok: boolean, durationS: number | undefined): Promise<void> {
    const r = await this.d.store.update(id, (cur) => ({ ...cur, state: ok ? 'done' : 'failed', endedAt: this.d.clock.now(), ...(durationS !== undefined ? { durationS } : {}) }));
    if (!r) return;
    this.sensitive.delete(r.callId);
    this.inSensitiveStep.delete(r.callId);
    await this.d.events.publish({ type: 'recording.finished', callId: r.callId, queue: r.queue, agentId: r.agentId, recordingId: id, ok, ...(durationS !== undefined ? { durationS } : {}), at: this.d.clock.now() });
    this.log.info({ callId: r.callId, recording: id, durationS, ok }, 'recording finished');
  }

  // ---- the API ----

  async list(v: Viewer, limit: number, offset: number, filter: { callId?: string; agentId?: string; queue?: string }): Promise<RecordingMeta[]> {
    // Filters and scope apply to a window of the newest: read a few pages until the page is full.
    const out: RecordingMeta[] = [];
    let skipped = 0;
    for (let from = 0; out.length < limit; from += 200) {
      const page = await this.d.store.list(200, from);
      for (const r of page) {
        if (!maySee(r, v) || (filter.callId && r.callId !== filter.callId) || (filter.agentId && r.agentId !== filter.agentId) || (filter.queue && r.queue !== filter.queue)) continue;
        if (skipped++ < offset) continue;
        out.push(r);
        if (out.length === limit) break;
      }
      if (page.length < 200) break;
    }
    return out;
  }

  async get(id: string, v: Viewer): Promise<RecordingMeta> {
    const r = await this.d.store.get(id);
    if (!r || !maySee(r, v)) throw new RecordingRefused(404, `no recording "${id}"`);
    return r;
  }

  async remove(id: string, v: Viewer, by: string): Promise<void> {
    const r = await this.get(id, v);
    if (!mayDelete(r, v)) throw new RecordingRefused(403, 'agents may not delete recordings');
    if (r.state === 'recording' || r.state === 'paused') throw new RecordingRefused(409, `recording "${id}" is still running`);
    await this.d.telephony.deleteStored(id);
    if (await this.d.store.remove(r.id)) await this.deleted(r, by);
  }

  /** Pause or resume a call's recording through the API (an agent around payment details). */
  async pauseByRequest(callId: string, paused: boolean, v: Viewer, by: string): Promise<RecordingMeta> {
    const r = await this.d.store.ofCall(callId);
    if (!r || !maySee(r, v)) throw new RecordingRefused(404, `no recording running on call "${callId}"`);
    // In the call's order, after any hold or resume still being applied.
    let after: RecordingMeta | undefined;
    let failed: unknown;
    await this.calls.run(
      callId,
      async () => {
        // The caller is keying sensitive digits: no resume until the step is over; a pause now is the agent's, and stays.
        if (!paused && this.sensitive.has(callId)) throw new RecordingRefused(409, `call "${callId}" is in a sensitive step: the recording resumes when it is over`);
        if (paused) this.sensitive.delete(callId);
        after = await this.pauseCall(callId, paused, 'api', by);
      },
      (err) => (failed = err),
    );
    if (failed) throw failed;
    return after ?? r;
  }

  private async deleted(r: RecordingMeta, by: string): Promise<void> {
    await this.d.events.publish({ type: 'recording.deleted', callId: r.callId, queue: r.queue, agentId: r.agentId, recordingId: r.id, by, at: this.d.clock.now() });
  }

  /** Deletes what is past its retention; how many. */
  async sweep(limit = 100): Promise<number> {
    let n = 0;
    for (const id of await this.d.store.expired(this.d.clock.now(), limit)) {
      const r = await this.d.store.get(id);
      await this.d.telephony.deleteStored(id).catch((err: unknown) => this.log.warn({ err, recording: id }, 'could not delete an expired recording'));
      if (!(await this.d.store.remove(id))) continue;
      n++;
      if (r) await this.deleted(r, 'retention');
    }
    if (n > 0) this.log.info({ deleted: n }, 'recordings past their retention deleted');
    return n;
  }
}
