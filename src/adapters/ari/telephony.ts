// The Telephony port over ARI REST.
import type { ChannelInfo, Telephony } from '../../app/ports';
import type { HangupReason } from '../../domain/commands';
import { AriHttpError } from './errors';
import type { AriRest } from './rest';

function ignoreGone(err: unknown): void {
  if (err instanceof AriHttpError && err.notFound) return;
  throw err;
}

export class AriTelephony implements Telephony {
  constructor(
    private readonly rest: AriRest,
    private readonly app: string,
  ) {}

  answer(channelId: string): Promise<void> {
    return this.rest.answer(channelId);
  }

  ring(channelId: string): Promise<void> {
    return this.rest.ring(channelId);
  }

  divert(channelId: string): Promise<void> {
    return this.rest.continueInDialplan(channelId, { label: 'unavailable' });
  }

  async play(channelId: string, playbackId: string, media: string[], language?: string): Promise<void> {
    try {
      await this.rest.play(channelId, playbackId, media, language);
    } catch (err) {
      // 409: a playback with this id exists already, i.e. a retried command: done.
      if (err instanceof AriHttpError && err.conflict) return;
      throw err;
    }
  }

  async record(channelId: string, name: string, maxSeconds: number, silenceSeconds: number): Promise<void> {
    await this.rest.record(channelId, { name, format: 'wav', maxDurationSeconds: maxSeconds, maxSilenceSeconds: silenceSeconds, beep: true, terminateOn: '#' });
  }

  async playbackActive(playbackId: string): Promise<boolean> {
    try {
      await this.rest.request('GET', `/playbacks/${encodeURIComponent(playbackId)}`);
      return true;
    } catch (err) {
      ignoreGone(err);
      return false;
    }
  }

  stopPlayback(playbackId: string): Promise<void> {
    return this.rest.stopPlayback(playbackId).catch(ignoreGone);
  }

  hangup(channelId: string, reason: HangupReason): Promise<void> {
    return this.rest.hangup(channelId, reason).catch(ignoreGone);
  }

  async asteriskIdentity(): Promise<string> {
    const info = await this.rest.asteriskInfo();
    return `${info.system?.entity_id ?? 'asterisk'}@${info.status.startup_time}`;
  }

  async channelsInApp(): Promise<ChannelInfo[]> {
    const app = await this.rest.application(this.app);
    const out: ChannelInfo[] = [];
    for (const id of app.channel_ids) {
      try {
        const ch = await this.rest.channel(id);
        out.push({ id: ch.id, exten: ch.dialplan?.exten ?? '', callerId: ch.caller.number });
      } catch (err) {
        ignoreGone(err); // hung up since the list was taken
      }
    }
    return out;
  }
}
