// Agents' own calls over ARI: both legs (appArgs "outbound-leg") and the telephony port.
import type { AriRest } from '../platform/ari/rest';
import type { AriRouter } from '../platform/ari/router';
import type { OutboundService, OutboundTelephony } from './service';

export class AriOutboundTelephony implements OutboundTelephony {
  constructor(
    private readonly rest: AriRest,
    private readonly app: string,
  ) {}

  originate(o: { endpoint: string; channelId: string; callerId: string; timeoutS: number }): Promise<'ok' | 'unknown-endpoint' | 'failed'> {
    return this.rest.originateOutcome({ endpoint: o.endpoint, channelId: o.channelId, app: this.app, appArgs: ['outbound-leg'], callerId: o.callerId, timeoutS: o.timeoutS });
  }

  async bridge(bridgeId: string, channelIds: string[]): Promise<void> {
    await this.rest.createBridgeOnce(bridgeId);
    await this.rest.addToBridge(bridgeId, channelIds);
  }

  destroyBridge(bridgeId: string): Promise<void> {
    return this.rest.destroyBridgeQuietly(bridgeId);
  }

  hangup(channelId: string): Promise<void> {
    return this.rest.hangupQuietly(channelId);
  }
}

export function registerOutboundAriHandlers(router: AriRouter, outbound: OutboundService, serialize: (callId: string, what: string, work: () => Promise<void>) => void): void {
  router.onChannels('outbound-leg', ['outbound-leg'], (ev) => {
    const id = ev.channel.id;
    const callId = id.replace(/-ob-(?:agent|far)$/, '');
    if (ev.type === 'StasisStart') serialize(callId, 'outbound leg answered', () => outbound.legAnswered(id));
    else if (ev.type === 'ChannelDestroyed' || ev.type === 'StasisEnd') serialize(callId, 'outbound leg ended', () => outbound.legEnded(id));
  });
}
