// The callbacks' telephony over ARI: the customer leg (into the Stasis application, "customer-leg"),
// and what the agent hears while the customer rings.
import { AriHttpError } from '../platform/ari/errors';
import type { AriRest } from '../platform/ari/rest';
import type { CustomerTelephony } from './service';

export class AriCustomerTelephony implements CustomerTelephony {
  constructor(
    private readonly rest: AriRest,
    private readonly app: string,
  ) {}

  async dial(o: { legId: string; callId: string; endpoint: string; callerId: string; timeoutS: number; variables: Record<string, string> }): Promise<boolean> {
    try {
      await this.rest.originate({ endpoint: o.endpoint, channelId: o.legId, app: this.app, appArgs: ['customer-leg', o.callId], callerId: o.callerId, timeoutS: o.timeoutS, variables: o.variables });
      return true;
    } catch (err) {
      return err instanceof AriHttpError && err.conflict; // this leg exists already: a repeated request, not a second dial
    }
  }

  hangup(channelId: string): Promise<void> {
    return this.rest.hangupQuietly(channelId);
  }

  whisper(channelId: string, playbackId: string, media: string[]): Promise<void> {
    return this.rest.playOnce(channelId, playbackId, media);
  }

  forgetRecording(name: string): Promise<void> {
    return this.rest.deleteStoredRecordingQuietly(name);
  }
}
