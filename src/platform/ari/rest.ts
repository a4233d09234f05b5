// A thin typed client for the ARI REST calls Switchboard makes (see docs/decisions/0001), carried
// by a transport (transport.ts: WebSockets, or HTTP). Every request here is safe to repeat: ids
// are ours, so a repeated create answers 409, a repeated delete 404, and the *Once/*Quietly forms
// take those as done; the transport relies on it when a connection fails under a request.
import type { z } from 'zod';
import { AriHttpError, AriUnreachableError } from './errors';
import { DurationWindow } from '../load';
import type { AriReply, AriRequest, AriTransport, Query, TransportLoad } from './transport';
import { ApplicationSchema, AsteriskInfoSchema, BridgeSchema, ChannelSchema, EndpointSchema, type AriApplication, type AriBridge, type AriChannel, type AriEndpoint, type AsteriskInfo, type HangupReason } from './types';

export interface OriginateRequest {
  /** From configuration only, never from caller input (e.g. "PJSIP/agent1"). */
  endpoint: string;
  /** Our id for the new channel: a retried originate answers 409 instead of ringing twice. */
  channelId: string;
  app: string;
  appArgs: string[];
  callerId?: string;
  /** Seconds to ring before Asterisk gives up. */
  timeoutS: number;
  variables?: Record<string, string>;
}

export interface AriRestOptions {
  transport: AriTransport;
  /** Where Asterisk is, for error messages. */
  url: string;
  requestTimeoutMs?: number;
}

export class AriRest {
  private readonly timeoutMs: number;
  /** How long requests took, window by window (the load gauge takes it). */
  readonly durations = new DurationWindow();
  /** When each unanswered request was sent (by a sequence number). */
  private readonly unanswered = new Map<number, number>();
  private seq = 0;

  constructor(private readonly o: AriRestOptions) {
    this.timeoutMs = o.requestTimeoutMs ?? 5000;
  }

  /** What the transport carries now, and how long the oldest unanswered request has waited (admission control). */
  load(): TransportLoad & { oldestMs: number } {
    let oldest = Infinity;
    for (const t of this.unanswered.values()) if (t < oldest) oldest = t;
    return { ...this.o.transport.load(), oldestMs: oldest === Infinity ? 0 : performance.now() - oldest };
  }

  async request<T>(method: AriRequest['method'], path: string, query: Query = {}, schema?: z.ZodType<T>, body?: unknown): Promise<T> {
    let reply: AriReply;
    const started = performance.now();
    const n = ++this.seq;
    this.unanswered.set(n, started);
    try {
      reply = await this.o.transport.send({ method, path: path.replace(/^\//, ''), query, body }, this.timeoutMs);
    } catch (err) {
      throw new AriUnreachableError(this.o.url, err);
    } finally {
      this.unanswered.delete(n);
      this.durations.record(performance.now() - started);
    }
    const text = reply.body ?? '';
    if (reply.status < 200 || reply.status >= 300) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new AriHttpError(reply.status, method, path, detail.slice(0, 200));
    }
    if (!schema) return undefined as T;
    return schema.parse(text.length > 0 ? JSON.parse(text) : undefined);
  }

  asteriskInfo(): Promise<AsteriskInfo> {
    return this.request('GET', '/asterisk/info', {}, AsteriskInfoSchema);
  }

  application(app: string): Promise<AriApplication> {
    return this.request('GET', `/applications/${encodeURIComponent(app)}`, {}, ApplicationSchema);
  }

  channel(id: string): Promise<AriChannel> {
    return this.request('GET', `/channels/${encodeURIComponent(id)}`, {}, ChannelSchema);
  }

  answer(channelId: string): Promise<void> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/answer`);
  }

  /** Plays a list of media as one playback with an id we choose (a retry gets 409, not a second playback). */
  play(channelId: string, playbackId: string, media: string[], lang?: string): Promise<void> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/play/${encodeURIComponent(playbackId)}`, { media: media.join(','), lang });
  }

  /** Records the channel to <spool>/recording/<name>.<format>, with a beep first. */
  record(channelId: string, o: { name: string; format: string; maxDurationSeconds: number; maxSilenceSeconds: number; beep: boolean; terminateOn: string }): Promise<void> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/record`, {
      name: o.name,
      format: o.format,
      maxDurationSeconds: o.maxDurationSeconds,
      maxSilenceSeconds: o.maxSilenceSeconds,
      beep: o.beep,
      terminateOn: o.terminateOn,
      ifExists: 'fail',
    });
  }

  /** Records a bridge's mixed audio to <spool>/recording/<name>.<format> (no beep; a name taken already fails). */
  recordBridge(bridgeId: string, o: { name: string; format: string }): Promise<void> {
    return this.request('POST', `/bridges/${encodeURIComponent(bridgeId)}/record`, { name: o.name, format: o.format, ifExists: 'fail', beep: false, terminateOn: 'none' });
  }

  /** Pauses (true) or resumes (false) a live recording: paused audio is left out of the file. */
  pauseRecording(name: string, paused: boolean): Promise<void> {
    return this.request(paused ? 'POST' : 'DELETE', `/recordings/live/${encodeURIComponent(name)}/pause`);
  }

  stopRecording(name: string): Promise<void> {
    return this.request('POST', `/recordings/live/${encodeURIComponent(name)}/stop`);
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.request('DELETE', `/playbacks/${encodeURIComponent(playbackId)}`);
  }

  /**
   * Originates and says how it went: 'ok' (also for a retried originate of a channel id that
   * exists already: 409), 'unknown-endpoint' (Asterisk answers 400/404 naming it), or 'failed'.
   */
  async originateOutcome(o: OriginateRequest): Promise<'ok' | 'unknown-endpoint' | 'failed'> {
    try {
      await this.originate(o);
      return 'ok';
    } catch (err) {
      if (err instanceof AriHttpError) {
        if (err.conflict) return 'ok';
        if ((err.status === 404 || err.status === 400) && /endpoint|not found/i.test(err.detail)) return 'unknown-endpoint';
      }
      return 'failed';
    }
  }

  originate(o: OriginateRequest): Promise<AriChannel> {
    return this.request(
      'POST',
      '/channels',
      { endpoint: o.endpoint, channelId: o.channelId, app: o.app, appArgs: o.appArgs.join(','), callerId: o.callerId, timeout: o.timeoutS },
      ChannelSchema,
      o.variables ? { variables: o.variables } : undefined,
    );
  }

  /**
   * A snoop channel on `channelId`, in the application with `appArgs`: `spy` is the audio it hears
   * of the channel ("in": what the channel sends, "out": what it is sent), `whisper` where audio
   * put into it goes ("out": to the channel only).
   */
  snoop(channelId: string, o: { snoopId: string; app: string; appArgs: string[]; spy: 'none' | 'in' | 'out' | 'both'; whisper: 'none' | 'in' | 'out' | 'both' }): Promise<AriChannel> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/snoop`, { spy: o.spy, whisper: o.whisper, app: o.app, appArgs: o.appArgs.join(','), snoopId: o.snoopId }, ChannelSchema);
  }

  createBridge(bridgeId: string, type = 'mixing'): Promise<AriBridge> {
    return this.request('POST', `/bridges/${encodeURIComponent(bridgeId)}`, { type, name: bridgeId }, BridgeSchema);
  }

  addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.request('POST', `/bridges/${encodeURIComponent(bridgeId)}/addChannel`, { channel: channelIds.join(',') });
  }

  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.request('POST', `/bridges/${encodeURIComponent(bridgeId)}/removeChannel`, { channel: channelIds.join(',') });
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.request('DELETE', `/bridges/${encodeURIComponent(bridgeId)}`);
  }

  bridge(bridgeId: string): Promise<AriBridge> {
    return this.request('GET', `/bridges/${encodeURIComponent(bridgeId)}`, {}, BridgeSchema);
  }

  startMoh(channelId: string, mohClass: string): Promise<void> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/moh`, { mohClass });
  }

  stopMoh(channelId: string): Promise<void> {
    return this.request('DELETE', `/channels/${encodeURIComponent(channelId)}/moh`);
  }

  ring(channelId: string): Promise<void> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/ring`);
  }

  endpoint(tech: string, resource: string): Promise<AriEndpoint> {
    return this.request('GET', `/endpoints/${encodeURIComponent(tech)}/${encodeURIComponent(resource)}`, {}, EndpointSchema);
  }

  /** Subscribes the application to an event source, e.g. "endpoint:PJSIP/agent1". */
  subscribe(app: string, eventSource: string): Promise<void> {
    return this.request('POST', `/applications/${encodeURIComponent(app)}/subscription`, { eventSource });
  }

  /** Lets the channel leave the application and go on in the dialplan (by default at its current extension). */
  continueInDialplan(channelId: string, at: { context?: string; extension?: string; priority?: number; label?: string }): Promise<void> {
    return this.request('POST', `/channels/${encodeURIComponent(channelId)}/continue`, at);
  }

  /** Limits the events Asterisk sends the application to these types. */
  /** Sets a dialplan global variable (POST /asterisk/variable). */
  async setGlobal(variable: string, value: string): Promise<void> {
    await this.request('POST', '/asterisk/variable', { variable, value });
  }

  setEventFilter(app: string, allowedTypes: string[]): Promise<void> {
    return this.request('PUT', `/applications/${encodeURIComponent(app)}/eventFilter`, {}, undefined, { allowed: allowedTypes.map((type) => ({ type })) });
  }

  /** Sends a user event to the application (it arrives as ChannelUserevent). */
  userEvent(app: string, eventName: string, variables: Record<string, string>): Promise<void> {
    return this.request('POST', `/events/user/${encodeURIComponent(eventName)}`, { application: app }, undefined, { variables });
  }

  hangup(channelId: string, reason: HangupReason = 'normal'): Promise<void> {
    return this.request('DELETE', `/channels/${encodeURIComponent(channelId)}`, { reason });
  }

  // ---- Idempotent forms: "already gone" (404) and "already done" (409) count as success, since
  // ---- commands are retried and events cross (architecture: idempotence).

  /** The channel, or undefined when it is gone. */
  channelOrNone(id: string): Promise<AriChannel | undefined> {
    return orGone(this.channel(id));
  }

  bridgeOrNone(bridgeId: string): Promise<AriBridge | undefined> {
    return orGone(this.bridge(bridgeId));
  }

  async playbackExists(playbackId: string): Promise<boolean> {
    return (await orGone(this.request('GET', `/playbacks/${encodeURIComponent(playbackId)}`).then(() => true))) ?? false;
  }

  /** A retried play with the same id answers 409: it is playing already. */
  async playOnce(channelId: string, playbackId: string, media: string[], lang?: string): Promise<void> {
    await this.play(channelId, playbackId, media, lang).catch(unless(409));
  }

  async createBridgeOnce(bridgeId: string, type = 'mixing'): Promise<void> {
    await this.createBridge(bridgeId, type).catch(unless(409));
  }

  async hangupQuietly(channelId: string, reason: HangupReason = 'normal'): Promise<void> {
    await orGone(this.hangup(channelId, reason));
  }

  async stopPlaybackQuietly(playbackId: string): Promise<void> {
    await orGone(this.stopPlayback(playbackId));
  }

  /** Deletes a stored recording; quiet when it is already gone. */
  async deleteStoredRecordingQuietly(name: string): Promise<void> {
    await orGone(this.request('DELETE', `/recordings/stored/${encodeURIComponent(name)}`));
  }

  async stopMohQuietly(channelId: string): Promise<void> {
    await orGone(this.stopMoh(channelId));
  }

  async destroyBridgeQuietly(bridgeId: string): Promise<void> {
    await orGone(this.destroyBridge(bridgeId));
  }
}

/** Resolves undefined instead of failing when ARI answers 404 (the resource is gone). */
async function orGone<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof AriHttpError && err.notFound) return undefined;
    throw err;
  }
}

/** A catch handler that swallows ARI answers with the given status and rethrows the rest. */
function unless(status: number): (err: unknown) => void {
  return (err) => {
    if (!(err instanceof AriHttpError && err.status === status)) throw err;
  };
}
