// The Telephony port over ARI REST.
import type { ChannelInfo, Telephony } from './ports';
import type { HangupReason } from './ports';
import { AriHttpError } from '../platform/ari/errors';
import type { AriRest } from '../platform/ari/rest';

export class AriTelephony implements Telephony {
  constructor(
    private readonly rest: AriRest,
    private readonly app: string,
    /** For sending calls back to the dialplan: under overload the request sockets have a backlog, and a refusal must not wait behind it. */
    private readonly control: AriRest = rest,
  ) {}

  async answer(channelId: string): Promise<'answered' | 'gone'> {
    try {
      await this.rest.answer(channelId);
      return 'answered';
    } catch (err) {
      if (err instanceof AriHttpError && err.notFound) return 'gone';
      throw err;
    }
  }

  ring(channelId: string): Promise<void> {
    return this.rest.ring(channelId);
  }

  divert(channelId: string, label: 'unavailable' | 'overload'): Promise<void> {
    return this.control.continueInDialplan(channelId, { label });
  }

  play(channelId: string, playbackId: string, media: string[], language?: string): Promise<void> {
    return this.rest.playOnce(channelId, playbackId, media, language);
  }

  async record(channelId: string, name: string, maxSeconds: number, silenceSeconds: number): Promise<void> {
    await this.rest.record(channelId, { name, format: 'wav', maxDurationSeconds: maxSeconds, maxSilenceSeconds: silenceSeconds, beep: true, terminateOn: '#' });
  }

  playbackActive(playbackId: string): Promise<boolean> {
    return this.rest.playbackExists(playbackId);
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.rest.stopPlaybackQuietly(playbackId);
  }

  hangup(channelId: string, reason: HangupReason): Promise<void> {
    return this.rest.hangupQuietly(channelId, reason);
  }

  async asteriskIdentity(): Promise<string> {
    const info = await this.rest.asteriskInfo();
    return `${info.system?.entity_id ?? 'asterisk'}@${info.status.startup_time}`;
  }

  async channelsInApp(): Promise<ChannelInfo[]> {
    const app = await this.rest.application(this.app);
    const out: ChannelInfo[] = [];
    for (const id of app.channel_ids) {
      const ch = await this.rest.channelOrNone(id); // undefined: hung up since the list was taken
      if (ch) out.push({ id: ch.id, exten: ch.dialplan?.exten ?? '', callerId: ch.caller.number });
    }
    return out;
  }
}
